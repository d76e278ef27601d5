"""Host metrics (CPU, memory, disks, runtime) through psutil.

A host reader rather than a backend: the host is not an accelerator, and every node has
one. CPU utilization is measured between two reads from psutil's CPU times, never by a
blocking one-second sample; the very first read waits at most `MIN_SAMPLE_S` after the
reader was made so that a one-shot `allsmi snapshot` still gets a real figure.

Readings that change slowly and cost most (disks, swap, the clock, psutil's temperature
scan) are read again at most every `SLOW_READ_S`: at the default 2 s interval every tick
reads them, at 0.25 s one tick in six does (issue 17 item 5: the refresh's CPU cost).
"""

from __future__ import annotations

import functools
import os
import platform
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

import psutil

from allsmi_py.chassis import ChassisReader
from allsmi_py.chassis.environment import detect_environment
from allsmi_py.cpu_sensors import CpuSensors
from allsmi_py.cpu_sensors.sysfs import ByteReader, SysfsTree, read_capped
from allsmi_py.model import CpuReading, DiskReading, HostReading, MemoryReading

T = TypeVar("T")
MIN_SAMPLE_S = 0.05
SLOW_READ_S = 1.5  # under the default 2 s interval, so that there every tick reads them

# File systems that are not storage a user cares about.
_PSEUDO_FS = frozenset(
    {"tmpfs", "devtmpfs", "overlay", "squashfs", "proc", "sysfs", "cgroup", "cgroup2",
     "autofs", "devpts", "mqueue", "debugfs", "tracefs", "securityfs", "pstore", "bpf",
     "fusectl", "configfs", "hugetlbfs", "nsfs", "ramfs", "efivarfs", "binfmt_misc", ""}
)
_CPU_TEMP_SENSORS = ("coretemp", "k10temp", "zenpower", "cpu_thermal", "cpu-thermal", "acpitz")


def _busy_and_total(times: object) -> tuple[float, float]:
    total = float(sum(times))  # type: ignore[call-overload]
    idle = getattr(times, "idle", 0.0) + getattr(times, "iowait", 0.0)
    return total - idle, total


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "Hardware", "Model")):
                return line.split(":", 1)[1].strip() or None
    except OSError:
        pass
    return platform.processor() or None


_BASE_MHZ_RANGE = (100.0, 10_000.0)
_BRAND_CLOCK = re.compile(r"@\s*(\d+(?:\.\d+)?)\s*GHz\s*$", re.IGNORECASE)


def _sysfs_number(path: Path) -> float | None:
    try:
        with path.open("rb") as f:
            text = f.read(64).decode("ascii", errors="replace").strip()
        return float(text)
    except (OSError, ValueError):
        return None


def base_frequency_mhz(model: str | None, root: Path = Path("/")) -> float | None:
    """The CPU's base (nominal, non-turbo) clock in MHz where the machine states it, else None.

    In order: intel_pstate's `cpufreq/base_frequency` (kHz), ACPI CPPC's
    `acpi_cppc/nominal_freq` (MHz; AMD and Arm servers), the "@ 2.40GHz" of an Intel brand
    string (also in VMs). all-smi names this field base_frequency_mhz (issue 19 item 3);
    a number outside 100-10000 MHz is not believed.
    """
    cpu0 = root / "sys/devices/system/cpu/cpu0"
    khz = _sysfs_number(cpu0 / "cpufreq/base_frequency")
    candidates = [None if khz is None else khz / 1000.0,
                  _sysfs_number(cpu0 / "acpi_cppc/nominal_freq")]
    match = _BRAND_CLOCK.search(model or "")
    candidates.append(float(match.group(1)) * 1000.0 if match else None)
    low, high = _BASE_MHZ_RANGE
    return next((round(mhz, 1) for mhz in candidates if mhz is not None and low <= mhz <= high),
                None)


def _socket_count() -> int | None:
    try:
        ids = {
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("physical id")
        }
    except OSError:
        return None
    return len(ids) or 1


