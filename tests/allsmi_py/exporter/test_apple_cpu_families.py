"""all-smi's Apple CPU cluster families, from the real M4 Max powermetrics sample and from
hostile cluster details (issue 19 item 4)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.exporter.schema.apple_cpu import cluster_values
from allsmi_py.model import CpuReading, DeviceReading, HostReading, MemoryReading
from backends.apple.backend import device_from_sample
from backends.apple.parse import parse_plist
from backends.mock.backend import MockBackend
from tests.backends.families import Scrape

PLIST = (Path(__file__).parents[2] / "fixtures" / "apple"
         / "powermetrics_plist_macbookpro16-m4max_mac16-5.plist")
CPU = {"cpu_model": "Apple M4 Max", "instance": "node-1", "hostname": "node-1", "index": "0"}


def _m4_max() -> DeviceReading:
    return device_from_sample(parse_plist(PLIST.read_bytes()), "Apple M4 Max", None)


def _scrape(device: DeviceReading) -> Scrape:
    """A scrape of a node whose host CPU is the SoC's (the Apple CPU families' labels)."""
    scrape = Scrape([device])
    host = HostReading(cpu=CpuReading(model="Apple M4 Max"), memory=MemoryReading())
    scrape.snapshot = replace(scrape.snapshot, host=host)
    scrape.text = render_prometheus(scrape.snapshot)
    scrape.samples = {}
    for family in text_string_to_metric_families(scrape.text):
        for sample in family.samples:
            scrape.samples.setdefault(sample.name, []).append(sample)
    return scrape


def test_m4_max_clusters_under_the_cpu_labels() -> None:
    scrape = _scrape(_m4_max())
    # powermetrics: E-Cluster 52.97 % at 1154.44 MHz; P0 72.78 % at 3560.87, P1 0.04 % at 1260.02
    assert scrape.value("all_smi_cpu_e_core_count", **CPU) == 4  # 4 E + 2 x 6 P cores
    assert scrape.value("all_smi_cpu_p_core_count", **CPU) == 12
    assert scrape.value("all_smi_cpu_e_core_utilization", **CPU) == 52.97
    assert scrape.value("all_smi_cpu_p_core_utilization", **CPU) == pytest.approx(36.41)
    assert scrape.value("all_smi_cpu_e_cluster_frequency_mhz", **CPU) == 1154.44
    p_mhz = scrape.value("all_smi_cpu_p_cluster_frequency_mhz", **CPU)
    assert p_mhz == pytest.approx(2410.445, abs=0.01)
    # an M4 Max has no S cluster, and this reader does not know the GPU core count
    for absent in ("all_smi_cpu_s_core_utilization", "all_smi_cpu_s_cluster_frequency_mhz",
                   "all_smi_cpu_s_core_count",
                   "all_smi_cpu_gpu_core_count"):
        assert absent not in scrape.samples, absent


def test_native_cluster_names_and_the_mock_gpu_cores() -> None:
    details = {"cluster.ECPU_mhz": "1176.46", "cluster.ECPU_active_pct": "23.08",
               "cluster.DIE_1_PCPU_mhz": "3778.44", "cluster.S-Cluster_active_pct": "9.5"}
    assert cluster_values(details, "E", "mhz") == [1176.46]
    assert cluster_values(details, "P", "mhz") == [3778.44]
    assert cluster_values(details, "S", "pct") == [9.5]
    [mock] = MockBackend(spec="m3max:1", seed=2).read()
    assert _scrape(mock).value("all_smi_cpu_gpu_core_count", **CPU) == 40


@pytest.mark.parametrize("text", ["NaN", "-5", "1e9", "", "0x10", "fast"])
def test_hostile_cluster_figures_are_left_out(text: str) -> None:
    details = {"cluster.E-Cluster_mhz": text, "cluster.E-Cluster_active_pct": text,
               "cluster.X-Cluster_mhz": "1000", "cluster.P-Cluster_nope": "5"}
    assert cluster_values(details, "E", "mhz") == []
    assert cluster_values(details, "E", "pct") == []
    assert cluster_values(details, "P", "mhz") == []


def test_not_apple_writes_none_of_them() -> None:
    jetson = DeviceReading(backend="jetson", index=0, uuid="j", name="Orin", kind="soc",
                           vendor="NVIDIA", details={"cluster.P-Cluster_mhz": "1000"})
    scrape = _scrape(jetson)
    assert not any(name.startswith(("all_smi_cpu_p_", "all_smi_cpu_gpu_core"))
                   for name in scrape.samples)


def test_a_mac_is_its_own_chassis() -> None:
    scrape = _scrape(_m4_max())
    node = {"hostname": "node-1", "instance": "node-1"}
    # powermetrics: cpu_power 2978.45 mW, gpu 269.614 mW, ane 0, combined 3248.07 mW
    assert scrape.value("all_smi_chassis_cpu_power_watts", **node) == 2.98
    assert scrape.value("all_smi_chassis_gpu_power_watts", **node) == 0.27
    assert scrape.value("all_smi_chassis_ane_power_watts", **node) == 0.0
    assert scrape.value("all_smi_chassis_power_watts", **node) == 3.25
    assert scrape.one("all_smi_chassis_thermal_pressure_info", **node).labels["level"] == (
        "Nominal")
    assert scrape.one("all_smi_chassis_info", **node).labels["platform"] == "macOS"
    assert "all_smi_chassis_inlet_temperature_celsius" not in scrape.samples


def test_a_jetson_soc_writes_no_mac_chassis_families() -> None:
    jetson = DeviceReading(backend="jetson", index=0, uuid="j", name="Orin", kind="soc",
                           vendor="NVIDIA", power_w=12.5)
    scrape = _scrape(jetson)
    assert "all_smi_chassis_info" not in scrape.samples  # nothing names the chassis
    assert not any(name.startswith("all_smi_chassis_") and name != "all_smi_chassis_power_watts"
                   for name in scrape.samples)
    assert scrape.value("all_smi_chassis_power_watts", hostname="node-1") == 12.5
