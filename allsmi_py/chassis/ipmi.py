"""`ipmitool sdr`: its sensor table parsed, and a poller that never blocks a tick.

ipmitool prints one sensor a line, `name | reading unit | status`, e.g.
`Inlet Temp       | 24 degrees C      | ok` or `Pwr Consumption  | 280 Watts | ok`; a sensor
without a reading says `no reading` or `disabled`. Names differ by vendor (Dell "Inlet Temp" /
"Exhaust Temp" / "Pwr Consumption", HPE "01-Inlet Ambient" / "Power Meter", Lenovo "Ambient
Temp" / "Sys Power", Supermicro "PS1 Input Power"), hence the word lists below.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from allsmi_py.model_chassis import ChassisFan

MAX_OUTPUT_BYTES = 64 * 1024  # one pipe buffer; a BMC with 300 sensors prints ~30 KB
MAX_SENSORS = 2048
MAX_FANS = 64
TIMEOUT_S = 5.0
EVERY_S = 30.0  # BMC sensors refresh every few seconds; a BMC is slow to ask
_LINE = re.compile(r"^([^|]{1,64}?)\s*\|\s*(-?\d+(?:\.\d+)?)\s+([A-Za-z ]{1,24}?)\s*\|\s*(\w+)")
_INLET = ("inlet", "ambient")
_OUTLET = ("exhaust", "outlet")
_POWER = ("pwr consumption", "power consumption", "power meter", "sys power", "total power",
          "system power")


@dataclass(frozen=True, slots=True)
class Sensor:
    """One sensor with a reading: its name, value and unit as ipmitool prints them."""

    name: str
    value: float
    unit: str  # "degrees C", "Watts", "RPM" ...


@dataclass(frozen=True, slots=True)
class IpmiFigures:
    """The chassis figures found among a BMC's sensors; None where it has none."""

    inlet_c: float | None = None
    outlet_c: float | None = None
    power_w: float | None = None
    fans: tuple[ChassisFan, ...] = ()


def parse_sdr(text: str) -> list[Sensor]:
    """The sensors of `ipmitool sdr` output that have a numeric reading."""
    sensors: list[Sensor] = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None or match.group(4).lower() in ("ns", "na"):
            continue
        sensors.append(Sensor(match.group(1).strip(), float(match.group(2)),
                              match.group(3).strip()))
        if len(sensors) >= MAX_SENSORS:
            break
    return sensors


def _first(sensors: Sequence[Sensor], words: tuple[str, ...], unit: str, low: float,
           high: float) -> float | None:
    for sensor in sensors:
        name = sensor.name.lower()
        if sensor.unit.lower() == unit and any(w in name for w in words) \
                and low <= sensor.value <= high:
            return sensor.value
    return None


def figures(sensors: Sequence[Sensor]) -> IpmiFigures:
    """Inlet and outlet air (°C), whole-system power (W) and fans (RPM) the BMC reports."""
    fans = [s for s in sensors if s.unit.lower() == "rpm" and 0.0 <= s.value <= 100_000.0]
    return IpmiFigures(
        inlet_c=_first(sensors, _INLET, "degrees c", -40.0, 100.0),
        outlet_c=_first(sensors, _OUTLET, "degrees c", -40.0, 150.0),
        power_w=_first(sensors, _POWER, "watts", 0.0, 100_000.0),
        # fan_id: the fan's place in the BMC's list, as names repeat on some boards
        fans=tuple(ChassisFan(str(i), s.name, s.value) for i, s in enumerate(fans[:MAX_FANS])),
    )


Spawn = Callable[[Sequence[str]], "subprocess.Popen[bytes]"]


def _spawn(argv: Sequence[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True)


class IpmiPoller:
    """Runs `ipmitool sdr` every EVERY_S beside the ticks and keeps its latest figures.

    `poll()` is called once a tick: it harvests a finished run, kills one past TIMEOUT_S,
    starts the next when due, and returns the latest figures (kept for 3 x EVERY_S, then
    dropped as stale). It never waits for the tool.
    """

    def __init__(self, argv: Sequence[str] = ("ipmitool", "sdr"), spawn: Spawn = _spawn,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._argv = tuple(argv)
        self._spawn = spawn
        self._clock = clock
        self._proc: subprocess.Popen[bytes] | None = None
        self._started = 0.0
        self._next = 0.0
        self._latest: IpmiFigures | None = None
        self._latest_at = 0.0
        self.problem: str | None = None

    def poll(self) -> IpmiFigures | None:
        """The latest figures; starts or harvests a run as due, never blocking."""
        now = self._clock()
        if self._proc is not None:
            self._harvest(now)
        if self._proc is None and now >= self._next:
            try:
                self._proc = self._spawn(self._argv)
                self._started = now
            except OSError as exc:
                self.problem = f"ipmitool: {exc.strerror or exc}"
            self._next = now + EVERY_S
        if self._latest is not None and now - self._latest_at > 3 * EVERY_S:
            self._latest = None
        return self._latest

    def _harvest(self, now: float) -> None:
        proc = self._proc
        assert proc is not None
        if proc.poll() is None:
            if now - self._started > TIMEOUT_S:
                self._kill(proc)
                self.problem = f"ipmitool sdr: no answer within {TIMEOUT_S:g} s"
            return
        self._proc = None
        out = proc.stdout.read(MAX_OUTPUT_BYTES + 1) if proc.stdout is not None else b""
        if proc.stdout is not None:
            proc.stdout.close()
        if proc.returncode != 0 or len(out) > MAX_OUTPUT_BYTES:
            self.problem = (f"ipmitool sdr: exit {proc.returncode}" if proc.returncode
                            else "ipmitool sdr: output over 64 KiB, ignored")
            return
        self._latest = figures(parse_sdr(out.decode("utf-8", errors="replace")))
        self._latest_at = now
        self.problem = None

    def _kill(self, proc: subprocess.Popen[bytes]) -> None:
        try:
            os.killpg(proc.pid, 9)
        except OSError:
            proc.kill()
        proc.wait(timeout=1.0)
        if proc.stdout is not None:
            proc.stdout.close()
        self._proc = None

    def close(self) -> None:
        """Kill a run still going."""
        if self._proc is not None and self._proc.poll() is None:
            self._kill(self._proc)
