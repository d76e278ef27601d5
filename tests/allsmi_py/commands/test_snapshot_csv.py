"""The node CSV table: every column named once, the device's and the host's memory apart."""

from __future__ import annotations

import csv
import io

from allsmi_py.commands.snapshot_csv import csv_header, snapshot_csv
from allsmi_py.model import (
    ClusterNode,
    ClusterSnapshot,
    CpuReading,
    DeviceReading,
    HostReading,
    MemoryReading,
    NodeSnapshot,
    NodeStatus,
)
from allsmi_py.remote.dump import cluster_csv

GIB = 1024**3
DEVICE = DeviceReading(backend="mock", index=0, uuid="GPU-0", name="H100",
                       memory_used_bytes=3 * GIB, memory_total_bytes=80 * GIB)
HOST = HostReading(cpu=CpuReading(utilization_pct=12.5),
                   memory=MemoryReading(total_bytes=512 * GIB, used_bytes=100 * GIB,
                                        available_bytes=412 * GIB))
SNAPSHOT = NodeSnapshot(hostname="node-1", taken_at_s=1.0, devices=(DEVICE,), host=HOST)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_every_column_is_named_once_for_every_part() -> None:
    for parts in (frozenset({"gpu", "cpu", "memory"}),
                  frozenset({"gpu", "cpu", "memory", "process", "storage"})):
        header = csv_header(parts)
        assert len(header) == len(set(header)), [c for c in header if header.count(c) > 1]


def test_device_and_host_memory_come_from_their_own_readings() -> None:
    rows = {r["section"]: r for r in _rows(snapshot_csv(SNAPSHOT))}
    device, host = rows["device"], rows["host"]
    assert device["memory_used_bytes"] == str(3 * GIB)
    assert device["memory_total_bytes"] == str(80 * GIB)
    assert device["host_memory_used_bytes"] == "" and device["host_memory_total_bytes"] == ""
    assert host["host_memory_used_bytes"] == str(100 * GIB)
    assert host["host_memory_total_bytes"] == str(512 * GIB)
    assert host["host_memory_available_bytes"] == str(412 * GIB)
    assert host["memory_used_bytes"] == "" and host["memory_total_bytes"] == ""
    assert host["cpu_utilization_pct"] == "12.5"


def test_cluster_csv_names_device_columns_as_the_node_table_does() -> None:
    cluster = ClusterSnapshot(taken_at_s=1.0, nodes=(
        ClusterNode(NodeStatus("node-1:9090"), SNAPSHOT),))
    text = cluster_csv(cluster)
    header = next(csv.reader(io.StringIO(text)))
    assert len(header) == len(set(header))
    node_columns = set(csv_header())
    device_columns = [c for c in header if c != "hostname" and not c.startswith("node_")]
    assert set(device_columns) <= node_columns
    assert not any(c.startswith("host_memory_") for c in device_columns)
    (row,) = _rows(text)
    assert row["memory_used_bytes"] == str(3 * GIB) and row["memory_total_bytes"] == str(80 * GIB)