def _text(read: str | OSError | None) -> str | None:
    return read if isinstance(read, str) else None


def detect_runtime_environment() -> str | None:
    """Kubernetes, Docker, Podman, LXC or containerd when we run inside one, else None."""
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        return "Kubernetes"
    if Path("/.dockerenv").exists():
        return "Docker"
    if Path("/run/.containerenv").exists():
        return "Podman"
    try:
        cgroup = Path("/proc/1/cgroup").read_text()
    except OSError:
        cgroup = ""
    for marker, name in (("kubepods", "Kubernetes"), ("docker", "Docker"),
                         ("lxc", "LXC"), ("containerd", "containerd")):
        if marker in cgroup:
            return name
    return None


class _AtMostEvery(Generic[T]):
    """`read()` called again only once `period_s` has passed; its last result in between."""

    def __init__(self, read: Callable[[], T], period_s: float) -> None:
        self._read, self._period_s = read, period_s
        self._value: T | None = None
        self._at: float | None = None

    def __call__(self) -> T:
        now = time.monotonic()
        if self._at is None or now - self._at >= self._period_s:
            self._value, self._at = self._read(), now
        return self._value  # type: ignore[return-value]  # set on the first call


class HostReader:
    """Reads host metrics; callable, so the collector can run it like a backend."""

    def __init__(self, include_disks: bool = True, sysfs_root: str = "/",
                 sysfs_reader: ByteReader = read_capped,
                 slow_period_s: float = SLOW_READ_S) -> None:
        """`slow_period_s`: how long disks, swap, the clock and psutil's temperature are
        reused (0: read on every call)."""
        self.include_disks = include_disks
        self._disks = _AtMostEvery(self._read_disks, slow_period_s)
        self._swap = _AtMostEvery(psutil.swap_memory, slow_period_s)
        self._frequency = _AtMostEvery(lambda: _safe(psutil.cpu_freq), slow_period_s)
        self._temperature = _AtMostEvery(_cpu_temperature, slow_period_s)
        self._boot_time_s = _safe(psutil.boot_time)
        self._sensors = CpuSensors(sysfs_root, sysfs_reader)  # per socket, from sysfs
        self._chassis = ChassisReader(sysfs_root, sysfs_reader)  # DMI, BMC, ACPI zones
        self._previous = self._sample()
        self._previous_at = time.monotonic()
        model = _cpu_model()
        self._static = CpuReading(
            model=model,
            architecture=platform.machine() or None,
            frequency_base_mhz=_base_frequency_here(model),
            core_count=psutil.cpu_count(logical=False),
            thread_count=psutil.cpu_count(logical=True),
            socket_count=_socket_count(),
        )
        self._runtime = detect_runtime_environment()
        tree = SysfsTree(sysfs_root, sysfs_reader)
        self._environment = detect_environment(
            self._runtime, lambda relative: _text(tree.read(relative)))
        uname = platform.uname()
        self._os_name, self._kernel = uname.system or None, uname.release or None

    @staticmethod
    def _sample() -> list[tuple[float, float]]:
        return [_busy_and_total(t) for t in psutil.cpu_times(percpu=True)]

    def __call__(self) -> HostReading:
        return self.read()

    def read(self) -> HostReading:
        """One reading of CPU, memory, disks; CPU utilization is over the time since the last."""
        return HostReading(
            cpu=self._read_cpu(),
            memory=self._read_memory(),
            disks=self._disks() if self.include_disks else (),
            uptime_s=None if self._boot_time_s is None
            else max(0.0, time.time() - self._boot_time_s),
            runtime_environment=self._runtime,
            os_name=self._os_name,
            kernel=self._kernel,
            chassis=self._chassis.read(),
            environment=self._environment,
        )

    def _read_cpu(self) -> CpuReading:
        waited = time.monotonic() - self._previous_at
        if waited < MIN_SAMPLE_S:
            time.sleep(MIN_SAMPLE_S - waited)
        current = self._sample()
        per_core: list[float] = []
        busy_sum = total_sum = 0.0
        for (busy0, total0), (busy1, total1) in zip(self._previous, current, strict=False):
            d_total, d_busy = total1 - total0, busy1 - busy0
            per_core.append(round(min(100.0, max(0.0, 100.0 * d_busy / d_total)), 1)
                            if d_total > 0 else 0.0)
            busy_sum += max(0.0, d_busy)
            total_sum += max(0.0, d_total)
        self._previous, self._previous_at = current, time.monotonic()
        sensors = self._sensors.read(per_core)
        freq = self._frequency()
        load = _safe(os.getloadavg)
        s = self._static
        return CpuReading(
            model=s.model,
            architecture=s.architecture,
            utilization_pct=round(100.0 * busy_sum / total_sum, 1) if total_sum > 0 else None,
            per_core_utilization_pct=tuple(per_core),
            frequency_mhz=(freq.current or None) if freq else None,
            frequency_max_mhz=(freq.max or None) if freq else None,
            frequency_base_mhz=s.frequency_base_mhz,
            core_count=s.core_count,
            thread_count=s.thread_count,
            socket_count=len(sensors.sockets) or s.socket_count,
            temperature_c=self._temperature() if sensors.temperature_c is None
            else sensors.temperature_c,
            power_w=sensors.power_w,
            power_unavailable_reason=sensors.power_unavailable_reason,
            sockets=sensors.sockets,
            per_core_socket_index=sensors.per_core_socket_index,
            load_average_1m=load[0] if load else None,
        )

    def _read_memory(self) -> MemoryReading:
        vm = psutil.virtual_memory()
        swap = self._swap()
        return MemoryReading(
            total_bytes=vm.total,
            used_bytes=vm.total - vm.available,
            available_bytes=vm.available,
            free_bytes=vm.free,
            buffers_bytes=getattr(vm, "buffers", None),
            cached_bytes=getattr(vm, "cached", None),
            swap_total_bytes=swap.total,
            swap_used_bytes=swap.used,
            swap_free_bytes=swap.free,
        )

    @staticmethod
    def _read_disks() -> tuple[DiskReading, ...]:
        disks: list[DiskReading] = []
        seen_devices: set[str] = set()
        for part in _safe(psutil.disk_partitions) or []:
            if part.fstype in _PSEUDO_FS or part.device in seen_devices:
                continue
            usage = _safe(functools.partial(psutil.disk_usage, part.mountpoint))
            if usage is None or usage.total == 0:
                continue
            seen_devices.add(part.device)
            disks.append(DiskReading(
                mount_point=part.mountpoint, device=part.device or None,
                filesystem=part.fstype or None, total_bytes=usage.total,
                used_bytes=usage.used, available_bytes=usage.free,
            ))
        return tuple(disks)


def _cpu_temperature() -> float | None:
    sensors_temperatures = getattr(psutil, "sensors_temperatures", None)
    temps = _safe(sensors_temperatures) if sensors_temperatures else None
    if not temps:
        return None
    for sensor in _CPU_TEMP_SENSORS:
        entries = [e.current for e in temps.get(sensor, []) if e.current and e.current > 0]
        if entries:
            return float(max(entries))
    return None


def _base_frequency_here(model: str | None) -> float | None:
    if sys.platform == "darwin":
        if platform.machine() == "arm64":
            return None  # Apple Silicon states no nominal clock
        # psutil reads sysctl hw.cpufrequency there: the nominal clock, all-smi's source on
        # Intel Macs
        freq = _safe(psutil.cpu_freq)
        return (freq.current or None) if freq else None
    return base_frequency_mhz(model)


def _safe(fn: Callable[[], T]) -> T | None:
    try:
        return fn()
    except (OSError, RuntimeError, AttributeError, NotImplementedError):
        return None
