"""Processes on a GPU: NVML's compute and graphics lists, described by psutil."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

import psutil

from allsmi_py.model import ProcessReading
from backends.nvidia.nvml import DeviceCalls

T = TypeVar("T")


def _try(getter: Callable[[], T]) -> T | None:
    try:
        return getter()
    except (psutil.AccessDenied, psutil.ZombieProcess, OSError):
        return None


class HostProcesses:
    """psutil lookups for the pids NVML names, shared by all GPUs within a tick.

    Keeps each psutil.Process between ticks so cpu_percent() has a baseline to measure from.
    """

    def __init__(self) -> None:
        self._procs: dict[int, psutil.Process] = {}
        self._tick: dict[int, dict[str, Any]] = {}

    def begin_tick(self) -> None:
        """Forget the previous tick's descriptions (not the psutil handles)."""
        self._tick = {}

    def end_tick(self) -> None:
        """Drop handles of processes that no GPU reported this tick."""
        for pid in [p for p in self._procs if p not in self._tick]:
            del self._procs[pid]

    def describe(self, pid: int) -> dict[str, Any]:
        """User, name, command, CPU %, RSS, start, parent pid; {} when the pid is not visible."""
        if pid in self._tick:
            return self._tick[pid]
        self._tick[pid] = info = self._describe(pid)
        return info

    def _describe(self, pid: int) -> dict[str, Any]:
        proc = self._procs.get(pid)
        fresh = proc is None or not proc.is_running()  # is_running() also catches pid reuse
        try:
            if fresh:
                proc = psutil.Process(pid)
            assert proc is not None
            with proc.oneshot():
                cmdline = _try(proc.cmdline)
                memory = _try(proc.memory_info)
                cpu = _try(lambda: proc.cpu_percent(None))
                info = {
                    "name": _try(proc.name),
                    "user": _try(proc.username),
                    "command": " ".join(cmdline) if cmdline else None,
                    "host_memory_bytes": None if memory is None else int(memory.rss),
                    "started_at_s": _try(proc.create_time),
                    "ppid": _try(proc.ppid),
                    # psutil's first cpu_percent() has nothing to compare with and reads 0.0.
                    "cpu_pct": None if fresh else cpu,
                }
        except psutil.NoSuchProcess:
            # Another pid namespace (a container): NVML still knows the process's GPU memory.
            self._procs.pop(pid, None)
            return {}
        self._procs[pid] = proc
        return info


def _merge(compute: Iterable[Any], graphics: Iterable[Any]) -> dict[int, tuple[str, int | None]]:
    merged: dict[int, tuple[str, int | None]] = {}
    for kind, entries in (("compute", compute), ("graphics", graphics)):
        for entry in entries:
            pid = int(entry.pid)
            used = entry.usedGpuMemory  # None under Windows WDDM
            used = None if used is None else int(used)
            if pid not in merged:
                merged[pid] = (kind, used)
                continue
            old_kind, old_used = merged[pid]
            both = old_kind if old_kind == kind else "compute+graphics"
            known = [u for u in (old_used, used) if u is not None]
            merged[pid] = (both, max(known) if known else None)
    return merged


class ProcessReader:
    """Per-device process lists and per-process SM utilization across ticks."""

    def __init__(self, host: HostProcesses) -> None:
        self.host = host
        self._last_sample_us: dict[Hashable, int] = {}

    def read(self, calls: DeviceCalls) -> tuple[ProcessReading, ...]:
        """Every process on the device, merged by pid with the larger GPU memory figure."""
        compute = calls.first(
            ("nvmlDeviceGetComputeRunningProcesses", ()),
            ("nvmlDeviceGetComputeRunningProcesses_v2", ()),
        )
        graphics = calls.first(
            ("nvmlDeviceGetGraphicsRunningProcesses", ()),
            ("nvmlDeviceGetGraphicsRunningProcesses_v2", ()),
        )
        merged = _merge(compute or (), graphics or ())
        sm_util = self._sm_utilization(calls) if merged else {}
        readings = []
        for pid, (kind, used) in sorted(merged.items()):
            info = self.host.describe(pid)
            readings.append(
                ProcessReading(
                    pid=pid,
                    process_type=kind,
                    gpu_memory_bytes=used,
                    gpu_utilization_pct=sm_util.get(pid),
                    **info,
                )
            )
        return tuple(readings)

    def _sm_utilization(self, calls: DeviceCalls) -> dict[int, float]:
        last = self._last_sample_us.get(calls.key, 0)
        # NotFound here means "no sample since `last`", not an error.
        samples = calls.get("nvmlDeviceGetProcessUtilization", last, absent_ok=True, memo_args=())
        if not samples:
            return {}
        newest: dict[int, Any] = {}
        for sample in samples:
            pid = int(sample.pid)
            if pid not in newest or sample.timeStamp > newest[pid].timeStamp:
                newest[pid] = sample
        self._last_sample_us[calls.key] = max(int(s.timeStamp) for s in samples)
        return {pid: float(s.smUtil) for pid, s in newest.items()}
