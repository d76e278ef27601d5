"""`allsmi snapshot --include gpu,cpu,memory,process,storage`: which parts of a reading to keep.

A part left out is removed from the snapshot before it is formatted, so JSON, CSV and
Prometheus text all lose it the same way. `process` without `gpu` keeps each device's
identity (backend, index, uuid, name, kind, vendor) so a process still says where it runs.
Backend statuses always stay: they say what was read and why something is missing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from allsmi_py.errors import UsageError
from allsmi_py.model import (
    ClusterNode,
    ClusterSnapshot,
    CpuReading,
    DeviceReading,
    HostReading,
    MemoryReading,
    NodeSnapshot,
)

PARTS = ("gpu", "cpu", "memory", "process", "storage")
HOST_PARTS = frozenset({"cpu", "memory", "storage"})
MAX_INCLUDE_CHARS = 200


def parse_include(values: Iterable[str]) -> frozenset[str]:
    """`--include gpu,cpu --include memory` as a set of PARTS; UsageError naming the valid ones."""
    parts: set[str] = set()
    for value in values:
        if len(value) > MAX_INCLUDE_CHARS:
            raise UsageError(f"--include is longer than {MAX_INCLUDE_CHARS} characters")
        for word in (w.strip().lower() for w in value.split(",")):
            if not word:
                continue
            if word not in PARTS:
                raise UsageError(f"--include: unknown part {word[:40]!r}; "
                                 f"valid parts: {', '.join(PARTS)}")
            parts.add(word)
    if not parts:
        raise UsageError(f"--include names no part; valid parts: {', '.join(PARTS)}")
    return frozenset(parts)


def _identity(device: DeviceReading) -> DeviceReading:
    return DeviceReading(backend=device.backend, index=device.index, uuid=device.uuid,
                         name=device.name, kind=device.kind, vendor=device.vendor,
                         processes=device.processes)


def select_parts(snapshot: NodeSnapshot, parts: frozenset[str]) -> NodeSnapshot:
    """`snapshot` with only `parts` (see PARTS) left in it."""
    if "gpu" in parts:
        devices = snapshot.devices if "process" in parts else tuple(
            dataclasses.replace(d, processes=()) for d in snapshot.devices)
    elif "process" in parts:
        devices = tuple(_identity(d) for d in snapshot.devices)
    else:
        devices = ()
    host: HostReading | None = None
    if snapshot.host is not None and parts & HOST_PARTS:
        host = dataclasses.replace(
            snapshot.host,
            cpu=snapshot.host.cpu if "cpu" in parts else CpuReading(),
            memory=snapshot.host.memory if "memory" in parts else MemoryReading(),
            disks=snapshot.host.disks if "storage" in parts else ())
    # the topology says how the devices are joined: it goes with them
    topology = snapshot.topology if "gpu" in parts else None
    return dataclasses.replace(snapshot, devices=devices, host=host, topology=topology)


def select_cluster_parts(cluster: ClusterSnapshot, parts: frozenset[str]) -> ClusterSnapshot:
    """Every node's snapshot with only `parts` left in it."""
    nodes = tuple(node if node.snapshot is None else
                  ClusterNode(node.status, select_parts(node.snapshot, parts))
                  for node in cluster.nodes)
    return dataclasses.replace(cluster, nodes=nodes)
