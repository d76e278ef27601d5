"""Containers and pods on the exporter's process families and in allsmi_device_pod_info."""

from __future__ import annotations

import httpx
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from allsmi_py.exporter.app import make_app
from allsmi_py.exporter.collector import SnapshotCollector
from allsmi_py.exporter.render import render_prometheus
from allsmi_py.exporter.schema import BY_NAME
from allsmi_py.exporter.scopes import PROCESS7
from allsmi_py.exporter.workload_items import MAX_DEVICE_WORKLOADS, PROCESS_WORKLOAD_LABELS
from allsmi_py.model import DeviceReading, NodeSnapshot, ProcessReading, WorkloadReading

TRAIN = WorkloadReading(runtime="containerd", container_id="ab" * 32, container="trainer",
                        pod_uid="0d5e-77", pod="train-0", namespace="ml")
DOCKER = WorkloadReading(runtime="docker", container_id="cd" * 32)  # no name, no pod


def _snapshot(*devices: DeviceReading) -> NodeSnapshot:
    return NodeSnapshot(hostname="n1", taken_at_s=1_800_000_000.0, devices=devices)


def _device(index: int = 0, processes: tuple[ProcessReading, ...] = (),
            workloads: tuple[WorkloadReading, ...] = ()) -> DeviceReading:
    return DeviceReading(backend="mock", index=index, uuid=f"GPU-{index}", name="H100",
                         memory_used_bytes=1, processes=processes, workloads=workloads)


def _samples(text: str, family: str) -> list[dict[str, str]]:
    return [dict(s.labels) for f in text_string_to_metric_families(text) if f.name == family
            for s in f.samples]


def test_process_families_carry_all_smis_labels_then_the_workload_ones() -> None:
    for name in ("all_smi_process_memory_used_bytes", "all_smi_process_cpu_percent",
                 "all_smi_process_start_time_seconds"):
        assert BY_NAME[name].labels == (*PROCESS7, "pod", "namespace", "container",
                                        "container_id")


def test_each_process_says_its_pod_and_an_unknown_one_is_empty() -> None:
    procs = (ProcessReading(pid=10, name="python", gpu_memory_bytes=5, workload=TRAIN),
             ProcessReading(pid=11, name="bash", gpu_memory_bytes=6, workload=DOCKER),
             ProcessReading(pid=12, name="host", gpu_memory_bytes=7))
    text = render_prometheus(_snapshot(_device(processes=procs)), include_processes=True)
    by_pid = {s["pid"]: s for s in _samples(text, "all_smi_process_memory_used_bytes")}
    assert {k: by_pid["10"][k] for k in PROCESS_WORKLOAD_LABELS} == {
        "pod": "train-0", "namespace": "ml", "container": "trainer", "container_id": "ab" * 32}
    assert {k: by_pid["11"][k] for k in PROCESS_WORKLOAD_LABELS} == {
        "pod": "", "namespace": "", "container": "", "container_id": "cd" * 32}
    assert all(by_pid["12"][k] == "" for k in PROCESS_WORKLOAD_LABELS)
    # the text itself names every label on every sample (same label set across the family)
    lines = [ln for ln in text.splitlines() if ln.startswith("all_smi_process_memory")]
    assert len(lines) == 3 and all('pod="' in ln and 'container_id="' in ln for ln in lines)


def test_hostile_workload_values_are_capped_and_cleaned() -> None:
    huge = WorkloadReading(pod="p" * 100_000, namespace="n}\x1b" * 1000,
                           container="c\nx", container_id="i" * 5000)
    proc = ProcessReading(pid=1, name="x", gpu_memory_bytes=1, workload=huge)
    text = render_prometheus(_snapshot(_device(processes=(proc,), workloads=(huge,))),
                             include_processes=True)
    (sample,) = _samples(text, "all_smi_process_memory_used_bytes")
    assert sample["pod"] == "p" * 256 + "...(99744 bytes truncated)"
    assert sample["container_id"].startswith("i" * 128 + "...(")
    assert "}" not in sample["namespace"] and "\x1b" not in sample["namespace"]
    assert sample["container"] == "cx"
    (info,) = _samples(text, "allsmi_device_pod_info")
    assert info["pod"] == sample["pod"]
    assert len(text) < 10_000


def test_device_pod_info_one_series_per_pod_container_capped() -> None:
    second = WorkloadReading(pod="serve-1", namespace="web", container="api")
    many = tuple(WorkloadReading(pod=f"p{i}", namespace="x", container="c")
                 for i in range(10_000))
    devices = (_device(0, workloads=(TRAIN, TRAIN, second, WorkloadReading())),
               _device(1, workloads=many), _device(2))
    text = render_prometheus(_snapshot(*devices))
    samples = _samples(text, "allsmi_device_pod_info")
    on_0 = [s for s in samples if s["gpu_uuid"] == "GPU-0"]
    assert on_0 == [
        {"gpu": "H100", "instance": "n1", "gpu_uuid": "GPU-0", "gpu_index": "0",
         "pod": "train-0", "namespace": "ml", "container": "trainer"},
        {"gpu": "H100", "instance": "n1", "gpu_uuid": "GPU-0", "gpu_index": "0",
         "pod": "serve-1", "namespace": "web", "container": "api"}]
    assert len([s for s in samples if s["gpu_uuid"] == "GPU-1"]) == MAX_DEVICE_WORKLOADS
    assert not [s for s in samples if s["gpu_uuid"] == "GPU-2"]
    assert all(line.endswith(" 1") for line in text.splitlines()
               if line.startswith("allsmi_device_pod_info{"))


def test_pod_info_is_written_without_processes_and_absent_without_workloads() -> None:
    assert "allsmi_device_pod_info{" in render_prometheus(_snapshot(_device(workloads=(TRAIN,))))
    assert "allsmi_device_pod_info" not in render_prometheus(_snapshot(_device()))


def test_same_samples_as_prometheus_client() -> None:
    procs = (ProcessReading(pid=10, name="python", gpu_memory_bytes=5, workload=TRAIN),
             ProcessReading(pid=12, name="host", gpu_memory_bytes=7))
    snapshot = _snapshot(_device(processes=procs, workloads=(TRAIN,)))
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(lambda: snapshot, include_processes=True))
    theirs = generate_latest(registry).decode()
    ours = render_prometheus(snapshot, include_processes=True)
    for family in ("all_smi_process_memory_used_bytes", "allsmi_device_pod_info"):
        assert _samples(ours, family) == _samples(theirs, family)
        assert _samples(ours, family)


async def test_snapshot_endpoint_carries_workloads_processes_only_with_processes() -> None:
    procs = (ProcessReading(pid=10, name="python", gpu_memory_bytes=5, workload=TRAIN),)
    snapshot = _snapshot(_device(processes=procs, workloads=(TRAIN,)))
    for include_processes in (True, False):
        app = make_app(lambda: snapshot, include_processes=include_processes)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
            served = NodeSnapshot.from_dict((await client.get("/snapshot")).json())
        (device,) = served.devices
        assert device.workloads == (TRAIN,)  # who holds the device: always
        assert [p.workload for p in device.processes] == ([TRAIN] if include_processes else [])
