"""The host reader fills CpuReading's sockets and power from a sysfs tree."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from allsmi_py import host as host_module
from allsmi_py.host import HostReader

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sysfs"


class Times(tuple):  # type: ignore[type-arg]
    @property
    def idle(self) -> float:
        return float(self[1])


def test_two_socket_reading_with_rapl_power(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    samples = iter([
        [Times((0.0, 100.0))] * 8,
        [Times((50.0 if n % 4 < 2 else 0.0, 150.0 if n % 4 < 2 else 200.0)) for n in range(8)],
    ])
    monkeypatch.setattr(host_module.psutil, "cpu_times", lambda percpu: next(samples))
    root = tmp_path / "sys_tree"
    shutil.copytree(FIXTURES / "intel_2socket", root)
    reader = HostReader(include_disks=False, sysfs_root=str(root))
    (root / "sys/class/powercap/intel-rapl:0/energy_uj").write_text("150000000\n")
    cpu = reader.read().cpu
    assert cpu.socket_count == 2
    assert [s.utilization_pct for s in cpu.sockets] == [50.0, 0.0]
    assert cpu.per_core_socket_index == (0, 0, 1, 1, 0, 0, 1, 1)
    assert [s.temperature_c for s in cpu.sockets] == [61.0, 67.0]
    assert cpu.temperature_c == 67.0
    assert cpu.sockets[0].power_w is not None and cpu.sockets[0].power_w > 0
    assert cpu.sockets[1].power_w == 0.0
    assert cpu.power_w == cpu.sockets[0].power_w and cpu.power_unavailable_reason is None


def test_power_missing_is_explained(tmp_path: Path) -> None:
    cpu = HostReader(include_disks=False, sysfs_root=str(tmp_path)).read().cpu
    assert cpu.power_w is None and cpu.power_unavailable_reason
    assert cpu.sockets == ()


def test_the_plausibility_guard_covers_each_socket() -> None:
    from allsmi_py.model import CpuReading, CpuSocketReading, HostReading
    from allsmi_py.plausible import guard

    hostile = CpuSocketReading(index=0, utilization_pct=500.0, frequency_mhz=2000.0,
                               temperature_c=900.0, power_w=4294967295.0)
    guarded = guard(HostReading(cpu=CpuReading(sockets=(hostile,))))
    assert guarded.cpu.sockets == (CpuSocketReading(index=0, frequency_mhz=2000.0),)
    assert len(guarded.problems) == 3 and all(p.startswith("cpu.sockets[0].")
                                              for p in guarded.problems)
