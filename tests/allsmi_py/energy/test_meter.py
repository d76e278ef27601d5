"""The meter between the collector and its consumers: totals per source, across restarts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from allsmi_py.backend import Backend
from allsmi_py.collector import Collector
from allsmi_py.energy.meter import CPU_SOURCE, EnergyMeter, MeteredSource, device_source
from allsmi_py.energy.store import EnergyStore
from allsmi_py.model import CpuReading, DeviceReading, HostReading, NodeSnapshot


def gpu(power_w: float | None, counter_j: float | None = None, uuid: str = "GPU-1",
        ) -> DeviceReading:
    return DeviceReading(backend="fake", index=0, uuid=uuid, name="Fake GPU", power_w=power_w,
                         energy_j=counter_j)


def snap(at_s: float, *devices: DeviceReading, cpu_w: float | None = None) -> NodeSnapshot:
    host = HostReading(cpu=CpuReading(power_w=cpu_w))
    return NodeSnapshot(hostname="n1", taken_at_s=at_s, devices=devices, host=host)


def meter(path: Path, report: Callable[[str], None] | None = None) -> EnergyMeter:
    lines: list[str] = []
    return EnergyMeter(EnergyStore(path), max_gap_s=10.0, report=report or lines.append)


def test_devices_and_cpu_get_their_totals(tmp_path: Path) -> None:
    m = meter(tmp_path / "energy.json")
    m.apply(snap(0.0, gpu(100.0), cpu_w=50.0))
    out = m.apply(snap(2.0, gpu(300.0), cpu_w=50.0))
    assert out.devices[0].energy_consumed_j == pytest.approx(400.0)
    assert out.host is not None and out.host.cpu.energy_consumed_j == pytest.approx(100.0)
    assert out.devices[0].power_w == 300.0  # nothing else changes
    assert m.totals() == {"GPU-1": pytest.approx(400.0), CPU_SOURCE: pytest.approx(100.0)}


def test_a_source_without_readings_is_not_reported(tmp_path: Path) -> None:
    m = meter(tmp_path / "energy.json")
    out = m.apply(snap(0.0, gpu(None)))
    assert out.devices[0].energy_consumed_j is None
    assert out.host is not None and out.host.cpu.energy_consumed_j is None
    assert m.totals() == {}


def test_first_reading_reports_zero(tmp_path: Path) -> None:
    out = meter(tmp_path / "energy.json").apply(snap(0.0, gpu(100.0)))
    assert out.devices[0].energy_consumed_j == 0.0


def test_totals_keep_rising_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "energy.json"
    first = meter(path)
    first.apply(snap(0.0, gpu(100.0)))
    first.apply(snap(1.0, gpu(100.0)))
    first.save()
    second = meter(path)
    out = second.apply(snap(5000.0, gpu(100.0)))  # downtime is not counted
    assert out.devices[0].energy_consumed_j == pytest.approx(100.0)
    out = second.apply(snap(5001.0, gpu(100.0)))
    assert out.devices[0].energy_consumed_j == pytest.approx(200.0)


def test_saves_on_the_first_snapshot_and_then_every_interval(tmp_path: Path) -> None:
    path = tmp_path / "energy.json"
    m = EnergyMeter(EnergyStore(path), max_gap_s=100.0, report=print, save_every_s=30.0)
    m.apply(snap(0.0, gpu(10.0)))
    assert json.loads(path.read_text())["totals_j"] == {"GPU-1": 0.0}
    m.apply(snap(20.0, gpu(10.0)))
    assert json.loads(path.read_text())["totals_j"] == {"GPU-1": 0.0}
    m.apply(snap(30.0, gpu(10.0)))
    assert json.loads(path.read_text())["totals_j"] == {"GPU-1": 300.0}


def test_a_corrupt_state_file_is_reported_once_and_restarted(tmp_path: Path) -> None:
    path = tmp_path / "energy.json"
    path.write_text("{not json")
    lines: list[str] = []
    m = meter(path, lines.append)
    assert len(lines) == 1 and "corrupt" in lines[0]
    m.apply(snap(0.0, gpu(100.0)))
    m.apply(snap(1.0, gpu(100.0)))
    m.save()
    assert len(lines) == 1
    assert json.loads(path.read_text())["totals_j"] == {"GPU-1": 100.0}


def test_an_unwritable_state_file_is_reported_once(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    lines: list[str] = []
    m = meter(tmp_path / "file" / "energy.json", lines.append)
    for at in range(0, 200, 40):
        m.apply(snap(float(at), gpu(1.0)))
    assert [line for line in lines if "cannot be written" in line] == lines[-1:]
    assert len(lines) == 2 and "cannot be read" in lines[0]  # the load found no directory
    assert m.totals()["GPU-1"] == 0.0  # 40 s gaps are past the cap; collection went on


def test_without_a_store_nothing_is_written(tmp_path: Path) -> None:
    m = EnergyMeter(None, max_gap_s=10.0)
    m.apply(snap(0.0, gpu(100.0)))
    assert m.apply(snap(1.0, gpu(100.0))).devices[0].energy_consumed_j == 100.0
    m.save()
    assert list(tmp_path.iterdir()) == []


def test_a_device_without_uuid_is_kept_by_backend_and_index() -> None:
    device = DeviceReading(backend="fake", index=3, uuid="", name="x")
    assert device_source(device) == "fake:3"


class Steady(Backend):
    name = "steady"

    def read(self) -> list[DeviceReading]:
        return [gpu(100.0)]


def test_metered_source_stands_in_for_the_collector(tmp_path: Path) -> None:
    path = tmp_path / "energy.json"
    collector = Collector([Steady()], interval_s=1.0)
    source = MeteredSource(collector, meter(path))
    seen: list[NodeSnapshot] = []
    unsubscribe = source.subscribe(seen.append)
    collector.tick()
    collector.tick()
    unsubscribe()
    collector.tick()
    assert len(seen) == 2
    assert all(s.devices[0].energy_consumed_j is not None for s in seen)
    assert source.latest is not None and source.latest.devices[0].energy_consumed_j is not None
    assert collector.latest is not None and collector.latest.devices[0].energy_consumed_j is None
    source.stop()
    assert "GPU-1" in json.loads(path.read_text())["totals_j"]


def test_sources_beyond_the_cap_are_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    import allsmi_py.energy.meter as meter_module

    monkeypatch.setattr(meter_module, "MAX_SOURCES", 2)
    m = EnergyMeter(None, max_gap_s=10.0)
    devices = [gpu(10.0, uuid=f"GPU-{i}") for i in range(3)]
    out = m.apply(snap(0.0, *devices))
    assert [d.energy_consumed_j for d in out.devices] == [0.0, 0.0, None]
    assert len(m.totals()) == 2
