"""Reading Jetson telemetry from sysfs and procfs under a configurable root directory.

Paths follow jetson_stats (`jtop/core/gpu.py`, `power.py`): the GPU is the devfreq device
whose `of_node/name` is a known iGPU name, thermal zones are chosen by `type` (never by
number), and power rails come from every INA3221 hwmon channel.

DLA engines (`*.nvdla0`, `*.nvdla1` platform devices under host1x on Xavier and Orin) have no
load counter outside root-only debugfs. What sysfs does give without root is the kernel's
runtime-PM accounting (Documentation/ABI/testing/sysfs-devices-power: `runtime_status`,
`runtime_active_time` and `runtime_suspended_time` in ms): the driver powers a DLA up for
submitted work and suspends it after an idle delay, so the active share of an interval is an
upper bound on its busy time. That share is what we report as DLA utilization.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field

from allsmi_py.units import hz_to_mhz, millidegrees_to_c, permille_to_pct
from backends._common.sysfs import hwmon_dirs, read_int, read_text
from backends.jetson.parse import (
    GPU_OF_NODE_NAMES,
    ina3221_rail_power_w,
    is_placeholder_sensor,
    is_real_rail,
    parse_meminfo,
    runtime_active_pct,
)


@dataclass(frozen=True, slots=True)
class JetsonSysfsReading:
    """One pass over Jetson sysfs, in percent, MHz, °C, W and bytes."""

    gpu_load_pct: float | None = None
    gpu_frequency_mhz: float | None = None
    gpu_max_frequency_mhz: float | None = None
    gpu_governor: str | None = None
    temperatures_c: dict[str, float] = field(default_factory=dict)  # by thermal zone type
    rails_w: dict[str, float] = field(default_factory=dict)
    memory_total_bytes: int | None = None
    memory_used_bytes: int | None = None
    dla_powered: dict[str, bool] = field(default_factory=dict)  # by engine name, e.g. nvdla0
    dla_active_pct: dict[str, float] = field(default_factory=dict)  # since the previous read


class JetsonSysfs:
    """Finds the Jetson GPU's sysfs files under `root` once, then reads them each tick."""

    def __init__(self, root: str = "/") -> None:
        self.root = root
        self.devfreq = self._find_gpu_devfreq()
        self.dla_devices = self._find_dla_devices()
        self._dla_times: dict[str, tuple[int, int]] = {}
        self._dla()  # baseline, so the first read() already covers an interval

    def _path(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    def _find_gpu_devfreq(self) -> str | None:
        for devfreq in sorted(glob.glob(self._path("sys/class/devfreq/*"))):
            name = read_text(os.path.join(devfreq, "device", "of_node", "name"))
            if name is not None and name in GPU_OF_NODE_NAMES:
                return devfreq
        return None

    def _find_dla_devices(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for device in sorted(glob.glob(self._path("sys/bus/platform/devices/*.nvdla[0-9]"))):
            found[os.path.basename(device).rsplit(".", 1)[1]] = device
        return found

    def model(self) -> str | None:
        """Board model from the device tree, e.g. 'NVIDIA Jetson AGX Orin Developer Kit'."""
        return read_text(self._path("proc/device-tree/model"))

    def serial(self) -> str | None:
        """Board serial number from the device tree, when published."""
        return read_text(self._path("proc/device-tree/serial-number"))

    def read(self) -> JetsonSysfsReading:
        """Read GPU load and clocks, temperatures, rails and memory once."""
        load = freq = max_freq = None
        governor = None
        if self.devfreq is not None:
            # `load` lives on the GPU device and is per mille; devfreq clocks are in Hz.
            load = permille_to_pct(read_int(os.path.join(self.devfreq, "device", "load")))
            freq = hz_to_mhz(read_int(os.path.join(self.devfreq, "cur_freq")))
            max_freq = hz_to_mhz(read_int(os.path.join(self.devfreq, "max_freq")))
            governor = read_text(os.path.join(self.devfreq, "governor"))
        meminfo = read_text(self._path("proc/meminfo"))
        total, used = parse_meminfo(meminfo) if meminfo else (None, None)
        dla_powered, dla_active_pct = self._dla()
        return JetsonSysfsReading(
            gpu_load_pct=load,
            gpu_frequency_mhz=freq,
            gpu_max_frequency_mhz=max_freq,
            gpu_governor=governor,
            temperatures_c=self._temperatures(),
            rails_w=self._rails(),
            memory_total_bytes=total,
            memory_used_bytes=used,
            dla_powered=dla_powered,
            dla_active_pct=dla_active_pct,
        )

    def _dla(self) -> tuple[dict[str, bool], dict[str, float]]:
        """Per DLA engine: powered up now, and its active share since the previous read."""
        powered: dict[str, bool] = {}
        active_pct: dict[str, float] = {}
        for engine, device in self.dla_devices.items():
            power = os.path.join(device, "power")
            status = read_text(os.path.join(power, "runtime_status"))
            if status is not None:
                powered[engine] = status == "active"
            active = read_int(os.path.join(power, "runtime_active_time"))
            suspended = read_int(os.path.join(power, "runtime_suspended_time"))
            if active is None or suspended is None:
                continue
            before = self._dla_times.get(engine)
            self._dla_times[engine] = (active, suspended)
            share = None if before is None else runtime_active_pct(before, (active, suspended))
            if share is not None:
                active_pct[engine] = share
        return powered, active_pct

    def _temperatures(self) -> dict[str, float]:
        temps: dict[str, float] = {}
        pattern = self._path("sys/devices/virtual/thermal/thermal_zone*")
        for zone in sorted(glob.glob(pattern)):
            zone_type = read_text(os.path.join(zone, "type"))
            if not zone_type or is_placeholder_sensor(zone_type):
                continue
            # A power-gated sensor fails to read (OSError): it is offline, not at 0 °C.
            celsius = millidegrees_to_c(read_int(os.path.join(zone, "temp"), signed=True))
            if celsius is not None:
                temps[zone_type] = celsius
        return temps

    def _rails(self) -> dict[str, float]:
        rails: dict[str, float] = {}
        for device in sorted(glob.glob(self._path("sys/bus/i2c/devices/*"))):
            if "ina3221" not in (read_text(os.path.join(device, "name")) or ""):
                continue
            for folder in hwmon_dirs(device):
                rails.update(_ina3221_rails(folder))
        return rails


def _ina3221_rails(folder: str) -> dict[str, float]:
    """Power in W of each connected channel of one INA3221 hwmon folder, by label."""
    rails: dict[str, float] = {}
    for label_path in sorted(glob.glob(os.path.join(glob.escape(folder), "in*_label"))):
        label = read_text(label_path)
        if label is None or not is_real_rail(label):
            continue
        channel = os.path.basename(label_path)[2:].split("_")[0]
        millivolts = read_int(os.path.join(folder, f"in{channel}_input"))
        # The INA3221 shunt reading is signed: an idle rail can show a few mA below zero.
        milliamps = read_int(os.path.join(folder, f"curr{channel}_input"), signed=True)
        if millivolts is not None and milliamps is not None:
            rails[label] = ina3221_rail_power_w(millivolts, milliamps)
    return rails
