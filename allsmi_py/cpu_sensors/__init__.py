"""The CPU as all-smi shows it, per socket: utilization, clock, temperature and power.

Read from sysfs under a root folder (tests use fixture trees): the socket of each logical
CPU (topology.py), each package's temperature (temperatures.py) and power (rapl.py). The
host reader (allsmi_py/host.py) gives the per-core utilization it measured with psutil.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from allsmi_py.cpu_sensors.rapl import PowerMeter
from allsmi_py.cpu_sensors.sysfs import ByteReader, SysfsTree, read_capped
from allsmi_py.cpu_sensors.temperatures import find_package_sensors, read_temperatures_c
from allsmi_py.cpu_sensors.topology import cpu_frequencies_mhz, cpu_packages
from allsmi_py.model import CpuSocketReading

__all__ = ["CLOCK_REFRESH_S", "CpuSensors", "SocketsReading"]

CLOCK_REFRESH_S = 1.0
"""Clocks are read again at most this often: one file per logical CPU is the costly part
(256 CPUs at a 0.25 s refresh would be a thousand reads a second)."""


@dataclass(frozen=True, slots=True)
class SocketsReading:
    """What the sensors say this tick, ready for CpuReading's fields."""

    sockets: tuple[CpuSocketReading, ...] = ()
    per_core_socket_index: tuple[int, ...] = ()
    power_w: float | None = None
    power_unavailable_reason: str | None = None
    temperature_c: float | None = None  # the hottest package


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


class CpuSensors:
    """Per-socket CPU readings; power is measured between successive reads."""

    def __init__(self, root: str = "/", reader: ByteReader = read_capped,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._tree = SysfsTree(root, reader)
        self._packages = cpu_packages(self._tree)  # CPUs do not change sockets while we run
        self._cpus = sorted(self._packages)
        self._thermal = find_package_sensors(self._tree)
        self._clock = clock
        self._clocks: dict[int, float] = {}
        self._clocks_at: float | None = None
        self._power = PowerMeter(self._tree, clock)
        self._power.read()  # the baseline, so the first reading already has a figure

    def _current_clocks(self) -> dict[int, float]:
        now = self._clock()
        if self._clocks_at is None or not 0 <= now - self._clocks_at < CLOCK_REFRESH_S:
            self._clocks = cpu_frequencies_mhz(self._tree, self._cpus)
            self._clocks_at = now
        return self._clocks

    def read(self, per_core_pct: Sequence[float]) -> SocketsReading:
        """This tick's sockets; `per_core_pct` is psutil's per-CPU list (online CPUs in order)."""
        power = self._power.read()
        temps = read_temperatures_c(self._tree, self._thermal)
        clocks = self._current_clocks()
        ids = sorted(set(self._packages.values()) | set(temps) | set(power.watts))
        # psutil lists the online CPUs in order, as the topology folders do; a CPU going
        # offline while we run makes the two disagree, and then no per-socket share is given.
        matched = len(per_core_pct) == len(self._cpus)
        sockets = []
        for package in ids:
            cpus = [cpu for cpu in self._cpus if self._packages[cpu] == package]
            sockets.append(CpuSocketReading(
                index=package,
                utilization_pct=_mean([per_core_pct[i] for i, cpu in enumerate(self._cpus)
                                       if self._packages[cpu] == package]) if matched else None,
                frequency_mhz=_mean([clocks[cpu] for cpu in cpus if cpu in clocks]),
                temperature_c=temps.get(package),
                power_w=power.watts.get(package),
            ))
        return SocketsReading(
            sockets=tuple(sockets),
            per_core_socket_index=tuple(self._packages[cpu] for cpu in self._cpus)
            if matched else (),
            power_w=power.total_w,
            power_unavailable_reason=power.unavailable_reason,
            temperature_c=max(temps.values()) if temps else None,
        )
