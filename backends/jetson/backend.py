"""NVIDIA Jetson backend: sysfs first (no root), a long-running `tegrastats` as fallback."""

from __future__ import annotations

import shutil
from dataclasses import replace

from allsmi_py.backend import Availability, Backend
from allsmi_py.errors import BackendReadError, BackendUnavailable
from allsmi_py.model import DeviceReading
from allsmi_py.needs import DeviceTree, Tool
from backends._common.version import version_output
from backends.jetson.parse import (
    TegrastatsSample,
    gpu_temperature_c,
    module_power_w,
    parse_compatible,
    parse_tegrastats,
    sensor_name,
    tegrastats_details,
    total_power_w,
)
from backends.jetson.sysfs import JetsonSysfs, JetsonSysfsReading
from backends.jetson.tegrastats import LineStream

COMPATIBLE_PATH = "/proc/device-tree/compatible"
_DEFAULT_NAME = "NVIDIA Jetson"
TEGRA_COMPATIBLE = "nvidia,tegra"
# tegrastats has no version flag: the doctor only looks it up on PATH.
NEEDS = (
    DeviceTree(TEGRA_COMPATIBLE, "NVIDIA Jetson (Tegra) board", path=COMPATIBLE_PATH),
    Tool(("tegrastats",), (), version_output, optional=True,
         fix="optional when the GPU shows in /sys/class/devfreq: install L4T's tegrastats"),
)


def availability_from_compatible(path: str) -> Availability:
    """Yes when the device-tree `compatible` file at `path` names nvidia,tegra*."""
    try:
        with open(path, "rb") as handle:
            entries = parse_compatible(handle.read(4096))
    except OSError:
        return Availability.no(f"NVIDIA Jetson (Tegra) boards only: no {path}")
    if any(entry.startswith(TEGRA_COMPATIBLE) for entry in entries):
        return Availability.yes()
    return Availability.no(f"NVIDIA Jetson (Tegra) boards only: {path} has no nvidia,tegra")


def soc_reading(name: str, uuid: str, details: dict[str, str]) -> DeviceReading:
    """The board's one `soc` device with nothing read yet: what both sources start from."""
    return DeviceReading(backend="jetson", index=0, uuid=uuid, name=name, kind="soc",
                         vendor="NVIDIA", details=details)


def device_from_sysfs(reading: JetsonSysfsReading, name: str, uuid: str) -> DeviceReading:
    """One `soc` device from a sysfs pass: unified memory, module input power, GPU zone."""
    gpu_temp = None
    details: dict[str, str] = {"source": "sysfs"}
    for zone_type, celsius in reading.temperatures_c.items():
        details[f"temperature.{zone_type}_c"] = f"{celsius:g}"
        if gpu_temp is None and sensor_name(zone_type) == "gpu":
            gpu_temp = celsius
    for rail, watts in reading.rails_w.items():
        details[f"rail.{rail}_w"] = f"{watts:g}"
    if reading.gpu_governor:
        details["gpu_governor"] = reading.gpu_governor
    for engine, powered in reading.dla_powered.items():
        details[f"engine.{engine}"] = "on" if powered else "off"
    for engine, share in reading.dla_active_pct.items():
        details[f"engine.{engine}_active_pct"] = f"{share:.1f}"
    dla_pct = (sum(reading.dla_active_pct.values()) / len(reading.dla_active_pct)
               if reading.dla_active_pct else None)
    return replace(
        soc_reading(name, uuid, details),
        utilization_pct=reading.gpu_load_pct,
        memory_used_bytes=reading.memory_used_bytes,
        memory_total_bytes=reading.memory_total_bytes,
        temperature_c=gpu_temp,
        power_w=module_power_w(reading.rails_w),
        clock_graphics_mhz=reading.gpu_frequency_mhz,
        clock_graphics_max_mhz=reading.gpu_max_frequency_mhz,
        dla_utilization_pct=dla_pct,
    )


def device_from_tegrastats(sample: TegrastatsSample, name: str, uuid: str) -> DeviceReading:
    """One `soc` device from a tegrastats sample."""
    return replace(
        soc_reading(name, uuid, tegrastats_details(sample)),
        utilization_pct=sample.gpu_utilization_pct,
        memory_used_bytes=sample.ram_used_bytes,
        memory_total_bytes=sample.ram_total_bytes,
        temperature_c=gpu_temperature_c(sample.temperatures_c),
        power_w=total_power_w(sample.rails),
        clock_graphics_mhz=sample.gpu_frequency_mhz,
    )


class JetsonBackend(Backend, name="jetson", vendor="NVIDIA", needs=NEEDS, requirements=(
        "Linux on an NVIDIA Jetson (Tegra) board; reads sysfs without root, "
        "falls back to L4T's `tegrastats`")):
    """The Jetson SoC as one device: iGPU load and clock, unified memory, board power."""

    def __init__(
        self,
        root: str = "/",
        tegrastats_argv: list[str] | None = None,
        interval_ms: int = 1000,
        first_line_timeout_s: float = 3.0,
    ) -> None:
        self.root = root
        self.interval_ms = interval_ms
        self.first_line_timeout_s = first_line_timeout_s
        self._tegrastats_argv = tegrastats_argv
        self._sysfs: JetsonSysfs | None = None
        self._stream: LineStream | None = None
        self._name = _DEFAULT_NAME
        self._uuid = "jetson-0"

    @classmethod
    def available(cls) -> Availability:
        """Yes only on a Tegra device tree."""
        return availability_from_compatible(COMPATIBLE_PATH)

    def open(self) -> None:
        """Find the GPU in sysfs; without it, start `tegrastats --interval`."""
        sysfs = JetsonSysfs(self.root)
        self._name = sysfs.model() or _DEFAULT_NAME
        serial = sysfs.serial()
        self._uuid = f"jetson-{serial}" if serial else "jetson-0"
        if sysfs.devfreq is not None:
            self._sysfs = sysfs
            return
        argv = self._tegrastats_argv
        if argv is None:
            tool = shutil.which("tegrastats")
            if tool is None:
                raise BackendUnavailable(
                    "no Jetson GPU under /sys/class/devfreq and no `tegrastats` on PATH"
                )
            argv = [tool, "--interval", str(self.interval_ms)]
        self._stream = LineStream(argv, stale_after_s=max(10.0, 5 * self.interval_ms / 1000))
        self._stream.start()

    def read(self) -> list[DeviceReading]:
        """One pass over sysfs, or the newest tegrastats line."""
        if self._sysfs is not None:
            return [device_from_sysfs(self._sysfs.read(), self._name, self._uuid)]
        if self._stream is None:
            raise BackendReadError("jetson backend read before open()")
        line = self._stream.latest(self.first_line_timeout_s)
        try:
            sample = parse_tegrastats(line)
        except ValueError as exc:
            raise BackendReadError(f"tegrastats printed something unexpected: {exc}") from exc
        return [device_from_tegrastats(sample, self._name, self._uuid)]

    def close(self) -> None:
        """Stop tegrastats if it runs."""
        if self._stream is not None:
            self._stream.stop()
            self._stream = None

    def status_message(self) -> str:
        """Which source feeds the readings."""
        if self._sysfs is not None:
            return f"sysfs ({self._sysfs.devfreq})"
        return "tegrastats" if self._stream is not None else ""
