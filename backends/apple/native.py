"""The no-root Apple Silicon source: IOReport + SMC + IORegistry + NSProcessInfo + Mach VM.

IOReport is required (it is the GPU utilization, clock and power); the rest is optional and
a failure there only leaves its fields empty and says so in `problems`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from backends.apple.ioreport import (
    MIN_WINDOW_S,
    IOReportError,
    IOReportSampler,
    read_pmgr_properties,
)
from backends.apple.native_lib import KERN_SUCCESS, NativeLib
from backends.apple.parse import (
    VM_STATISTICS64,
    AppleSample,
    memory_used_bytes,
    sample_from_ioreport,
    select_frequency_tables,
    thermal_state_name,
)
from backends.apple.smc import SMC, SMCError

HOST_VM_INFO64 = 4
HOST_VM_INFO64_COUNT = VM_STATISTICS64.size // 4
SYSTEM_POWER_MAX_W = 2000.0  # a larger PSTR reading is a mistyped key (all-smi)


class NativeUnavailable(Exception):
    """The IOReport subscription failed: the native source cannot run here."""


@dataclass(frozen=True, slots=True)
class NativeReading:
    """One tick of the native source; None where not reported."""

    sample: AppleSample
    gpu_temperature_c: float | None = None
    cpu_temperature_c: float | None = None
    system_power_w: float | None = None
    memory_used_bytes: int | None = None
    problems: tuple[str, ...] = ()


class NativeSource:
    """Opens the native interfaces once and reads them once a tick."""

    def __init__(self, native: NativeLib, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._native = native
        self._sleep = sleep
        self._ioreport = IOReportSampler(native, clock)
        self._tables: dict[str, list[float]] = {}
        self._smc: SMC | None = None
        self._temperature_keys: dict[str, list[str]] = {"cpu": [], "gpu": []}
        self._process_info = 0
        self._thermal_state = 0
        self._host = 0
        self._page_size = 0
        self._last: AppleSample | None = None
        self._open_problems: list[str] = []

    def open(self) -> None:
        """Subscribe to IOReport (NativeUnavailable on failure), then the optional parts."""
        try:
            self._ioreport.open()
        except IOReportError as exc:
            raise NativeUnavailable(f"IOReport subscription failed: {exc}") from exc
        self._tables = select_frequency_tables(read_pmgr_properties(self._native))
        if "gpu" not in self._tables:
            self._open_problems.append("no GPU voltage-states table in IORegistry pmgr")
        smc = SMC(self._native)
        try:
            smc.open()
        except SMCError as exc:
            self._open_problems.append(f"SMC: {exc}")
        else:
            self._smc = smc
            self._temperature_keys = smc.discover_temperature_keys()
        self._open_thermal_state()
        native = self._native
        self._host = native.mach_host_self()
        kr, page_size = native.host_page_size(self._host) if self._host else (-1, 0)
        self._page_size = page_size if kr == KERN_SUCCESS else 0

    def _open_thermal_state(self) -> None:
        native = self._native
        cls = native.objc_getClass("NSProcessInfo")
        info_sel = native.sel_registerName("processInfo")
        # +processInfo returns the shared instance: nothing to release.
        self._process_info = native.objc_msgSend(cls, info_sel) if cls and info_sel else 0
        self._thermal_state = native.sel_registerName("thermalState")
        if not self._process_info or not self._thermal_state:
            self._open_problems.append("NSProcessInfo.thermalState is not available")
            self._process_info = 0

    def read(self) -> NativeReading:
        """One reading; IOReport trouble becomes empty fields and a problem, never a raise."""
        problems = list(self._open_problems)
        sample = self._read_ioreport(problems)
        gpu_c = cpu_c = power = None
        if self._smc is not None:
            gpu_c = self._smc.mean_temperature_c(self._temperature_keys["gpu"])
            cpu_c = self._smc.mean_temperature_c(self._temperature_keys["cpu"])
            power = self._smc.read("PSTR")
            if power is not None and not 0.0 <= power <= SYSTEM_POWER_MAX_W:
                power = None
        thermal = None
        if self._process_info:
            thermal = thermal_state_name(
                self._native.objc_msgSend(self._process_info, self._thermal_state))
        sample = replace(sample, thermal_pressure=thermal)
        return NativeReading(sample, gpu_c, cpu_c, power, self._memory_used(),
                             tuple(problems))

    def _read_ioreport(self, problems: list[str]) -> AppleSample:
        try:
            result = self._ioreport.delta()
            if result is None and self._last is None:
                # The first read came under MIN_WINDOW_S after open(): wait out the rest
                # once, and 1 ms more so that rounding cannot refuse the window again.
                self._sleep(max(0.0, MIN_WINDOW_S - self._ioreport.window_s()) + 0.001)
                result = self._ioreport.delta()
        except IOReportError as exc:
            problems.append(f"IOReport: {exc}")
            return AppleSample()
        if result is None:
            if self._last is None:
                problems.append("IOReport: no sample window yet")
                return AppleSample()
            return self._last  # window under MIN_WINDOW_S: the previous result stands
        channels, elapsed_s = result
        self._last = sample_from_ioreport(channels, elapsed_s, self._tables)
        return self._last

    def _memory_used(self) -> int | None:
        if not self._host or not self._page_size:
            return None
        kr, data = self._native.host_statistics64(self._host, HOST_VM_INFO64,
                                                  HOST_VM_INFO64_COUNT)
        return memory_used_bytes(data, self._page_size) if kr == KERN_SUCCESS else None

    @property
    def frequency_tables(self) -> Mapping[str, Sequence[float]]:
        """The MHz tables read from IORegistry at open()."""
        return self._tables

    def close(self) -> None:
        """Release IOReport and the SMC connection. Idempotent."""
        self._ioreport.close()
        if self._smc is not None:
            self._smc.close()
            self._smc = None
