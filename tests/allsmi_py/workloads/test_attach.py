"""attach.py and its wiring in the collector: workloads on processes and devices."""

from __future__ import annotations

import os
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

from allsmi_py.backend import Backend
from allsmi_py.collector import Collector
from allsmi_py.model import DeviceReading, MigInstanceReading, ProcessReading
from allsmi_py.model_workload import WorkloadReading
from allsmi_py.workloads.attach import DeviceWorkloads, WorkloadAttacher
from allsmi_py.workloads.kubelet_names import KubeletNames
from allsmi_py.workloads.processes import ProcessWorkloads

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cgroup"
DOCKER_ID = "3f1c9a7be2d04b8c9e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70819"
CRI_ID = "a9b8c7d6e5f40312a9b8c7d6e5f40312a9b8c7d6e5f40312a9b8c7d6e5f40312"
POD_UID = "6b2e3f1a-8c4d-4e5f-9a0b-1c2d3e4f5a6b"
HOLDER = WorkloadReading(container="pytorch", pod="trainer-0", namespace="ml")
MIG_HOLDER = WorkloadReading(container="infer", pod="server-1", namespace="serving")


class Map:
    def __init__(self, entries: DeviceWorkloads) -> None:
        self.entries = entries
        self.calls = 0
        self.closed = False

    def device_workloads(self) -> DeviceWorkloads:
        self.calls += 1
        return self.entries

    def close(self) -> None:
        self.closed = True


class Broken:
    def device_workloads(self) -> DeviceWorkloads:
        raise RuntimeError("watcher bug")

    def close(self) -> None:
        pass


def _root(tmp_path: Path) -> Path:
    for pid, fixture in ((100, "docker/v2_systemd"), (101, "containerd/v2_k8s_systemd_burstable"),
                         (102, "none/host_service")):
        folder = tmp_path / "proc" / str(pid)
        folder.mkdir(parents=True)
        (folder / "cgroup").write_text((FIXTURES / f"{fixture}.cgroup").read_text())
    return tmp_path


def _gpu(backend: str = "real", uuid: str = "GPU-aaaa", pids: tuple[int, ...] = (100, 101, 102),
         **extra: object) -> DeviceReading:
    fields: dict[str, object] = {
        "processes": tuple(ProcessReading(pid=pid, started_at_s=1.0) for pid in pids), **extra}
    return DeviceReading(backend=backend, index=0, uuid=uuid, name="gpu",
                         **fields)  # type: ignore[arg-type]


def _attacher(root: Path) -> WorkloadAttacher:
    return WorkloadAttacher(ProcessWorkloads(str(root)))


def test_processes_get_their_containers(tmp_path: Path) -> None:
    [device] = _attacher(_root(tmp_path)).attach([_gpu()], simulated_backends=())
    assert [p.workload for p in device.processes] == [
        WorkloadReading("docker", DOCKER_ID),
        WorkloadReading("containerd", CRI_ID, pod_uid=POD_UID),
        None,
    ]
    assert device.workloads == ()


def test_simulated_backends_and_set_workloads_are_left_alone(tmp_path: Path) -> None:
    attacher = _attacher(_root(tmp_path))
    mock = _gpu(backend="mock")
    own = WorkloadReading("docker", "b" * 64, container="set-by-backend")
    real = _gpu(processes=(ProcessReading(pid=100, workload=own),),
                workloads=(MIG_HOLDER,))
    pods = Map({"GPU-aaaa": (HOLDER,)})
    out_mock, out_real = attacher.attach([mock, real], {"mock"}, pods)
    assert out_mock is mock
    assert out_real.processes[0].workload is own
    assert out_real.workloads == (MIG_HOLDER,)  # the backend's own, not the map's


def test_device_workloads_from_the_map_whole_gpu_and_mig(tmp_path: Path) -> None:
    migs = (MigInstanceReading(uuid="MIG-1111"), MigInstanceReading(uuid="MIG-2222"))
    device = _gpu(pids=(), mig_instances=migs, mig_mode=True)
    other = _gpu(uuid="GPU-bbbb", pids=())
    pods = Map(MappingProxyType({"GPU-aaaa": (HOLDER,), "MIG-1111": (MIG_HOLDER,),
                                 "MIG-2222": (MIG_HOLDER, HOLDER)}))
    found, untouched = WorkloadAttacher().attach([device, other], (), pods)
    assert found.workloads == (HOLDER, MIG_HOLDER)
    assert untouched is other
    assert pods.calls == 1  # once per tick, not per device


def test_join_takes_the_pod_of_the_one_holder(tmp_path: Path) -> None:
    attacher = _attacher(_root(tmp_path))
    [alone] = attacher.attach([_gpu(pids=(101,))], (), Map({"GPU-aaaa": (HOLDER,)}))
    assert alone.processes[0].workload == WorkloadReading(
        "containerd", CRI_ID, "pytorch", POD_UID, "trainer-0", "ml")
    # Two holders (a time-sliced GPU): no guessing.
    [shared] = attacher.attach([_gpu(pids=(101,))], (), Map({"GPU-aaaa": (HOLDER, MIG_HOLDER)}))
    assert shared.processes[0].workload == WorkloadReading("containerd", CRI_ID, pod_uid=POD_UID)
    # A holder of another pod uid: not this process's pod.
    stranger = WorkloadReading(pod="x", namespace="y", pod_uid="0" * 8 + POD_UID[8:])
    [other] = attacher.attach([_gpu(pids=(101,))], (), Map({"GPU-aaaa": (stranger,)}))
    assert other.processes[0].workload is not None
    assert other.processes[0].workload.pod is None
    # A container outside Kubernetes never takes a pod's names.
    [docker] = attacher.attach([_gpu(pids=(100,))], (), Map({"GPU-aaaa": (HOLDER,)}))
    assert docker.processes[0].workload == WorkloadReading("docker", DOCKER_ID)


