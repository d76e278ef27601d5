"""Containers and pods back from a node: /metrics labels and /snapshot JSON, honest and hostile."""

from __future__ import annotations

import dataclasses
import json

import pytest

from allsmi_py.cli import main
from allsmi_py.exporter.render import render_prometheus
from allsmi_py.exporter.workload_items import MAX_DEVICE_WORKLOADS
from allsmi_py.model import DeviceReading, NodeSnapshot, ProcessReading, WorkloadReading
from allsmi_py.remote.nodes import snapshot_from_json
from allsmi_py.remote.parse import parse_node_text
from allsmi_py.remote.text import MAX_TEXT
from tests.allsmi_py.remote.faults import FaultServer
from tests.threaded_server import serving_in_thread

# what /metrics carries of a workload: runtime and pod_uid stay on the node (/snapshot has them)
TRAIN = WorkloadReading(container_id="ab" * 32, container="trainer", pod="train-0",
                        namespace="ml")
# a device's pod containers come from the kubelet: names, no container id
TRAIN_POD = WorkloadReading(container="trainer", pod="train-0", namespace="ml")
SERVE = WorkloadReading(container="api", pod="serve-1", namespace="web")
DOCKER = WorkloadReading(container_id="cd" * 32)
FULL = WorkloadReading(runtime="containerd", container_id="ef" * 32, container="c",
                       pod_uid="6b1f0e2c-0000-4000-8000-000000000001", pod="p", namespace="n")
GPU_LABELS = 'gpu="H100",instance="n1",gpu_uuid="GPU-0",gpu_index="0"'


def _snapshot(workload: WorkloadReading = TRAIN) -> NodeSnapshot:
    procs = (ProcessReading(pid=10, name="python", gpu_memory_bytes=5, workload=workload),
             ProcessReading(pid=11, name="bash", gpu_memory_bytes=6, workload=DOCKER),
             ProcessReading(pid=12, name="host", gpu_memory_bytes=7))
    devices = (DeviceReading(backend="mock", index=0, uuid="GPU-0", name="H100",
                             memory_used_bytes=18, processes=procs,
                             workloads=(TRAIN_POD, SERVE)),
               DeviceReading(backend="mock", index=1, uuid="GPU-1", name="H100",
                             memory_used_bytes=0))
    return NodeSnapshot(hostname="n1", taken_at_s=1_800_000_000.0, devices=devices)


def _processes(snap: NodeSnapshot) -> dict[int, WorkloadReading | None]:
    return {p.pid: p.workload for d in snap.devices for p in d.processes}


def test_metrics_round_trip_keeps_each_process_and_device_workload() -> None:
    sent = _snapshot()
    back = parse_node_text(render_prometheus(sent, include_processes=True))
    assert _processes(back) == {10: TRAIN, 11: DOCKER, 12: None}
    assert [d.workloads for d in back.devices] == [(TRAIN_POD, SERVE), ()]


def test_device_workloads_come_back_without_processes_too() -> None:
    back = parse_node_text(render_prometheus(_snapshot()))
    assert [d.workloads for d in back.devices] == [(TRAIN_POD, SERVE), ()]
    assert _processes(back) == {}


def test_metrics_leave_runtime_and_pod_uid_on_the_node_snapshot_keeps_them() -> None:
    sent = _snapshot(FULL)
    over_text = _processes(parse_node_text(render_prometheus(sent, include_processes=True)))
    workload = over_text[10]
    assert workload is not None
    assert (workload.runtime, workload.pod_uid) == (None, None)
    assert (workload.pod, workload.namespace, workload.container, workload.container_id) == (
        FULL.pod, FULL.namespace, FULL.container, FULL.container_id)
    assert snapshot_from_json(sent.to_json()) == sent  # /snapshot: the whole WorkloadReading


def _pod_info(pod: str, uuid: str = "GPU-0", extra: str = "") -> str:
    labels = GPU_LABELS.replace('"GPU-0"', f'"{uuid}"')
    return (f'allsmi_device_pod_info{{{labels},pod="{pod}",namespace="ns",'
            f'container="c"{extra}}} 1\n')


def _gpu_line(uuid: str = "GPU-0") -> str:
    return f'all_smi_gpu_utilization{{{GPU_LABELS.replace(chr(34) + "GPU-0", chr(34) + uuid)}}} 5\n'


