"""all_smi_tenstorrent_* families from a sysfs-sourced reading, and alike from either source.

No real dump of tt-kmd's sysfs is public: the tree is built from tt-kmd's documentation and
driver source (see fake_sysfs.py), and the comparison with tt-smi uses the texts tt-kmd would
print for the raw firmware words in Tenstorrent's own p300c snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import DeviceReading, NodeSnapshot
from backends.tenstorrent.backend import TenstorrentBackend
from backends.tenstorrent.parse import parse_snapshot
from backends.tenstorrent.sysfs_parse import CardFiles, reading_from_sysfs
from tests.backends.tenstorrent.fake_sysfs import install, kmd_texts_from_blackhole_smbus, p150a
from tests.backends.tenstorrent.test_sysfs_parse import P300C

HOST = "node-1"


def scrape(devices: Iterable[DeviceReading]) -> dict[str, list[Sample]]:
    """Samples by name of one rendered snapshot, parsed by prometheus-client."""
    snapshot = NodeSnapshot(hostname=HOST, taken_at_s=1_800_000_000.0, devices=tuple(devices))
    samples: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(render_prometheus(snapshot)):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def one(samples: dict[str, list[Sample]], name: str) -> Sample:
    """The one sample of family `name` (a single device per scrape here)."""
    rows = samples.get(name, [])
    assert len(rows) == 1, (name, rows)
    return rows[0]


def test_families_from_a_sysfs_blackhole(tmp_path: Path) -> None:
    install(tmp_path, p150a(0))
    with TenstorrentBackend(root=str(tmp_path)) as backend:
        [dev] = backend.read()
    samples = scrape([dev])
    base = {"npu": "Tenstorrent Blackhole p150a", "instance": HOST, "npu_uuid": "tt-4032b15a0c7",
            "npu_index": "0"}
    for name, want in (
        ("all_smi_tenstorrent_asic_temperature_celsius", 41.375),
        ("all_smi_tenstorrent_aiclk_mhz", 1350.0),
        ("all_smi_tenstorrent_axiclk_mhz", 960.0),
        ("all_smi_tenstorrent_arcclk_mhz", 800.0),
        ("all_smi_tenstorrent_voltage_volts", 0.765),
        ("all_smi_tenstorrent_current_amperes", 52.0),
        ("all_smi_tenstorrent_heartbeat", 11540.0),
        ("all_smi_tenstorrent_fan_rpm", 2100.0),
        ("all_smi_tenstorrent_tdp_limit_watts", 300.0),
        ("all_smi_tenstorrent_tdc_limit_amperes", 200.0),
        ("all_smi_tenstorrent_thermal_limit_celsius", 90.0),
        ("all_smi_tenstorrent_pcie_generation", 5.0),
        ("all_smi_tenstorrent_pcie_width", 16.0),
    ):
        sample = one(samples, name)
        assert sample.labels == base, name
        assert sample.value == want, name
    board = one(samples, "all_smi_tenstorrent_board_info").labels
    assert (board["board_type"], board["board_id"], board["architecture"]) == (
        "p150a", "4032b15a0c7", "blackhole")
    assert one(samples, "all_smi_tenstorrent_collection_method_info").labels["method"] == "sysfs"
    assert one(samples, "all_smi_tenstorrent_pcie_address_info").labels["address"] == (
        "0000:03:00.0")
    assert one(samples, "all_smi_npu_firmware_info").labels["firmware"] == "18.7.0.0"
    for name, want in (
        ("all_smi_gpu_temperature_celsius", 41),  # whole degrees, as all-smi's view reads it
        ("all_smi_gpu_power_consumption_watts", 40.0),
        ("all_smi_gpu_frequency_mhz", 1350.0),
        ("all_smi_gpu_power_limit_current_watts", 300.0),
        ("all_smi_gpu_fan_speed_rpm", 2100.0),
        ("all_smi_gpu_temperature_threshold_slowdown_celsius", 90.0),
    ):
        assert one(samples, name).value == want, name
    # Never reported by any Tenstorrent source, and not in sysfs: absent, never 0.
    for absent in ("all_smi_gpu_utilization", "all_smi_gpu_memory_used_bytes",
                   "all_smi_tenstorrent_fan_speed_percent", "all_smi_tenstorrent_ddr_status",
                   "all_smi_tenstorrent_dram_info", "all_smi_tenstorrent_arc_firmware_info"):
        assert absent not in samples, absent


# What sysfs cannot give (DDR words, tt-smi's fan percent), and the one label that must differ.
_TT_SMI_ONLY = {"all_smi_tenstorrent_ddr_status", "all_smi_tenstorrent_dram_info",
                "all_smi_tenstorrent_fan_speed_percent"}


def test_same_families_from_either_source() -> None:
    """Every all_smi_tenstorrent_* family tt-smi gives for the p300c, sysfs gives alike."""
    doc = json.loads(P300C.read_text())
    attributes, hwmon = kmd_texts_from_blackhole_smbus(doc["device_info"][0]["smbus_telem"])
    via_sysfs = scrape([reading_from_sysfs(CardFiles(0, attributes, hwmon, {}, "0000:04:00.0"))])
    via_tt_smi = scrape(parse_snapshot(P300C.read_text()))
    families = {n for n in via_tt_smi if n.startswith("all_smi_tenstorrent_")}
    assert len(families) >= 14
    for name in sorted(families - _TT_SMI_ONLY):
        a, b = one(via_sysfs, name), one(via_tt_smi, name)
        if name == "all_smi_tenstorrent_collection_method_info":
            assert (a.labels.pop("method"), b.labels.pop("method")) == ("sysfs", "tt-smi")
        assert a.labels == b.labels, name
        # tt-smi's formatted telemetry is rounded: 34.8 °C and 0.72 V for 34.832 and 0.719
        assert a.value == pytest.approx(b.value, abs=0.05), name
    for name in _TT_SMI_ONLY:
        assert name not in via_sysfs
    # ...and nothing beyond: these words carry no limits or firmware strings for sysfs either.
    assert {n for n in via_sysfs if n.startswith("all_smi_tenstorrent_")} <= families
