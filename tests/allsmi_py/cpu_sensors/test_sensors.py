"""Per-socket CPU readings from sysfs fixture trees: 2-socket Intel, 1-socket AMD, amd_energy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from allsmi_py.cpu_sensors import CLOCK_REFRESH_S, CpuSensors
from allsmi_py.cpu_sensors.rapl import NO_COUNTER
from allsmi_py.cpu_sensors.sysfs import read_capped
from allsmi_py.model import CpuSocketReading

FIXTURES = Path(__file__).parents[2] / "fixtures" / "sysfs"
RAPL = "sys/class/powercap"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def tree(tmp_path: Path, case: str) -> Path:
    root = tmp_path / case
    shutil.copytree(FIXTURES / case, root)
    return root


def write(root: Path, relative: str, text: str) -> None:
    (root / relative).write_text(text + "\n")


def test_two_intel_sockets_with_coretemp_and_rapl(tmp_path: Path) -> None:
    root, clock = tree(tmp_path, "intel_2socket"), Clock()
    sensors = CpuSensors(str(root), clock=clock)
    write(root, f"{RAPL}/intel-rapl:0/energy_uj", str(100_000_000 + 60_000_000))
    # package 1 wraps past max_energy_range_uj (262143328850): 328850 + 49671150 uJ = 50 J
    write(root, f"{RAPL}/intel-rapl:1/energy_uj", "49671150")
    write(root, f"{RAPL}/intel-rapl:0:0/energy_uj", "999999999")  # core zone: not added again
    clock.now += 2.0
    reading = sensors.read([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0])
    assert reading.sockets == (
        CpuSocketReading(index=0, utilization_pct=35.0, frequency_mhz=2250.0,
                         temperature_c=61.0, power_w=30.0),
        CpuSocketReading(index=1, utilization_pct=55.0, frequency_mhz=2450.0,
                         temperature_c=67.0, power_w=25.0),
    )
    assert reading.per_core_socket_index == (0, 0, 1, 1, 0, 0, 1, 1)
    assert reading.power_w == 55.0 and reading.power_unavailable_reason is None
    assert reading.temperature_c == 67.0  # the hottest package, not the NVMe drive


def test_one_amd_socket_with_k10temp_and_zen_rapl(tmp_path: Path) -> None:
    root, clock = tree(tmp_path, "amd_1socket"), Clock()
    sensors = CpuSensors(str(root), clock=clock)
    # wraps at 65532610987: 610987 + 89389013 uJ = 90 J over 1 s
    write(root, f"{RAPL}/intel-rapl:0/energy_uj", "89389013")
    clock.now += 1.0
    reading = sensors.read([100.0] * 4 + [0.0] * 4)
    (socket,) = reading.sockets
    assert socket == CpuSocketReading(index=0, utilization_pct=50.0, frequency_mhz=3300.0,
                                      temperature_c=55.25, power_w=90.0)
    assert reading.power_w == 90.0
    assert reading.temperature_c == 55.25  # k10temp's Tctl, not the GPU's edge sensor


def test_amd_energy_counters_and_zenpower_tdie(tmp_path: Path) -> None:
    root, clock = tree(tmp_path, "amd_energy_1socket"), Clock()
    sensors = CpuSensors(str(root), clock=clock)
    write(root, "sys/class/hwmon/hwmon1/energy5_input", str(900_000_000 + 45_500_000))
    clock.now += 0.5
    reading = sensors.read([1.0, 2.0, 3.0, 4.0])
    (socket,) = reading.sockets
    assert socket.temperature_c == 48.0  # Tdie before the offset Tctl
    assert socket.power_w == 91.0 and reading.power_w == 91.0
    assert socket.frequency_mhz is None  # no cpufreq and no /proc/cpuinfo in this tree
    # a counter that goes back with no known range was reset: no figure, and no false one
    write(root, "sys/class/hwmon/hwmon1/energy5_input", "1000")
    clock.now += 0.5
    after = sensors.read([1.0, 2.0, 3.0, 4.0])
    assert after.sockets[0].power_w is None and after.power_w is None
    write(root, "sys/class/hwmon/hwmon1/energy5_input", "2001000")
    clock.now += 1.0
    assert sensors.read([1.0, 2.0, 3.0, 4.0]).power_w == 2.0


def test_root_only_energy_says_why_power_is_missing(tmp_path: Path) -> None:
    # energy_uj is mode 0400 root on Linux 5.10+; the tests run as root, so the reader
    # refuses it as the kernel would refuse an ordinary user
    def reader(path: str, limit: int) -> bytes:
        if path.endswith("energy_uj"):
            raise PermissionError(13, "Permission denied", path)
        return read_capped(path, limit)

    root = FIXTURES / "intel_2socket"
    reading = CpuSensors(str(root), reader=reader).read([0.0] * 8)
    assert reading.power_w is None
    assert all(s.power_w is None for s in reading.sockets)
    reason = reading.power_unavailable_reason or ""
    assert "root only" in reason and "CVE-2020-8694" in reason
    assert str(root / RAPL / "intel-rapl:0" / "energy_uj") in reason
    assert [s.temperature_c for s in reading.sockets] == [61.0, 67.0]  # the rest still reads


def test_a_machine_without_sensors_has_no_sockets_and_says_so(tmp_path: Path) -> None:
    reading = CpuSensors(str(tmp_path)).read([12.0, 13.0])
    assert reading.sockets == () and reading.per_core_socket_index == ()
    assert reading.power_w is None and reading.power_unavailable_reason == NO_COUNTER


def test_a_cpu_count_that_no_longer_matches_gives_no_per_socket_share(tmp_path: Path) -> None:
    reading = CpuSensors(str(FIXTURES / "intel_2socket")).read([50.0] * 7)  # one went offline
    assert [s.utilization_pct for s in reading.sockets] == [None, None]
    assert reading.per_core_socket_index == ()
    assert [s.temperature_c for s in reading.sockets] == [61.0, 67.0]


def test_clock_from_proc_cpuinfo_where_there_is_no_cpufreq(tmp_path: Path) -> None:
    root = tree(tmp_path, "amd_energy_1socket")
    blocks = [f"processor\t: {n}\nphysical id\t: 0\ncpu MHz\t\t: {2000 + n * 100}.000\n"
              for n in range(4)]
    (root / "proc").mkdir()
    (root / "proc" / "cpuinfo").write_text("\n".join(blocks))
    assert CpuSensors(str(root)).read([0.0] * 4).sockets[0].frequency_mhz == 2150.0


@pytest.mark.parametrize("energy", ["abc", "-5", "9" * 30, ""])
def test_hostile_energy_counter_is_refused_with_a_reason(tmp_path: Path, energy: str) -> None:
    root, clock = tree(tmp_path, "amd_1socket"), Clock()
    sensors = CpuSensors(str(root), clock=clock)
    write(root, f"{RAPL}/intel-rapl:0/energy_uj", energy)
    clock.now += 1.0
    reading = sensors.read([0.0] * 8)
    assert reading.power_w is None
    assert "holds no energy count" in (reading.power_unavailable_reason or "")


def test_hostile_topology_and_sensors_are_ignored(tmp_path: Path) -> None:
    root = tree(tmp_path, "intel_2socket")
    write(root, "sys/devices/system/cpu/cpu7/topology/physical_package_id", "99999999")
    write(root, "sys/class/hwmon/hwmon1/temp1_input", "900000")  # 900 C: not a reading
    write(root, "sys/class/hwmon/hwmon2/temp1_input", "\xff\xfe garbage")
    write(root, "sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "1" * 10_000)
    reading = CpuSensors(str(root)).read([0.0] * 7)
    assert [s.index for s in reading.sockets] == [0, 1]
    # with no package input that reads, a package's hottest core stands in for it
    assert [s.temperature_c for s in reading.sockets] == [58.0, 64.0]
    assert reading.sockets[0].frequency_mhz == 2333.3  # cpu0's 10000-digit clock is refused


def test_reads_are_capped(tmp_path: Path) -> None:
    asked: list[int] = []

    def reader(path: str, limit: int) -> bytes:
        asked.append(limit)
        return read_capped(path, limit)

    CpuSensors(str(FIXTURES / "intel_2socket"), reader=reader).read([0.0] * 8)
    assert asked and max(asked) <= 64 * 1024


def test_clocks_are_read_again_once_a_refresh_interval_has_passed(tmp_path: Path) -> None:
    root, clock = tree(tmp_path, "amd_1socket"), Clock()
    sensors = CpuSensors(str(root), clock=clock)
    assert sensors.read([0.0] * 8).sockets[0].frequency_mhz == 3300.0
    for cpu in range(8):
        write(root, f"sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_cur_freq", "1500000")
    clock.now += CLOCK_REFRESH_S / 2
    assert sensors.read([0.0] * 8).sockets[0].frequency_mhz == 3300.0  # not yet
    clock.now += CLOCK_REFRESH_S
    assert sensors.read([0.0] * 8).sockets[0].frequency_mhz == 1500.0
