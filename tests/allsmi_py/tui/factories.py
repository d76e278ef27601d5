"""Deterministic snapshots for the TUI tests: seeded mock devices, a fixed host, a fixed clock."""

from __future__ import annotations

from dataclasses import replace

from textual.pilot import Pilot

from allsmi_py.model import (
    BackendStatus,
    CpuReading,
    DeviceReading,
    DiskReading,
    HostReading,
    MemoryReading,
    NodeSnapshot,
    ProcessReading,
)
from allsmi_py.tui.messages import SnapshotUpdated
from backends.mock.backend import MockBackend

T0 = 1_790_000_000.0  # a fixed Unix time for every snapshot
GIB = 1024**3

HOST = HostReading(
    cpu=CpuReading(model="AMD EPYC 9654", architecture="x86_64", utilization_pct=37.5,
                   core_count=96, thread_count=192, load_average_1m=12.5),
    memory=MemoryReading(total_bytes=512 * GIB, used_bytes=200 * GIB,
                         available_bytes=300 * GIB, swap_total_bytes=8 * GIB,
                         swap_used_bytes=1 * GIB),
    disks=(DiskReading("/", total_bytes=1000 * GIB, used_bytes=420 * GIB),),
    uptime_s=3 * 86400 + 3723.0,
    runtime_environment="Docker",
)


def mock_snapshots(spec: str = "h100:8", count: int = 3, seed: int = 1,
                   step_s: float = 2.0) -> list[NodeSnapshot]:
    """`count` successive snapshots of seeded mock devices, `step_s` apart."""
    now = [0.0]
    backend = MockBackend(spec=spec, seed=seed, clock=lambda: now[0], start_time_s=T0 - 600)
    out = []
    for i in range(count):
        now[0] = i * step_s
        out.append(NodeSnapshot(
            hostname="gpu-node-01", taken_at_s=T0 + now[0], devices=tuple(backend.read()),
            host=HOST, backends=(BackendStatus("mock", "ok", f"simulated: {spec}",
                                               device_count=len(backend.readings())),),
            version="0.1.0"))
    return out


def device(index: int = 0, **changes: object) -> DeviceReading:
    """A plain GPU reading with one process, adjusted by `changes`."""
    base = DeviceReading(
        backend="test", index=index, uuid=f"GPU-test-{index}", name="Test GPU 24GB",
        vendor="TestVendor", utilization_pct=50.0, memory_used_bytes=8 * GIB,
        memory_total_bytes=24 * GIB, temperature_c=60.0, power_w=150.0, power_limit_w=300.0,
        processes=(ProcessReading(pid=1000 + index, user="alice", command="python train.py",
                                  gpu_memory_bytes=GIB, cpu_pct=10.0 + index,
                                  host_memory_bytes=GIB, started_at_s=T0 - 60),))
    return replace(base, **changes)  # type: ignore[arg-type]


def snapshot(*devices: DeviceReading, taken_at_s: float = T0,
             backends: tuple[BackendStatus, ...] = ()) -> NodeSnapshot:
    """A snapshot of these devices on the fixed host."""
    return NodeSnapshot(hostname="test-host", taken_at_s=taken_at_s, devices=devices,
                        host=HOST, backends=backends, version="0.1.0")


def processes_snapshot(*processes: ProcessReading, at: float = T0) -> NodeSnapshot:
    """One device running these processes, the snapshot taken at `at`."""
    return replace(snapshot(device(0, processes=processes)), taken_at_s=at)


async def send(pilot: Pilot[None], snap: NodeSnapshot) -> None:
    """Hand the app a snapshot as the collector would, and let it draw."""
    pilot.app.post_message(SnapshotUpdated(snap))
    await pilot.pause()
    await pilot.pause()
