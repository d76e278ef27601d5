"""`ipmitool sdr` parsing and the poller that never blocks a tick."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from allsmi_py.chassis import ipmi
from allsmi_py.chassis.ipmi import IpmiFigures, IpmiPoller, figures, parse_sdr

FIXTURES = Path(__file__).parents[2] / "fixtures" / "ipmi"


def test_dell_sensors() -> None:
    sensors = parse_sdr((FIXTURES / "ipmitool_sdr_dell.txt").read_text())
    assert ("Fan1", 5880.0, "RPM") in [(s.name, s.value, s.unit) for s in sensors]
    assert all(s.name not in ("SD", "Intrusion") for s in sensors)  # no numeric reading
    found = figures(sensors)
    assert (found.inlet_c, found.outlet_c, found.power_w) == (24.0, 38.0, 406.0)
    assert [(f.fan_id, f.name, f.speed_rpm) for f in found.fans] == [
        ("0", "Fan1", 5880.0), ("1", "Fan2", 5760.0), ("2", "Fan3", 5880.0),
        ("3", "Fan4", 5760.0)]


def test_hpe_sensors_without_an_exhaust_reading() -> None:
    found = figures(parse_sdr((FIXTURES / "ipmitool_sdr_hpe.txt").read_text()))
    # "37-Exhaust Inlet" has no reading; "01-Inlet Ambient" is the inlet; Power Meter the power
    assert found == IpmiFigures(inlet_c=21.0, outlet_c=None, power_w=252.0)


@pytest.mark.parametrize("text", [
    "", "garbage\n" * 1000, "Inlet Temp | 4000 degrees C | ok\nPwr Consumption | -5 Watts | ok",
    "Inlet Temp | nan degrees C | ok", "|||\n| 1 | |", "x" * 100_000,
    "Fan1 | -300 RPM | ok\nFan2 | 9999999 RPM | ok",
])
def test_hostile_output_gives_no_figures(text: str) -> None:
    assert figures(parse_sdr(text)) == IpmiFigures()


def test_the_sensor_and_fan_counts_are_capped() -> None:
    text = "Fan | 100 RPM | ok\n" * (ipmi.MAX_SENSORS + 50)
    assert len(parse_sdr(text)) == ipmi.MAX_SENSORS
    assert len(figures(parse_sdr(text)).fans) == ipmi.MAX_FANS


def _tool(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "ipmitool"
    path.write_text(f"#!{sys.executable}\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return [str(path)]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _finish(poller: IpmiPoller) -> None:
    proc = poller._proc  # the run in flight, waited for here so the test needs no sleeps
    assert proc is not None
    proc.wait(timeout=10)


def test_a_run_is_harvested_on_a_later_tick(tmp_path: Path) -> None:
    fixture = FIXTURES / "ipmitool_sdr_dell.txt"
    clock = Clock()
    poller = IpmiPoller(_tool(tmp_path, f"print(open({str(fixture)!r}).read())"), clock=clock)
    assert poller.poll() is None  # started, not waited for
    _finish(poller)
    clock.now += 1
    first = poller.poll()
    assert first is not None and first.power_w == 406.0 and len(first.fans) == 4
    assert poller.problem is None
    clock.now += 1
    assert poller.poll() == first  # no new run before EVERY_S
    assert poller._proc is None
    clock.now += 4 * ipmi.EVERY_S
    poller._spawn = lambda argv: (_ for _ in ()).throw(OSError(2, "No such file"))
    assert poller.poll() is None  # stale figures are dropped, and the failure said
    assert poller.problem == "ipmitool: No such file"


def test_a_hung_bmc_is_killed_after_the_timeout(tmp_path: Path) -> None:
    clock = Clock()
    poller = IpmiPoller(_tool(tmp_path, "import time\ntime.sleep(60)"), clock=clock)
    poller.poll()
    proc = poller._proc
    assert proc is not None
    clock.now += ipmi.TIMEOUT_S + 1
    assert poller.poll() is None
    assert proc.returncode is not None  # killed and reaped
    assert poller.problem == f"ipmitool sdr: no answer within {ipmi.TIMEOUT_S:g} s"


def test_a_failing_tool_is_a_problem_not_figures(tmp_path: Path) -> None:
    clock = Clock()
    poller = IpmiPoller(_tool(tmp_path, "print('Inlet Temp | 20 degrees C | ok')\nraise "
                                        "SystemExit(1)"), clock=clock)
    poller.poll()
    _finish(poller)
    clock.now += 1
    assert poller.poll() is None
    assert poller.problem == "ipmitool sdr: exit 1"
    poller.close()