def test_ten_thousand_pods_on_one_device_are_cut_at_the_cap() -> None:
    body = _gpu_line() + "".join(_pod_info(f"p{i}") for i in range(10_000))
    (device,) = parse_node_text(body).devices
    assert len(device.workloads) == MAX_DEVICE_WORKLOADS
    assert device.workloads[0] == WorkloadReading(container="c", pod="p0", namespace="ns")


def test_pods_of_a_device_no_other_family_named_are_not_read() -> None:
    body = _pod_info("ghost", uuid="GPU-9") + _gpu_line() + _pod_info("ghost-too", uuid="GPU-8")
    (device,) = parse_node_text(body).devices
    assert device.uuid == "GPU-0" and device.workloads == ()


def test_duplicate_and_empty_pod_samples_add_nothing() -> None:
    empty = f'allsmi_device_pod_info{{{GPU_LABELS},pod="",namespace="",container=""}} 1\n'
    body = _gpu_line() + _pod_info("a") + _pod_info("a") + empty
    (device,) = parse_node_text(body).devices
    assert device.workloads == (WorkloadReading(container="c", pod="a", namespace="ns"),)


def test_huge_and_unsafe_workload_labels_are_cut_and_cleaned() -> None:
    evil = "x\\n\x1b[2J\u202e" + "y" * 100_000
    body = (_gpu_line() + _pod_info(evil)
            + f'all_smi_process_memory_used_bytes{{pid="7",name="p",user="u",device_id="0",'
              f'gpu_index="0",device_uuid="GPU-0",command="c",pod="{evil}",namespace="n",'
              f'container="{"z" * 5000}",container_id=""}} 1\n')
    (device,) = parse_node_text(body).devices
    (workload,) = device.workloads
    (process,) = device.processes
    assert process.workload is not None
    for text in (workload.pod, process.workload.pod, process.workload.container):
        assert text is not None and len(text) <= MAX_TEXT and text.isprintable()
    assert process.workload.container_id is None


def test_a_process_of_all_smis_exporter_has_no_workload() -> None:
    body = (_gpu_line() + 'all_smi_process_memory_used_bytes{pid="7",name="p",user="u",'
            'device_id="0",gpu_index="0",device_uuid="GPU-0",command="c"} 1\n')
    (device,) = parse_node_text(body).devices
    assert [p.workload for p in device.processes] == [None]


def test_snapshot_json_with_ten_thousand_workloads_is_cut_and_noted() -> None:
    doc = json.loads(_snapshot().to_json())
    doc["devices"][0]["workloads"] = [{"pod": f"p{i}", "namespace": "\x1b[2J" * 400}
                                      for i in range(10_000)]
    snap = snapshot_from_json(json.dumps(doc).encode())
    workloads = snap.devices[0].workloads
    assert len(workloads) == MAX_DEVICE_WORKLOADS
    assert workloads[0].pod == "p0"
    assert all((w.namespace or "").isprintable() for w in workloads)
    note = snap.backends[-1]
    assert (note.name, note.state) == ("remote", "error") and "workloads" in note.message


def test_snapshot_hosts_keeps_the_pods_over_snapshot_and_over_metrics(
        capsys: pytest.CaptureFixture[str]) -> None:
    server = FaultServer({"a": "json", "b": "text"})  # b: /metrics only (no processes there)
    with serving_in_thread(server) as running:
        hosts = ",".join(running.target(n) for n in "ab")
        assert main(["snapshot", "--hosts", hosts, "--timeout", "5"]) == 0
    doc = json.loads(capsys.readouterr().out)
    got = {n["snapshot"]["hostname"]: NodeSnapshot.from_dict(n["snapshot"])
           for n in doc["nodes"]}
    for name in "ab":
        sent = server.nodes[name].snapshot
        assert any(d.workloads for d in sent.devices), "the mock's node holds pods"
        assert [d.workloads for d in got[name].devices] == [
            tuple(dataclasses.replace(w, runtime=None, container_id=None, pod_uid=None)
                  for w in d.workloads) if name == "b" else d.workloads
            for d in sent.devices]
    processes = [p for d in got["a"].devices for p in d.processes]
    assert any(p.workload for p in processes)
    assert processes == [p for d in server.nodes["a"].snapshot.devices for p in d.processes]
