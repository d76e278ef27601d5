"""CPU package power from energy counters: RAPL (Intel, and AMD Zen) or amd_energy.

The kernel's powercap framework (Documentation/power/powercap/powercap.rst) exposes each
package as `sys/class/powercap/intel-rapl:N` (named `package-N`; sub-zones `intel-rapl:N:M`
are its core, uncore and DRAM parts and are not added again). `energy_uj` counts microjoules
and wraps to 0 past `max_energy_range_uj`. Since Linux 5.10 energy_uj is readable by root
only (CVE-2020-8694, "PLATYPUS": power readings leak what a CPU computes), so an ordinary
user gets EACCES and the reason is said instead of a figure. On AMD before RAPL was
exposed, the `amd_energy` hwmon driver gives `Esocket<N>` energy inputs in microjoules.
Power is the energy between two reads over the time between them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from allsmi_py.cpu_sensors.sysfs import SysfsTree

POWERCAP_DIR = "sys/class/powercap"
HWMON_DIR = "sys/class/hwmon"
_ZONE = re.compile(r"intel-rapl:(\d+)$")
_PACKAGE_NAME = re.compile(r"package-(\d+)$")
_AMD_SOCKET = re.compile(r"Esocket(\d+)$")
MAX_ENERGY_UJ = 2**64  # a 64-bit counter; anything larger is not one
ROOT_ONLY = ("RAPL energy_uj is readable by root only (Linux 5.10+, CVE-2020-8694): "
             "run as root or grant read access to {path}")
NO_COUNTER = "no RAPL package zone (powercap intel-rapl) or amd_energy sensor in sysfs"


@dataclass(frozen=True, slots=True)
class EnergyCounter:
    """One package's energy counter file, and the value it wraps at (None: not known)."""

    package: int
    path: str  # relative to the tree's root
    wraps_at_uj: int | None


@dataclass(frozen=True, slots=True)
class PackagePower:
    """Watts per package over the last interval, and why there is no figure where none is."""

    watts: dict[int, float] = field(default_factory=dict)
    unavailable_reason: str | None = None

    @property
    def total_w(self) -> float | None:
        """All packages together, only when each gave a figure."""
        return round(sum(self.watts.values()), 3) if self.watts and not self.unavailable_reason \
            else None


def energy_counters(tree: SysfsTree) -> list[EnergyCounter]:
    """The package counters this machine has: RAPL zones first, else amd_energy inputs."""
    counters: list[EnergyCounter] = []
    for name in tree.names(POWERCAP_DIR):
        zone = _ZONE.match(name)
        if zone is None:
            continue
        package_name = _PACKAGE_NAME.match(tree.text(f"{POWERCAP_DIR}/{name}/name") or "")
        if package_name is None:  # psys (the platform) is not a package
            continue
        wraps = tree.integer(f"{POWERCAP_DIR}/{name}/max_energy_range_uj")
        counters.append(EnergyCounter(int(package_name.group(1)),
                                      f"{POWERCAP_DIR}/{name}/energy_uj",
                                      wraps if wraps and wraps < MAX_ENERGY_UJ else None))
    if counters:
        return counters
    for _, device in tree.numbered(HWMON_DIR, "hwmon"):
        if tree.text(f"{HWMON_DIR}/{device}/name") != "amd_energy":
            continue
        for entry in tree.names(f"{HWMON_DIR}/{device}"):
            if not (entry.startswith("energy") and entry.endswith("_label")):
                continue
            socket = _AMD_SOCKET.match(tree.text(f"{HWMON_DIR}/{device}/{entry}") or "")
            if socket is not None:
                sensor = entry[: -len("_label")]
                counters.append(EnergyCounter(int(socket.group(1)),
                                              f"{HWMON_DIR}/{device}/{sensor}_input", None))
    return counters


def energy_delta_uj(previous: int, current: int, wraps_at_uj: int | None) -> int | None:
    """Microjoules between two counter values; across one wrap-around; None after a reset."""
    if current >= previous:
        return current - previous
    if wraps_at_uj is not None and previous <= wraps_at_uj:
        return wraps_at_uj - previous + current
    return None  # went back with no known range: the counter was reset


class PowerMeter:
    """Package power between successive `read`s (the first read only sets the baseline)."""

    def __init__(self, tree: SysfsTree, clock: Callable[[], float] = time.monotonic) -> None:
        self._tree = tree
        self._clock = clock
        self._counters = energy_counters(tree)
        self._last: dict[str, tuple[int, float]] = {}

    def read(self) -> PackagePower:
        """Watts per package since the previous read."""
        if not self._counters:
            return PackagePower(unavailable_reason=NO_COUNTER)
        watts: dict[int, float] = {}
        reason: str | None = None
        for counter in self._counters:
            value = self._tree.read(counter.path)
            now = self._clock()
            if isinstance(value, OSError):
                reason = reason or _why(value, self._tree.path(counter.path))
                continue
            if value is None or not value.isdigit() or len(value) > 20:
                reason = reason or f"{counter.path} holds no energy count"
                continue
            energy = int(value)
            before = self._last.get(counter.path)
            self._last[counter.path] = (energy, now)
            if before is None or now <= before[1]:
                continue
            delta = energy_delta_uj(before[0], energy, counter.wraps_at_uj)
            if delta is not None:
                watts[counter.package] = round(watts.get(counter.package, 0.0)
                                               + delta / 1e6 / (now - before[1]), 3)
        return PackagePower(watts, reason)


def _why(error: OSError, path: str) -> str:
    if isinstance(error, PermissionError):
        return ROOT_ONLY.format(path=path)
    return f"{path}: {error.strerror or error}"
