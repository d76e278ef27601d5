"""MIG instances, and processes: merging, psutil details, pids from other namespaces."""

from __future__ import annotations

import os

import psutil

from allsmi_py.units import MIB
from backends.nvidia.mig import profile_from_name
from backends.nvidia.processes import HostProcesses
from tests.fakes.fake_pynvml import FakeProcess, h100, h100_mig, rtx_4080_super

# Above Linux's pid_max (4194304): no process with these pids exists in our namespace.
INVISIBLE = (90_000_001, 90_000_002)


def test_mig_instances_are_reported_under_their_parent(make_backend) -> None:
    backend, _ = make_backend([h100_mig()])
    gpu = backend.read()[0]
    assert gpu.mig_mode is True
    assert gpu.utilization_pct is None  # NVML has no parent utilization in MIG mode
    assert gpu.problems == ()
    assert [m.profile for m in gpu.mig_instances] == ["3g.40gb", "2g.20gb", "1g.10gb", "1g.10gb"]
    assert [m.gpu_instance_id for m in gpu.mig_instances] == [2, 3, 9, 10]
    assert {m.compute_instance_id for m in gpu.mig_instances} == {0}
    first = gpu.mig_instances[0]
    assert first.uuid.startswith("MIG-")
    assert (first.memory_used_bytes, first.memory_total_bytes) == (11091 * MIB, 40448 * MIB)
    assert [p.pid for p in gpu.processes] == [21180, 21181, 21198]


def test_mig_instances_follow_reconfiguration(make_backend) -> None:
    gpu = h100_mig()
    backend, fake = make_backend([gpu])
    backend.read()
    del gpu.migs[2:]
    reading = backend.read()[0]
    assert [m.profile for m in reading.mig_instances] == ["3g.40gb", "2g.20gb"]
    # Empty slots answer NotFound: neither a problem nor remembered as unsupported.
    assert reading.problems == ()
    assert fake.per_device("gpu0/mig0")["nvmlDeviceGetMemoryInfo"] == 2


def test_profile_parsing() -> None:
    assert profile_from_name("NVIDIA H100 80GB HBM3 MIG 3g.40gb") == "3g.40gb"
    assert profile_from_name("NVIDIA A100-SXM4-40GB MIG 1g.5gb+me") == "1g.5gb+me"
    assert profile_from_name("NVIDIA H100 80GB HBM3") is None
    assert profile_from_name(None) is None


def test_compute_and_graphics_merge_by_pid(make_backend) -> None:
    backend, _ = make_backend([rtx_4080_super()])
    procs = {p.pid: p for p in backend.read()[0].processes}
    assert sorted(procs) == [2165, 2496, 5021]
    assert procs[2165].process_type == "compute+graphics"
    assert procs[2496].process_type == "graphics"
    assert procs[5021].process_type == "compute"
    assert procs[5021].gpu_memory_bytes == 360 * MIB


def test_merge_keeps_the_larger_memory_figure(make_backend) -> None:
    gpu = rtx_4080_super()
    gpu.compute = [FakeProcess(7000, 10 * MIB), FakeProcess(7001, None)]
    gpu.graphics = [FakeProcess(7000, 40 * MIB), FakeProcess(7001, None)]
    backend, _ = make_backend([gpu])
    procs = {p.pid: p for p in backend.read()[0].processes}
    assert procs[7000].gpu_memory_bytes == 40 * MIB
    assert procs[7001].gpu_memory_bytes is None  # Windows WDDM: unknown stays unknown


def test_invisible_pids_keep_their_gpu_memory(make_backend) -> None:
    gpu = h100(0)
    gpu.compute = [FakeProcess(INVISIBLE[0], 2566 * MIB), FakeProcess(INVISIBLE[1], 15690 * MIB)]
    gpu.process_util = [(INVISIBLE[1], 99)]
    backend, _ = make_backend([gpu])
    procs = backend.read()[0].processes
    assert [p.pid for p in procs] == list(INVISIBLE)
    assert [p.gpu_memory_bytes for p in procs] == [2566 * MIB, 15690 * MIB]
    assert all(p.user is None and p.name is None and p.command is None for p in procs)
    assert procs[1].gpu_utilization_pct == 99.0


def test_visible_pid_is_described_by_psutil(make_backend) -> None:
    me = psutil.Process(os.getpid())
    gpu = h100(0)
    gpu.compute = [FakeProcess(os.getpid(), 512 * MIB)]
    gpu.process_util = []
    backend, _ = make_backend([gpu])
    (proc,) = backend.read()[0].processes
    assert proc.user == me.username()
    assert proc.name == me.name()
    assert proc.command == " ".join(me.cmdline())
    assert proc.started_at_s == me.create_time()
    assert proc.host_memory_bytes and proc.host_memory_bytes > 0
    assert proc.cpu_pct is None  # no baseline on first sight
    assert proc.gpu_utilization_pct is None
    (proc,) = backend.read()[0].processes
    assert proc.cpu_pct is not None and proc.cpu_pct >= 0.0


def test_a_pid_on_several_gpus_is_described_once_per_tick(make_backend, monkeypatch) -> None:
    gpus = [h100(i) for i in range(4)]
    for gpu in gpus:
        gpu.compute = [FakeProcess(os.getpid(), 64 * MIB)]
    backend, _ = make_backend(gpus)
    described: list[int] = []
    original = HostProcesses._describe

    def counting(self: HostProcesses, pid: int) -> dict[str, object]:
        described.append(pid)
        return original(self, pid)

    monkeypatch.setattr(HostProcesses, "_describe", counting)
    readings = backend.read()
    assert described == [os.getpid()]
    assert all(r.processes[0].pid == os.getpid() for r in readings)
    backend.read()
    assert described == [os.getpid()] * 2
