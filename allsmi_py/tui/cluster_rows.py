"""What the cluster view lists, derived once per round from a ClusterSnapshot: pure, no Textual.

Rows are plain tuples-of-references (no copies of readings), so flattening 1024 nodes x 8
devices and sorting them costs a few milliseconds; widgets draw only the rows on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from allsmi_py.model import ClusterNode, ClusterSnapshot, DeviceReading, ProcessReading
from allsmi_py.tui.device_fields import FIELDS
from allsmi_py.tui.filter import DeviceFilter

# Sort keys of the device table: name -> (label, descending by default); a reading sorts
# most first.
SORTS: dict[str, tuple[str, bool]] = {
    "node": ("node/index", False),
    **{name: (field.label, True) for name, field in FIELDS.items()},
}


def node_name(node: ClusterNode) -> str:
    """How the view names a node: its hostname once known, else its address."""
    return node.snapshot.hostname if node.snapshot is not None else node.status.address


def node_state_text(node: ClusterNode, now_s: float) -> str:
    """A node that is not live, as a device row's STATE cell: `slow 7s`, `timeout 12s`."""
    age = node.stale_age_s(now_s)
    state = "stale" if node.is_live else node.status.state
    return state if age is None else f"{state} {age:.0f}s"


class DeviceRow(NamedTuple):
    """One device of one node, as the All-devices table shows it (a tuple: 8192 a round)."""

    node_pos: int  # position of the node in the ClusterSnapshot (stable order)
    node: str
    device: DeviceReading
    live: bool


def device_rows(cluster: ClusterSnapshot) -> list[DeviceRow]:
    """Every device of every node with a snapshot (stale ones included, marked not live)."""
    rows: list[DeviceRow] = []
    append = rows.append
    for pos, node in enumerate(cluster.nodes):
        snap = node.snapshot
        if snap is None:
            continue
        live = node.is_live
        name = snap.hostname
        for device in snap.devices:
            append(DeviceRow(pos, name, device, live))
    return rows


def filter_rows(rows: Sequence[DeviceRow], query: DeviceFilter,
                addresses: Sequence[str]) -> list[DeviceRow]:
    """The rows that pass `query`; node words match the hostname and the address."""
    if query.empty:
        return list(rows)
    names: dict[int, str] = {}
    out = []
    for row in rows:
        key = names.get(row.node_pos)
        if key is None:
            key = names[row.node_pos] = f"{row.node}\n{addresses[row.node_pos]}".lower()
        if query.matches(key, row.device):
            out.append(row)
    return out


def _metric(value: Callable[[DeviceReading], float | None]) -> Callable[[DeviceRow], tuple[
        bool, float]]:
    def key(row: DeviceRow) -> tuple[bool, float]:
        v = value(row.device)
        return (v is not None, 0.0 if v is None else v)
    return key


_KEYS: dict[str, Callable[[DeviceRow], object]] = {
    "node": lambda r: (r.node_pos, r.device.index),
    **{name: _metric(field.read) for name, field in FIELDS.items()},
}


def sort_rows(rows: list[DeviceRow], key: str, descending: bool) -> None:
    """Sort in place by `key`; devices that do not report the value go last either way."""
    if key not in _KEYS:
        raise ValueError(f"unknown sort key {key!r}")
    if key == "node":
        rows.sort(key=_KEYS[key], reverse=descending)  # type: ignore[arg-type]
        return
    metric = _KEYS[key]
    if descending:
        rows.sort(key=metric, reverse=True)  # type: ignore[arg-type]
    else:
        rows.sort(key=lambda r: (not metric(r)[0], metric(r)[1]))  # type: ignore[index]


UsersBy = Literal["user", "namespace", "pod"]
USERS_BY: tuple[UsersBy, ...] = ("user", "namespace", "pod")  # the order `w` cycles through
UNKNOWN_USER = "(unknown)"
NO_POD = "(no pod)"  # processes in no Kubernetes pod: bare, or in a plain container


def usage_key(proc: ProcessReading, by: UsersBy) -> str:
    """The row of the Users tab a process counts in: its user, namespace or namespace/pod."""
    if by == "user":
        return proc.user or UNKNOWN_USER
    workload = proc.workload
    if workload is None or workload.pod is None:
        return NO_POD
    if by == "namespace":
        return workload.namespace or NO_POD
    return workload.label or NO_POD


@dataclass(slots=True)
class UserUsage:
    """What one user (or namespace, or pod: see user_usage's `by`) holds across the cluster."""

    user: str
    nodes: set[str] = field(default_factory=set)
    gpus: set[tuple[str, str]] = field(default_factory=set)  # (node, device uuid)
    processes: int = 0
    gpu_memory_bytes: int = 0
    top_command: str = ""
    top_memory_bytes: int = -1
    # seconds the longest-running process has run (all-smi's LONGEST), None: no start known
    longest_s: float | None = None


def user_usage(cluster: ClusterSnapshot,
               by: UsersBy = "user") -> tuple[list[UserUsage], int, int]:
    """Users (or namespaces, or pods) by GPU memory held (most first), with (nodes reporting
    processes, live nodes)."""
    users: dict[str, UserUsage] = {}
    reporting = live = 0
    for node in cluster.nodes:
        snap = node.snapshot
        if not node.is_live or snap is None:
            continue
        live += 1
        seen = False
        for device in snap.devices:
            for proc in device.processes:
                seen = True
                name = usage_key(proc, by)
                usage = users.get(name)
                if usage is None:
                    usage = users[name] = UserUsage(name)
                usage.nodes.add(snap.hostname)
                usage.gpus.add((snap.hostname, device.uuid))
                usage.processes += 1
                if proc.started_at_s is not None:  # Unix time, whichever exporter sent it
                    ran = max(0.0, snap.taken_at_s - proc.started_at_s)
                    if usage.longest_s is None or ran > usage.longest_s:
                        usage.longest_s = ran
                held = proc.gpu_memory_bytes or 0
                usage.gpu_memory_bytes += held
                if held > usage.top_memory_bytes:
                    usage.top_memory_bytes = held
                    usage.top_command = proc.command or proc.name or str(proc.pid)
        reporting += seen
    ordered = sorted(users.values(), key=lambda u: (-u.gpu_memory_bytes, u.user))
    return ordered, reporting, live
