"""Each CPU package's temperature from hwmon (Documentation/hwmon/{coretemp,k10temp}.rst).

coretemp (Intel) has one hwmon device per package whose `Package id N` input is the
package's own sensor. k10temp and zenpower (AMD) have one device per socket, in the order
the kernel found them; Tdie is the die temperature, Tctl the control value that some Zen
parts offset by up to 49 C, so Tdie is preferred where both are given.
"""

from __future__ import annotations

import re

from allsmi_py.cpu_sensors.sysfs import SysfsTree

HWMON_DIR = "sys/class/hwmon"
MAX_SENSORS = 256  # temp1..tempN inputs looked at per device
_PACKAGE_LABEL = re.compile(r"Package id (\d+)$")
_AMD_DRIVERS = ("k10temp", "zenpower")
_AMD_LABELS = ("Tdie", "Tctl")
_LOWEST_C, _HIGHEST_C = -40.0, 200.0


def package_temperatures_c(tree: SysfsTree) -> dict[int, float]:
    """Package id -> temperature in C, from the first CPU driver that reports any."""
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


def _inputs(tree: SysfsTree, device: str) -> dict[str, float]:
    """Label (or 'tempN' where unlabelled) -> degrees C of one hwmon device's inputs."""
    found: dict[str, float] = {}
    for name in tree.names(f"{HWMON_DIR}/{device}")[:MAX_SENSORS * 8]:
        if not (name.startswith("temp") and name.endswith("_input")):
            continue
        sensor = name[: -len("_input")]
        millidegrees = tree.integer(f"{HWMON_DIR}/{device}/{name}")
        if millidegrees is None:
            continue
        degrees = millidegrees / 1000.0
        if _LOWEST_C <= degrees <= _HIGHEST_C:
            label = tree.text(f"{HWMON_DIR}/{device}/{sensor}_label") or sensor
            found.setdefault(label, degrees)
    return found


def _coretemp(tree: SysfsTree, devices: list[str]) -> dict[int, float]:
    temps: dict[int, float] = {}
    for order, device in enumerate(devices):
        inputs = _inputs(tree, device)
        package = None
        for label, degrees in inputs.items():
            match = _PACKAGE_LABEL.match(label)
            if match:
                package = int(match.group(1))
                temps[package] = degrees
        if package is None and inputs:  # old kernels label no package input: its hottest core
            temps.setdefault(order, max(inputs.values()))
    return temps


def _amd(tree: SysfsTree, devices: list[str]) -> dict[int, float]:
    temps: dict[int, float] = {}
    for socket, device in enumerate(devices):
        inputs = _inputs(tree, device)
        chosen = next((inputs[label] for label in _AMD_LABELS if label in inputs), None)
        if chosen is None and inputs:
            chosen = inputs.get("temp1", max(inputs.values()))
        if chosen is not None:
            temps[socket] = chosen
    return temps
