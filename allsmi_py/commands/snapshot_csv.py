"""This node's reading as one CSV table: a row per device, one for the host, one per backend.

The column `section` says what a row is. Processes and disks get rows of their own
(`process`, `disk`, with `process_*` / `disk_*` columns) only when `--include` names them,
so the default table keeps the columns scripts already read. A device's columns are its
field names (`memory_used_bytes` is the device's memory); the host row's are prefixed
`cpu_` and `host_memory_` (issue 19 item 7: `memory_` + the host's `used_bytes` was the
device's column name too, and the header held both under one name). A device's pod
containers are one cell, `workloads` (each as `WorkloadReading.label`, `;` between); a
process row's container and pod are `process_workload_*` columns (runtime, container_id, ...).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterator
from typing import Any

from allsmi_py.model import (
    CpuReading,
    DeviceReading,
    DiskReading,
    MemoryReading,
    NodeSnapshot,
    ProcessReading,
    WorkloadReading,
)

DEFAULT_SECTIONS = frozenset({"gpu", "cpu", "memory"})
_NESTED = ("details", "processes", "problems", "mig_instances", "per_core_utilization_pct",
           "disks", "cpu", "memory", "sockets", "per_core_socket_index", "workload",
           "workloads")
_STATUS_COLUMNS = ["status_state", "status_message", "read_duration_s", "device_count"]
HOST_MEMORY_PREFIX = "host_memory_"
PROCESS_WORKLOAD_PREFIX = "process_workload_"


def _scalar_fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.name not in _NESTED]


def csv_header(parts: frozenset[str] = DEFAULT_SECTIONS) -> list[str]:
    """The columns of the table for `parts` (PARTS of snapshot_parts)."""
    header = ["section", "hostname", "taken_at_s", *_scalar_fields(DeviceReading),
              *(f"cpu_{c}" for c in _scalar_fields(CpuReading)),
              *(HOST_MEMORY_PREFIX + c for c in _scalar_fields(MemoryReading)),
              *_STATUS_COLUMNS, "details", "problems", "workloads"]
    if "process" in parts:
        header += [f"process_{c}" for c in _scalar_fields(ProcessReading)]
        header += [PROCESS_WORKLOAD_PREFIX + c for c in _scalar_fields(WorkloadReading)]
    if "storage" in parts:
        header += [f"disk_{c}" for c in _scalar_fields(DiskReading)]
    return header


def csv_rows(snapshot: NodeSnapshot,
             parts: frozenset[str] = DEFAULT_SECTIONS) -> Iterator[dict[str, str]]:
    """The table's rows for one snapshot, as column -> cell."""
    base = {"hostname": snapshot.hostname, "taken_at_s": f"{snapshot.taken_at_s:.3f}"}
    device_cols = _scalar_fields(DeviceReading)
    for device in snapshot.devices:
        identity = {col: cell(getattr(device, col)) for col in device_cols}
        if "gpu" in parts:
            yield {"section": "device", **base, **identity,
                   "details": ";".join(f"{k}={v}" for k, v in device.details.items()),
                   "problems": ";".join(device.problems),
                   "workloads": workloads_cell(device.workloads)}
        if "process" in parts:
            for process in device.processes:
                workload = {} if process.workload is None else _prefixed(
                    PROCESS_WORKLOAD_PREFIX, process.workload)
                yield {"section": "process", **base, **identity,
                       **_prefixed("process_", process), **workload}
    host = snapshot.host
    if host is not None and parts & {"cpu", "memory"}:
        yield {"section": "host", **base, **_prefixed("cpu_", host.cpu),
               **_prefixed(HOST_MEMORY_PREFIX, host.memory)}
    if host is not None and "storage" in parts:
        for disk in host.disks:
            yield {"section": "disk", **base, **_prefixed("disk_", disk)}
    for status in snapshot.backends:
        yield {"section": "backend", **base, "backend": status.name,
               "status_state": status.state, "status_message": status.message,
               "read_duration_s": cell(status.read_duration_s),
               "device_count": str(status.device_count)}


def _prefixed(prefix: str, reading: Any) -> dict[str, str]:
    return {prefix + col: cell(getattr(reading, col)) for col in _scalar_fields(type(reading))}


def snapshot_csv(snapshot: NodeSnapshot, parts: frozenset[str] = DEFAULT_SECTIONS) -> str:
    """The whole table for one snapshot, header first."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=csv_header(parts), lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(snapshot, parts))
    return out.getvalue()


def workloads_cell(workloads: tuple[WorkloadReading, ...]) -> str:
    """A device's pod containers as one cell: `namespace/pod` (or a container) each, `;` apart."""
    return ";".join(w.label or "" for w in workloads)


def cell(value: Any) -> str:
    """One value as CSV text: empty for None, true/false, tuples joined with ';'."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
