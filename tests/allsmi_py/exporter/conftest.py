"""Fixed snapshots of several simulated platforms for the exporter tests."""

from __future__ import annotations

import pytest

from allsmi_py.model import (
    CpuReading,
    DiskReading,
    HostReading,
    MemoryReading,
    NodeSnapshot,
)
from backends.mock.backend import MockBackend

PLATFORMS = ("h100:8", "a100:2,rtx4090:1", "m3max:1", "orin:1", "n300:2", "atom:2", "rngd:2",
             "gaudi3:2", "mi300x:2", "b200:1,h100:1,rngd:1,gaudi3:1")

HOST = HostReading(
    cpu=CpuReading(model="AMD EPYC 9654 96-Core Processor", architecture="x86_64",
                   utilization_pct=12.5, per_core_utilization_pct=(10.0, 15.25, 0.0),
                   frequency_mhz=2400.0, core_count=96, thread_count=192, socket_count=2),
    memory=MemoryReading(total_bytes=1_622_000_000_000, used_bytes=85_899_345_920,
                         available_bytes=1_500_000_000_000, free_bytes=1_400_000_000_000,
                         buffers_bytes=1024, cached_bytes=2_000_000_000, swap_total_bytes=0,
                         swap_used_bytes=0, swap_free_bytes=0),
    disks=(DiskReading("/", total_bytes=2_000_000_000_000, available_bytes=1_000_000_000_000),
           DiskReading("/data", total_bytes=8_000_000_000_000, available_bytes=12345)),
)


def mock_snapshot(spec: str, seed: int = 1, hostname: str = "node-1") -> NodeSnapshot:
    """A reproducible snapshot of mock devices `spec` with a fixed host."""
    devices = tuple(MockBackend(spec=spec, seed=seed).read())
    return NodeSnapshot(hostname=hostname, taken_at_s=1_800_000_000.0, devices=devices,
                        host=HOST, version="9.9.9")


@pytest.fixture(params=PLATFORMS)
def platform_snapshot(request: pytest.FixtureRequest) -> NodeSnapshot:
    """One snapshot per simulated platform."""
    return mock_snapshot(request.param)


@pytest.fixture
def h100_snapshot() -> NodeSnapshot:
    """Eight simulated H100s."""
    return mock_snapshot("h100:8")
