"""Each CPU package's temperature from hwmon (Documentation/hwmon/{coretemp,k10temp}.rst).

coretemp (Intel) has one hwmon device per package whose `Package id N` input is the
package's own sensor. k10temp and zenpower (AMD) have one device per socket, in the order
the kernel found them; Tdie is the die temperature, Tctl the control value that some Zen
parts offset by up to 49 C, so Tdie is preferred where both are given. The sensors are
found once (`find_package_sensors`); a tick reads only the files chosen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from allsmi_py.cpu_sensors.sysfs import SysfsTree

HWMON_DIR = "sys/class/hwmon"
MAX_INPUTS = 256  # temperature inputs looked at per device
_PACKAGE_LABEL = re.compile(r"Package id (\d+)$")
_AMD_DRIVERS = ("k10temp", "zenpower")
_AMD_LABELS = ("Tdie", "Tctl")
_LOWEST_C, _HIGHEST_C = -40.0, 200.0


@dataclass(frozen=True, slots=True)
class PackageSensor:
    """The files that give one package's temperature: the first of `preferred` that reads,
    else the hottest of `others` (a package whose own sensor fails shows its hottest core)."""

    preferred: tuple[str, ...]
    others: tuple[str, ...] = ()


def find_package_sensors(tree: SysfsTree) -> dict[int, PackageSensor]:
    """Package id -> its sensor files, from the first CPU driver that has any."""
    devices = [(name, tree.text(f"{HWMON_DIR}/{name}/name"))
               for _, name in tree.numbered(HWMON_DIR, "hwmon")]
    intel = _coretemp(tree, [name for name, driver in devices if driver == "coretemp"])
    if intel:
        return intel
    for driver in _AMD_DRIVERS:
        amd = _amd(tree, [name for name, found in devices if found == driver])
        if amd:
            return amd
    return {}


def read_temperatures_c(tree: SysfsTree, sensors: dict[int, PackageSensor]) -> dict[int, float]:
    """Package id -> degrees C now, for each package whose sensor reads a plausible value."""
    temps: dict[int, float] = {}
    for package, sensor in sensors.items():
        value = next((t for t in map(lambda p: _degrees(tree, p), sensor.preferred)
                      if t is not None), None)
        if value is None:
            others = [t for t in (_degrees(tree, p) for p in sensor.others) if t is not None]
            value = max(others) if others else None
        if value is not None:
            temps[package] = value
    return temps


def _degrees(tree: SysfsTree, path: str) -> float | None:
    millidegrees = tree.integer(path)
    if millidegrees is None:
        return None
    degrees = millidegrees / 1000.0
    return degrees if _LOWEST_C <= degrees <= _HIGHEST_C else None


def _inputs(tree: SysfsTree, device: str) -> dict[str, str]:
    """Label (or 'tempN' where unlabelled) -> input file, of one hwmon device."""
    found: dict[str, str] = {}
    names = [n for n in tree.names(f"{HWMON_DIR}/{device}")
             if n.startswith("temp") and n.endswith("_input")]
    for name in names[:MAX_INPUTS]:
        sensor = name[: -len("_input")]
        label = tree.text(f"{HWMON_DIR}/{device}/{sensor}_label") or sensor
        found.setdefault(label, f"{HWMON_DIR}/{device}/{name}")
    return found


def _coretemp(tree: SysfsTree, devices: list[str]) -> dict[int, PackageSensor]:
    sensors: dict[int, PackageSensor] = {}
    for order, device in enumerate(devices):
        inputs = _inputs(tree, device)
        packages = [(int(m.group(1)), path) for label, path in inputs.items()
                    if (m := _PACKAGE_LABEL.match(label))]
        cores = tuple(path for label, path in inputs.items() if not _PACKAGE_LABEL.match(label))
        package = packages[0][0] if packages else order  # old kernels label no package input
        if inputs:
            sensors[package] = PackageSensor(tuple(p for _, p in packages[:1]), cores)
    return sensors


def _amd(tree: SysfsTree, devices: list[str]) -> dict[int, PackageSensor]:
    sensors: dict[int, PackageSensor] = {}
    for socket, device in enumerate(devices):
        inputs = _inputs(tree, device)
        if inputs:
            preferred = tuple(inputs[label] for label in _AMD_LABELS if label in inputs)
            if not preferred and "temp1" in inputs:
                preferred = (inputs["temp1"],)
            others = tuple(p for p in inputs.values() if p not in preferred)
            sensors[socket] = PackageSensor(preferred, others)
    return sensors
