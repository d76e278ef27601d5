"""The chassis reader over a sysfs tree, with and without a BMC, and its families."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from allsmi_py.chassis import ChassisReader
from allsmi_py.chassis.ipmi import IpmiFigures
from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import ChassisReading, DeviceReading, HostReading, NodeSnapshot
from allsmi_py.model_chassis import ChassisFan


def _tree(root: Path, dmi: dict[str, str], zones: list[tuple[str, str]]) -> str:
    for name, text in dmi.items():
        path = root / "sys/class/dmi/id" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    for i, (kind, temp) in enumerate(zones):
        zone = root / f"sys/class/thermal/thermal_zone{i}"
        zone.mkdir(parents=True)
        (zone / "type").write_text(kind + "\n")
        (zone / "temp").write_text(temp + "\n")
    return str(root)


DELL = {"product_name": "PowerEdge R750xa", "sys_vendor": "Dell Inc.",
        "board_name": "0A1B2C", "product_version": "Not Specified", "bios_version": "1.13.2"}


class FakeBmc:
    """An IpmiPoller's interface with fixed figures."""

    def __init__(self, found: IpmiFigures | None, problem: str | None = None) -> None:
        self.found, self.problem = found, problem

    def poll(self) -> IpmiFigures | None:
        return self.found

    def close(self) -> None:
        pass


def test_dmi_names_and_acpi_zones_as_all_smi_reads_them(tmp_path: Path) -> None:
    root = _tree(tmp_path, DELL, [("acpitz", "27800"), ("x86_pkg_temp", "61000"),
                                  ("acpitz", "29800")])
    chassis = ChassisReader(root).read()
    assert chassis == ChassisReading(
        product_name="PowerEdge R750xa", vendor="Dell Inc.", board="0A1B2C",
        bios_version="1.13.2", platform="Linux", inlet_c=27.8, outlet_c=29.8,
        sensor_source="acpi")  # "Not Specified" is firmware's blank, not a version


def test_the_bmc_wins_where_it_has_a_sensor(tmp_path: Path) -> None:
    root = _tree(tmp_path, DELL, [("acpitz", "27800"), ("acpitz", "29800")])
    reader = ChassisReader(root, ipmi=FakeBmc(IpmiFigures(24.0, None, 406.0)))  # type: ignore[arg-type]
    chassis = reader.read()
    assert chassis is not None
    assert (chassis.inlet_c, chassis.outlet_c, chassis.power_w) == (24.0, 29.8, 406.0)
    assert chassis.sensor_source == "ipmi"
    failing = ChassisReader(root, ipmi=FakeBmc(None, "ipmitool sdr: exit 1"))  # type: ignore[arg-type]
    assert failing.read().problems == ("ipmitool sdr: exit 1",)  # type: ignore[union-attr]


def test_nothing_known_is_no_chassis(tmp_path: Path) -> None:
    assert ChassisReader(str(tmp_path)).read() is None


@pytest.mark.parametrize(("text", "temp"), [
    ("\x00\x01\x02", "abc"), ("To Be Filled By O.E.M.", "999999"), ("x" * 500, "-80000"),
    ("", ""),
])
def test_hostile_sysfs_is_left_out(tmp_path: Path, text: str, temp: str) -> None:
    root = _tree(tmp_path, {"product_name": text, "sys_vendor": text}, [("acpitz", temp)])
    assert ChassisReader(root).read() is None


def test_no_bmc_device_means_no_ipmitool(tmp_path: Path) -> None:
    reader = ChassisReader(_tree(tmp_path, DELL, []))
    assert reader._ipmi is None  # no /dev/ipmi0 under the root: ipmitool is never run


def _scrape(devices: tuple[DeviceReading, ...], chassis: ChassisReading
            ) -> dict[str, list[Sample]]:
    snapshot = NodeSnapshot(hostname="node-1", taken_at_s=1.8e9, devices=devices,
                            host=HostReading(chassis=chassis))
    samples: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(render_prometheus(snapshot)):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def test_families_under_all_smis_names() -> None:
    chassis = ChassisReading(product_name="PowerEdge R750xa", vendor="Dell Inc.",
                             platform="Linux", inlet_c=24.04, outlet_c=38.0, power_w=406.0,
                             fans=(ChassisFan("0", "Fan1", 5880.0), ChassisFan("1", "Fan2",
                                                                               5760.4)))
    gpus = tuple(DeviceReading(backend="x", index=i, uuid=f"u{i}", name="g", power_w=300.0)
                 for i in range(2))
    samples = _scrape(gpus, chassis)
    [info] = samples["all_smi_chassis_info"]
    assert info.labels == {"hostname": "node-1", "instance": "node-1",
                           "product_name": "PowerEdge R750xa", "vendor": "Dell Inc.",
                           "platform": "Linux"}
    assert samples["all_smi_chassis_power_watts"][0].value == 406.0  # the BMC's, not 600
    assert samples["all_smi_chassis_inlet_temperature_celsius"][0].value == 24.0
    assert samples["all_smi_chassis_outlet_temperature_celsius"][0].value == 38.0
    fans = {(s.labels["fan_id"], s.labels["fan_name"]): s.value
            for s in samples["all_smi_chassis_fan_speed_rpm"]}
    assert fans == {("0", "Fan1"): 5880.0, ("1", "Fan2"): 5760.0}
    # without a BMC: all-smi's Linux figure, the devices' power summed
    no_bmc = _scrape(gpus, ChassisReading(platform="Linux"))
    assert no_bmc["all_smi_chassis_power_watts"][0].value == 600.0
    assert "all_smi_chassis_inlet_temperature_celsius" not in no_bmc
