"""`allsmi snapshot` with containers and pods: JSON, the CSV tables, --query and --include."""

from __future__ import annotations

import csv
import io
import json

from allsmi_py.commands.snapshot_csv import csv_header, snapshot_csv
from allsmi_py.commands.snapshot_output import Output
from allsmi_py.commands.snapshot_parts import parse_include, select_parts
from allsmi_py.commands.snapshot_query import known_paths, parse_query
from allsmi_py.model import (
    ClusterNode,
    ClusterSnapshot,
    DeviceReading,
    NodeSnapshot,
    NodeStatus,
    ProcessReading,
    WorkloadReading,
)
from allsmi_py.remote.dump import cluster_csv

TRAIN = WorkloadReading(runtime="containerd", container_id="ab" * 32, container="trainer",
                        pod_uid="0d5e-77", pod="train-0", namespace="ml")
DOCKER = WorkloadReading(runtime="docker", container_id="cd" * 32)
SERVE = WorkloadReading(container="api", pod="serve-1", namespace="web")
PROCS = (ProcessReading(pid=10, name="python", gpu_memory_bytes=5, workload=TRAIN),
         ProcessReading(pid=11, name="bash", gpu_memory_bytes=6, workload=DOCKER),
         ProcessReading(pid=12, name="host", gpu_memory_bytes=7))
SNAPSHOT = NodeSnapshot(hostname="n1", taken_at_s=1_800_000_000.0, devices=(
    DeviceReading(backend="mock", index=0, uuid="GPU-0", name="H100", processes=PROCS,
                  workloads=(TRAIN, SERVE)),
    DeviceReading(backend="mock", index=1, uuid="GPU-1", name="H100")))
ALL = frozenset({"gpu", "cpu", "memory", "process", "storage"})


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_json_carries_every_workload_field_and_reads_back_equal() -> None:
    doc = json.loads(Output("json").node(SNAPSHOT))
    assert doc["devices"][0]["processes"][0]["workload"] == {
        "runtime": "containerd", "container_id": "ab" * 32, "container": "trainer",
        "pod_uid": "0d5e-77", "pod": "train-0", "namespace": "ml"}
    assert [w["pod"] for w in doc["devices"][0]["workloads"]] == ["train-0", "serve-1"]
    assert NodeSnapshot.from_dict(doc) == SNAPSHOT


def test_node_csv_has_a_workloads_cell_and_process_workload_columns() -> None:
    header = csv_header(ALL)
    assert len(header) == len(set(header))
    assert "workloads" in header and "workload" not in header
    assert [c for c in header if c.startswith("process_workload_")] == [
        "process_workload_runtime", "process_workload_container_id",
        "process_workload_container", "process_workload_pod_uid", "process_workload_pod",
        "process_workload_namespace"]
    rows = _rows(snapshot_csv(SNAPSHOT, ALL))
    devices = [r for r in rows if r["section"] == "device"]
    assert [d["workloads"] for d in devices] == ["ml/train-0;web/serve-1", ""]
    procs = {r["process_pid"]: r for r in rows if r["section"] == "process"}
    assert (procs["10"]["process_workload_pod"], procs["10"]["process_workload_namespace"],
            procs["10"]["process_workload_container"]) == ("train-0", "ml", "trainer")
    assert procs["11"]["process_workload_container_id"] == "cd" * 32
    assert procs["11"]["process_workload_pod"] == ""
    assert all(v == "" for k, v in procs["12"].items() if k.startswith("process_workload_"))
    assert all(r["workloads"] == "" for r in procs.values())  # a device cell, on device rows


def test_default_csv_keeps_its_columns_and_has_no_process_columns() -> None:
    header = csv_header()
    assert not any(c.startswith("process_") for c in header)
    assert header[-1] == "workloads"  # the one new device column comes last


def test_cluster_csv_writes_a_devices_workloads_as_the_node_table_does() -> None:
    cluster = ClusterSnapshot(taken_at_s=1.0, nodes=(ClusterNode(NodeStatus("n1:9090"),
                                                                 SNAPSHOT),))
    rows = _rows(cluster_csv(cluster))
    assert [r["workloads"] for r in rows] == ["ml/train-0;web/serve-1", ""]
    assert "WorkloadReading" not in cluster_csv(cluster)


def test_query_paths_reach_a_process_workload_and_a_devices_workloads() -> None:
    paths = known_paths(cluster=False)
    assert "devices.processes.workload.pod" in paths
    assert "devices.workloads.namespace" in paths
    query = parse_query(["devices.uuid,devices.processes.pid,devices.processes.workload.pod,"
                         "devices.processes.workload.namespace"], cluster=False)
    rows = list(query.node_rows(SNAPSHOT))
    assert rows == [["GPU-0", "10", "train-0", "ml"], ["GPU-0", "11", "", ""],
                    ["GPU-0", "12", "", ""], ["GPU-1", "", "", ""]]
    query = parse_query(["devices.uuid,devices.workloads.pod,devices.workloads.container"],
                        cluster=False)
    assert list(query.node_rows(SNAPSHOT)) == [["GPU-0", "train-0", "trainer"],
                                               ["GPU-0", "serve-1", "api"], ["GPU-1", "", ""]]


def test_include_keeps_workloads_with_their_parts() -> None:
    gpu_only = select_parts(SNAPSHOT, parse_include(["gpu"]))
    assert gpu_only.devices[0].workloads == (TRAIN, SERVE)
    assert gpu_only.devices[0].processes == ()
    process_only = select_parts(SNAPSHOT, parse_include(["process"]))
    assert [p.workload for p in process_only.devices[0].processes] == [TRAIN, DOCKER, None]
    assert process_only.devices[0].workloads == ()  # a device's pods are part of gpu
    host_only = select_parts(SNAPSHOT, parse_include(["cpu"]))
    assert host_only.devices == ()