def test_kubelet_names_come_first(tmp_path: Path) -> None:
    root = _root(tmp_path)
    (root / "var/log/containers").mkdir(parents=True)
    os.symlink("/nowhere", root / f"var/log/containers/real-pod_prod_main-{CRI_ID}.log")
    attacher = WorkloadAttacher(ProcessWorkloads(str(root)), KubeletNames(str(root)))
    [device] = attacher.attach([_gpu(pids=(101,))], (), Map({"GPU-aaaa": (HOLDER,)}))
    assert device.processes[0].workload == WorkloadReading(
        "containerd", CRI_ID, "main", POD_UID, "real-pod", "prod")


class Names:
    """Stands in for RuntimeNames: knows a name once `known` is set, as after a lookup."""

    def __init__(self) -> None:
        self.known: str | None = "web-1"
        self.version = 0
        self.asked = 0

    def name(self, runtime: str | None, container_id: str | None) -> str | None:
        self.asked += 1
        return self.known if runtime == "docker" else None

    def close(self) -> None:
        pass


def test_runtime_names_fill_the_container(tmp_path: Path) -> None:
    attacher = WorkloadAttacher(ProcessWorkloads(str(_root(tmp_path))),
                                runtime_names=Names())  # type: ignore[arg-type]
    [device] = attacher.attach([_gpu(pids=(100,))], ())
    assert device.processes[0].workload == WorkloadReading("docker", DOCKER_ID, "web-1")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_names_that_come_later_are_picked_up(tmp_path: Path) -> None:
    root = _root(tmp_path)
    names = Names()
    names.known = None
    clock = Clock()
    attacher = WorkloadAttacher(ProcessWorkloads(str(root)), KubeletNames(str(root), clock=clock),
                                runtime_names=names, clock=clock)  # type: ignore[arg-type]
    devices = [_gpu(pids=(100, 101))]
    first = attacher.attach(devices, ())[0].processes
    assert first[0].workload is not None and first[0].workload.container is None
    assert names.asked == 2  # once per container (pid 101 is containerd: no socket asked)
    attacher.attach(devices, ())
    assert names.asked == 2  # a steady process is not asked about again
    names.known, names.version = "web-1", 1  # the lookup thread learned the name
    (root / "var/log/containers").mkdir(parents=True)
    os.symlink("/nowhere", root / f"var/log/containers/late-pod_prod_main-{CRI_ID}.log")
    later = attacher.attach(devices, ())[0].processes
    assert later[0].workload is not None and later[0].workload.container == "web-1"
    assert later[1].workload is not None and later[1].workload.pod is None  # kubelet: 10 s
    clock.now += 10.0
    latest = attacher.attach(devices, ())[0].processes
    assert latest[1].workload is not None and latest[1].workload.pod == "late-pod"


def test_a_broken_or_garbled_map_means_no_holders(tmp_path: Path) -> None:
    device = _gpu(pids=())
    assert WorkloadAttacher().attach([device], (), Broken())[0] is device
    garbled = Map({"GPU-aaaa": ["not", "a", "tuple"], 7: (HOLDER,)})  # type: ignore[dict-item]
    assert WorkloadAttacher().attach([device], (), garbled)[0] is device
    junk = Map({"GPU-aaaa": ("junk", HOLDER)})  # type: ignore[dict-item]
    assert WorkloadAttacher().attach([device], (), junk)[0].workloads == (HOLDER,)
    not_a_map = Map(["GPU-aaaa"])  # type: ignore[arg-type]
    assert WorkloadAttacher().attach([device], (), not_a_map)[0] is device


# -- wired in the collector ----------------------------------------------------------------

class RealGpus(Backend):
    name = "real"

    def read(self) -> list[DeviceReading]:
        return [_gpu()]


class MockGpus(Backend):
    name = "mock"
    simulates_processes: ClassVar[bool] = True

    def read(self) -> list[DeviceReading]:
        return [_gpu(backend="mock")]


def test_collector_without_workloads_reads_no_cgroup() -> None:
    snapshot = Collector([RealGpus()]).tick()
    assert all(p.workload is None for p in snapshot.devices[0].processes)


def test_collector_attaches_to_real_backends_only(tmp_path: Path) -> None:
    attacher = _attacher(_root(tmp_path))
    pods = Map({"GPU-aaaa": (HOLDER,)})
    collector = Collector([RealGpus(), MockGpus()], pod_devices=pods, workloads=attacher)
    real, mock = collector.tick().devices
    assert real.processes[0].workload == WorkloadReading("docker", DOCKER_ID)
    assert real.processes[1].workload is not None
    assert real.processes[1].workload.pod == "trainer-0"
    assert real.workloads == (HOLDER,)
    assert all(p.workload is None for p in mock.processes)
    assert mock.workloads == ()
    collector.close()
    assert pods.closed, "the collector's close stops the pod-resources watcher"


def test_collector_with_only_a_pod_map_attaches_on_the_host() -> None:
    collector = Collector([], pod_devices=Map({}))
    assert collector.tick().devices == ()
    collector.close()
