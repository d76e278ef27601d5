"""Apple Silicon backend: the SoC as one device, read without root or from powermetrics.

The native path (`native.py`) needs no root: IOReport for GPU residency, clock and
CPU/GPU/ANE/DRAM power, the SMC for temperatures and system power, IORegistry for the
clock tables, NSProcessInfo for thermal pressure, Mach VM counters for used memory. When
its libraries cannot be loaded or the IOReport subscription fails, a root process falls
back to a `powermetrics` plist stream; anyone else gets the reason and how to fix it.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Literal

from allsmi_py.backend import Availability, Backend
from allsmi_py.details import apple
from allsmi_py.errors import BackendReadError, BackendUnavailable
from allsmi_py.model import DeviceReading
from allsmi_py.needs import Platform, Tool
from backends._common.version import version_output
from backends.apple.native import NativeReading, NativeSource, NativeUnavailable
from backends.apple.native_lib import NativeLib, load_native
from backends.apple.parse import AppleSample, parse_plist
from backends.apple.powermetrics import PlistStream

SAMPLERS = "cpu_power,gpu_power,ane_power,thermal"
NATIVE_SOURCE = "IOReport+SMC"
POWERMETRICS_SOURCE = "powermetrics"
# powermetrics has no version flag: the doctor only looks it up on PATH.
APPLE_SILICON = Platform("darwin", "arm64", "macOS on Apple Silicon")
NEEDS = (
    APPLE_SILICON,
    Tool(("powermetrics",), (), version_output, optional=True,
         fix="optional (the fallback as root): powermetrics ships with macOS in /usr/bin"),
)


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
    sample: AppleSample, name: str, memory_total_bytes: int | None, *,
    source: str = POWERMETRICS_SOURCE, temperature_c: float | None = None,
    memory_used_bytes: int | None = None, extra_details: Mapping[str, str] | None = None,
    problems: tuple[str, ...] = (),
) -> DeviceReading:
    """One `soc` device: GPU busy, clock, power and temperature, CPU clusters, memory."""
    details: dict[str, str] = {}
    apple.SOURCE.put(details, source)
    apple.HW_MODEL.put(details, sample.hw_model)
    for key, watts in ((apple.CPU_POWER_W, sample.cpu_power_w),
                       (apple.COMBINED_POWER_W, sample.combined_power_w),
                       (apple.DRAM_POWER_W, sample.dram_power_w),
                       (apple.GPU_SRAM_POWER_W, sample.gpu_sram_power_w)):
        key.put(details, watts)
    for cluster, count in sample.cluster_cores.items():
        apple.cluster_cores(cluster).put(details, count)
    for cluster, (mhz, busy) in sample.clusters.items():
        apple.cluster_mhz(cluster).put(details, mhz)
        # the busy share keeps two decimals, as powermetrics prints it
        apple.cluster_active_pct(cluster).put(details, None if busy is None else f"{busy:.2f}")
    details.update(extra_details or {})
    return DeviceReading(
        backend="apple",
        index=0,
        uuid=f"apple-{sample.hw_model or 'soc'}",
        name=name,
        kind="soc",
        vendor="Apple",
        utilization_pct=sample.gpu_utilization_pct,
        memory_used_bytes=memory_used_bytes,
        memory_total_bytes=memory_total_bytes,
        temperature_c=temperature_c,
        power_w=sample.gpu_power_w,
        clock_graphics_mhz=sample.gpu_frequency_mhz,
        ane_power_w=sample.ane_power_w,
        thermal_pressure=sample.thermal_pressure,
        details=details,
        problems=problems,
    )


def device_from_native(reading: NativeReading, name: str, hw_model: str | None,
                       memory_total_bytes: int | None) -> DeviceReading:
    """The device from one native reading; the CPU die temperature goes to details."""
    extra: dict[str, str] = {}
    if reading.cpu_temperature_c is not None:
        apple.CPU_TEMPERATURE_C.put(extra, f"{reading.cpu_temperature_c:.1f}")
    apple.SYSTEM_POWER_W.put(extra, reading.system_power_w)
    return device_from_sample(
        replace(reading.sample, hw_model=hw_model), name, memory_total_bytes,
        source=NATIVE_SOURCE, temperature_c=reading.gpu_temperature_c,
        memory_used_bytes=reading.memory_used_bytes, extra_details=extra,
        problems=reading.problems,
    )


class AppleBackend(Backend, name="apple", vendor="Apple", needs=NEEDS, requirements=(
        "macOS on Apple Silicon (arm64); no root needed (IOReport, SMC and IORegistry "
        "through ctypes); as root, `powermetrics` is the fallback")):
    """Apple Silicon SoC: GPU busy, clock, power and temperature, CPU clusters, memory."""

    def __init__(self, powermetrics_argv: list[str] | None = None,
                 interval_ms: int = 1000, first_sample_timeout_s: float = 3.0, *,
                 source: Literal["auto", "native", "powermetrics"] = "auto",
                 native_loader: Callable[[], NativeLib] = load_native,
                 sysctl_reader: Callable[[str], str | None] = sysctl,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval_ms = interval_ms
        self.first_sample_timeout_s = first_sample_timeout_s
        self.source = source
        self._argv = powermetrics_argv
        self._load_native = native_loader
        self._sysctl = sysctl_reader
        self._clock, self._sleep = clock, sleep
        self._native: NativeSource | None = None
        self._stream: PlistStream | None = None
        self._name = "Apple Silicon"
        self._hw_model: str | None = None
        self._memory_total: int | None = None
        self._fallback_reason = ""
        self._last_problems: tuple[str, ...] = ()

    @classmethod
    def available(cls) -> Availability:
        """Yes on macOS arm64; no with the reason elsewhere."""
        if sys.platform != APPLE_SILICON.system or platform.machine() != APPLE_SILICON.machine:
            return Availability.no("macOS on Apple Silicon only")
        return Availability.yes()

    def open(self) -> None:
        """Read the static facts, then open the native source or, as root, powermetrics."""
        self._name = self._sysctl("machdep.cpu.brand_string") or self._name
        self._hw_model = self._sysctl("hw.model")
        memsize = self._sysctl("hw.memsize")
        self._memory_total = int(memsize) if memsize and memsize.isdigit() else None
        reason = ""
        if self.source != "powermetrics":
            reason = self._open_native()
            if not reason:
                return
            if self.source == "native":
                raise BackendUnavailable(reason)
            if os.geteuid() != 0:
                raise BackendUnavailable(
                    f"{reason}; as root (sudo) allsmi reads `powermetrics` instead")
        elif self._argv is None and os.geteuid() != 0:
            raise BackendUnavailable("powermetrics needs root: run allsmi with sudo")
        self._fallback_reason = reason
        self._open_powermetrics()

    def _open_native(self) -> str:
        """Open the native source; the reason it cannot run, or "" when it runs."""
        try:
            native = self._load_native()
        except OSError as exc:
            return f"cannot load Apple's native libraries (IOKit, libIOReport): {exc}"
        source = NativeSource(native, self._clock, self._sleep)
        try:
            source.open()
        except NativeUnavailable as exc:
            return str(exc)
        self._native = source
        return ""

    def _open_powermetrics(self) -> None:
        argv = self._argv
        if argv is None:
            tool = shutil.which("powermetrics") or "/usr/bin/powermetrics"
            argv = [tool, "--samplers", SAMPLERS, "-f", "plist", "-i", str(self.interval_ms)]
        self._stream = PlistStream(argv, stale_after_s=max(10.0, 5 * self.interval_ms / 1000))
        self._stream.start()

    def read(self) -> list[DeviceReading]:
        """One device from the native source, or from the newest powermetrics sample."""
        if self._native is not None:
            reading = self._native.read()
            self._last_problems = reading.problems
            return [device_from_native(reading, self._name, self._hw_model,
                                       self._memory_total)]
        if self._stream is None:
            raise BackendReadError("apple backend read before open()")
        data = self._stream.latest(self.first_sample_timeout_s)
        try:
            sample = parse_plist(data)
        except ValueError as exc:
            raise BackendReadError(str(exc)) from exc
        return [device_from_sample(sample, self._name, self._memory_total)]

    def close(self) -> None:
        """Release the native source or stop powermetrics. Idempotent."""
        if self._native is not None:
            self._native.close()
            self._native = None
        if self._stream is not None:
            self._stream.stop()
            self._stream = None

    def status_message(self) -> str:
        """The data source, and what is missing from it or why it is the fallback."""
        if self._native is not None:
            problems = "; ".join(self._last_problems)
            return f"{NATIVE_SOURCE} ({problems})" if problems else NATIVE_SOURCE
        if self._stream is not None:
            why = f" (native path: {self._fallback_reason})" if self._fallback_reason else ""
            return POWERMETRICS_SOURCE + why
        return ""
