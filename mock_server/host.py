"""A simulated host (CPU, memory, disk) for each mock node, seeded like its devices.

The mock backend simulates accelerators only; a node also needs a host, and the real host
reader would show this machine under every node name. The host's CPU load is its own
bounded random walk: tying it to the devices' readings would make a node's values depend on
which steps were scraped, and the mock server promises they depend only on the step.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from allsmi_py.model import CpuReading, DiskReading, HostReading, MemoryReading
from allsmi_py.units import GIB, TIB


@dataclass(frozen=True, slots=True)
class HostProfile:
    """Static facts of one simulated host."""

    cpu_model: str
    architecture: str
    cores: int
    sockets: int
    threads_per_core: int
    memory_choices_bytes: tuple[int, ...]
    frequency_max_mhz: float
    power_range_w: tuple[float, float] | None = None
    frequency_base_mhz: float | None = None  # None: the platform states none (Apple, Jetson)


SERVER = HostProfile(
    "AMD EPYC 9454 48-Core Processor", "x86_64", 96, 2, 2, (1 * TIB, 2 * TIB, 1536 * GIB), 3810.0,
    frequency_base_mhz=2750.0,
)
APPLE = HostProfile("Apple M3 Max", "arm64", 16, 1, 1, (128 * GIB,), 4056.0, (5.0, 45.0))
JETSON = HostProfile("ARMv8 Processor rev 1 (v8l)", "aarch64", 12, 1, 1, (64 * GIB,), 2201.6)


def host_profile_for(spec: str) -> HostProfile:
    """The host a node of SPEC sits in: a laptop for Apple, a Jetson board, else a server."""
    first = spec.split(",")[0].split(":")[0].strip().lower()
    if first in ("m3max", "m3"):
        return APPLE
    if first in ("orin", "jetson", "agx-orin"):
        return JETSON
    return SERVER


class HostSimulator:
    """The evolving host of one node: CPU load wanders, memory drifts, disk fills."""

    def __init__(self, profile: HostProfile, seed: str, start_time_s: float) -> None:
        self.profile = profile
        self.rng = random.Random(seed)
        self.memory_total_bytes = self.rng.choice(profile.memory_choices_bytes)
        self.memory_fraction = self.rng.uniform(0.2, 0.6)
        self.swap_total_bytes = (
            0 if profile is APPLE else min(32 * GIB, self.memory_total_bytes // 8)
        )
        self.disk_total_bytes = self.rng.choice((2 * TIB, 4 * TIB, 8 * TIB))
        self.disk_used_bytes = int(self.disk_total_bytes * self.rng.uniform(0.1, 0.8))
        self.cpu_pct = self.rng.uniform(5.0, 30.0)
        self.cpu_target = self.cpu_pct
        self.temperature_c = self.rng.uniform(35.0, 50.0)
        self.uptime_s = self.rng.uniform(3600.0, 90 * 86400.0)
        self.started_s = start_time_s

    def advance(self, dt_s: float) -> None:
        """Move forward dt_s seconds of simulated time."""
        rng = self.rng
        self.cpu_target = _clamp(self.cpu_target + rng.uniform(-8.0, 8.0), 2.0, 95.0)
        target = self.cpu_target + rng.uniform(-4.0, 4.0)
        self.cpu_pct = _clamp(
            self.cpu_pct + (target - self.cpu_pct) * min(1.0, dt_s / 5.0), 0.5, 100.0
        )
        self.temperature_c = _clamp(
            self.temperature_c
            + (35.0 + 0.4 * self.cpu_pct - self.temperature_c) * min(1.0, dt_s / 30.0),
            30.0,
            95.0,
        )
        self.memory_fraction = _clamp(self.memory_fraction + rng.uniform(-0.01, 0.01), 0.1, 0.95)
        self.disk_used_bytes = min(
            self.disk_total_bytes, self.disk_used_bytes + int(rng.uniform(0.0, 64.0) * 2**20 * dt_s)
        )
        self.uptime_s += dt_s

    def reading(self) -> HostReading:
        """The host as a HostReading, without moving time."""
        p = self.profile
        used = int(self.memory_total_bytes * self.memory_fraction)
        swap_used = (
            int(self.swap_total_bytes * max(0.0, self.memory_fraction - 0.8))
            if self.swap_total_bytes
            else None
        )
        power = None
        if p.power_range_w is not None:
            low, high = p.power_range_w
            power = round(low + (high - low) * self.cpu_pct / 100.0, 2)
        cpu = CpuReading(
            model=p.cpu_model,
            architecture=p.architecture,
            utilization_pct=round(self.cpu_pct, 1),
            frequency_mhz=round(p.frequency_max_mhz * (0.55 + 0.4 * self.cpu_pct / 100.0)),
            frequency_max_mhz=p.frequency_max_mhz,
            frequency_base_mhz=p.frequency_base_mhz,
            core_count=p.cores,
            thread_count=p.cores * p.threads_per_core,
            socket_count=p.sockets,
            temperature_c=round(self.temperature_c, 1),
            power_w=power,
        )
        memory = MemoryReading(
            total_bytes=self.memory_total_bytes,
            used_bytes=used,
            available_bytes=self.memory_total_bytes - used,
            free_bytes=(self.memory_total_bytes - used) // 2,
            swap_total_bytes=self.swap_total_bytes if self.swap_total_bytes else None,
            swap_used_bytes=swap_used,
            swap_free_bytes=self.swap_total_bytes - swap_used if swap_used is not None else None,
        )
        disk = DiskReading(
            "/",
            "/dev/nvme0n1p2",
            "ext4",
            self.disk_total_bytes,
            self.disk_used_bytes,
            self.disk_total_bytes - self.disk_used_bytes,
        )
        return HostReading(
            cpu=cpu,
            memory=memory,
            disks=(disk,),
            uptime_s=round(self.uptime_s, 1),
            os_name="Linux",
            kernel="6.8.0-mock",
        )


def _clamp(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value
