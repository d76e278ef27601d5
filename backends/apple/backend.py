"""Apple Silicon backend: the SoC as one device, from a root `powermetrics` plist stream.

IOReport/SMC through ctypes (no root) is decoded by `parse.py` but its I/O is not built yet,
so without root this backend says how to run it instead of guessing.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from typing import ClassVar

from allsmi_py.backend import Availability, Backend
from allsmi_py.errors import BackendReadError, BackendUnavailable
from allsmi_py.model import DeviceReading
from backends.apple.parse import AppleSample, parse_plist
from backends.apple.powermetrics import PlistStream

SAMPLERS = "cpu_power,gpu_power,ane_power,thermal"


def sysctl(name: str, timeout_s: float = 2.0) -> str | None:
    """`sysctl -n NAME` as text, or None when it fails or hangs."""
    try:
        done = subprocess.run(
            ["sysctl", "-n", name], capture_output=True, text=True, timeout=timeout_s,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def device_from_sample(
    sample: AppleSample, name: str, memory_total_bytes: int | None
) -> DeviceReading:
    """One `soc` device: GPU busy and clock, CPU/GPU/ANE power, unified memory total."""
    details = {"source": "powermetrics"}
    if sample.hw_model:
        details["hw_model"] = sample.hw_model
    for label, watts in (("cpu_power_w", sample.cpu_power_w),
                         ("combined_power_w", sample.combined_power_w)):
        if watts is not None:
            details[label] = f"{watts:g}"
    for cluster, (mhz, busy) in sample.clusters.items():
        if mhz is not None:
            details[f"cluster.{cluster}_mhz"] = f"{mhz:g}"
        if busy is not None:
            details[f"cluster.{cluster}_active_pct"] = f"{busy:.2f}"
    return DeviceReading(
        backend="apple",
        index=0,
        uuid=f"apple-{sample.hw_model or 'soc'}",
        name=name,
        kind="soc",
        vendor="Apple",
        utilization_pct=sample.gpu_utilization_pct,
        memory_total_bytes=memory_total_bytes,
        power_w=sample.gpu_power_w,
        clock_graphics_mhz=sample.gpu_frequency_mhz,
        ane_power_w=sample.ane_power_w,
        thermal_pressure=sample.thermal_pressure,
        details=details,
    )


class AppleBackend(Backend):
    """Apple Silicon SoC: GPU utilization and clock, CPU/GPU/ANE power, thermal pressure."""

    name: ClassVar[str] = "apple"
    vendor: ClassVar[str] = "Apple"
    requirements: ClassVar[str] = (
        "macOS on Apple Silicon (arm64); `powermetrics` run as root (sudo)"
    )

    def __init__(self, powermetrics_argv: list[str] | None = None,
                 interval_ms: int = 1000, first_sample_timeout_s: float = 3.0) -> None:
        self.interval_ms = interval_ms
        self.first_sample_timeout_s = first_sample_timeout_s
        self._argv = powermetrics_argv
        self._stream: PlistStream | None = None
        self._name = "Apple Silicon"
        self._memory_total: int | None = None

    @classmethod
    def available(cls) -> Availability:
        """Yes on macOS arm64; no with the reason elsewhere."""
        if sys.platform != "darwin" or platform.machine() != "arm64":
            return Availability.no("macOS on Apple Silicon only")
        return Availability.yes()

    def open(self) -> None:
        """Read the chip name and memory size, then start powermetrics."""
        argv = self._argv
        if argv is None:
            tool = shutil.which("powermetrics") or "/usr/bin/powermetrics"
            if os.geteuid() != 0:
                raise BackendUnavailable(
                    "powermetrics needs root: run allsmi with sudo (the IOReport path "
                    "without root is not available yet)"
                )
            argv = [tool, "--samplers", SAMPLERS, "-f", "plist", "-i", str(self.interval_ms)]
            self._name = sysctl("machdep.cpu.brand_string") or self._name
            memsize = sysctl("hw.memsize")
            self._memory_total = int(memsize) if memsize and memsize.isdigit() else None
        self._stream = PlistStream(argv, stale_after_s=max(10.0, 5 * self.interval_ms / 1000))
        self._stream.start()

    def read(self) -> list[DeviceReading]:
        """The newest powermetrics sample as one device."""
        if self._stream is None:
            raise BackendReadError("apple backend read before open()")
        data = self._stream.latest(self.first_sample_timeout_s)
        try:
            sample = parse_plist(data)
        except ValueError as exc:
            raise BackendReadError(str(exc)) from exc
        return [device_from_sample(sample, self._name, self._memory_total)]

    def close(self) -> None:
        """Stop powermetrics."""
        if self._stream is not None:
            self._stream.stop()
            self._stream = None

    def status_message(self) -> str:
        """The data source."""
        return "powermetrics" if self._stream is not None else ""
