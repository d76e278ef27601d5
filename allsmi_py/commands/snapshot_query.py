"""`allsmi snapshot --query devices.name,devices.power_w,...`: CSV columns named by model paths.

A path walks the model's fields from the NodeSnapshot: `hostname`, `devices.power_w`,
`devices.processes.pid`, `host.cpu.utilization_pct`, `host.disks.mount_point`,
`devices.details.driver_version` (any key of a mapping); in a cluster also `node.address`,
`node.state` ... (the NodeStatus). Paths are checked against the dataclasses themselves, so
a field added to the model can be queried at once; an unknown path is refused with the
nearest known one.

Rows: one per element of the deepest list the paths go through (a path through
`devices.processes` gives a row per process, with its device's and node's columns
repeated); a list with no element still gives one row with its columns empty. Paths through
two different lists (`devices.x` with `host.disks.y`) are refused: their rows do not pair.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from allsmi_py.errors import UsageError
from allsmi_py.model import ClusterNode, NodeSnapshot, NodeStatus

MAX_PATHS = 200
MAX_PATH_CHARS = 200
NODE_PREFIX = "node"  # cluster mode: the node's status


@dataclass(frozen=True, slots=True)
class _Field:
    """What a step of a path leads to: a dataclass, a list of them, a mapping or a value."""

    kind: str  # "record", "list", "mapping" or "value"
    cls: type | None = None  # the dataclass of a record or of a list's elements


def _field_of(hint: Any) -> _Field:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union) and len(args) == 1:
        return _field_of(args[0])
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _Field("record", hint)
    if origin is tuple and args and dataclasses.is_dataclass(args[0]):
        return _Field("list", args[0])  # type: ignore[arg-type]
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        return _Field("mapping")
    return _Field("value")


def _fields(cls: type) -> dict[str, _Field]:
    hints = typing.get_type_hints(cls)
    return {f.name: _field_of(hints[f.name]) for f in dataclasses.fields(cls)}


def known_paths(cluster: bool) -> list[str]:
    """Every leaf path (mappings shown as `path.KEY`)."""
    out: list[str] = []

    def walk(cls: type, prefix: str) -> None:
        for name, field in _fields(cls).items():
            path = f"{prefix}{name}"
            if field.kind in ("record", "list"):
                assert field.cls is not None
                walk(field.cls, path + ".")
            else:
                out.append(path + ".KEY" if field.kind == "mapping" else path)

    walk(NodeSnapshot, "")
    if cluster:
        walk(NodeStatus, NODE_PREFIX + ".")
    return out


@dataclass(frozen=True, slots=True)
class QueryPath:
    """One checked path: its steps, and after how many steps each list it crosses begins."""

    text: str
    steps: tuple[str, ...]
    lists: tuple[int, ...]  # step counts at which a list is entered


def _check_path(text: str, cluster: bool) -> QueryPath:
    steps = tuple(text.split("."))
    if not cluster and steps[0] == NODE_PREFIX:
        raise UsageError(f"--query: {text[:80]!r}: node.* paths are a cluster node's status; "
                         "use them with --hosts or --hostfile")
    cls: type = NodeSnapshot
    rest = steps
    if cluster and steps[0] == NODE_PREFIX:
        cls, rest = NodeStatus, steps[1:]
    offset = len(steps) - len(rest)
    lists: list[int] = []
    for i, step in enumerate(rest):
        field = _fields(cls).get(step)
        if field is None:
            break
        if field.kind == "value":
            if i == len(rest) - 1:
                return QueryPath(text, steps, tuple(lists))
            break
        if field.kind == "mapping":
            if i == len(rest) - 2 and rest[-1]:
                return QueryPath(text, steps, tuple(lists))
            break
        if field.kind == "list":
            lists.append(offset + i + 1)
        assert field.cls is not None
        cls = field.cls
        if i == len(rest) - 1:
            raise UsageError(f"--query: {text!r} is a group of fields; name one, such as "
                             f"{_first_leaf(text, cluster)}")
    near = difflib.get_close_matches(text, known_paths(cluster), n=1, cutoff=0.5)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise UsageError(f"--query: unknown path {text[:80]!r}{hint} (fields of the snapshot "
                     "model, e.g. devices.power_w, host.cpu.utilization_pct)")


def _first_leaf(group: str, cluster: bool) -> str:
    return next((p for p in known_paths(cluster) if p.startswith(group + ".")), group)


@dataclass(frozen=True, slots=True)
class Query:
    """Checked `--query` paths, in the order given; they are the CSV's columns."""

    paths: tuple[QueryPath, ...]
    lists: tuple[tuple[str, ...], ...]  # the list prefixes rows expand over, outermost first

    @property
    def columns(self) -> list[str]:
        """The header: the paths as given."""
        return [p.text for p in self.paths]

    def node_rows(self, snapshot: NodeSnapshot | None,
                  status: NodeStatus | None = None) -> Iterator[list[str]]:
        """The rows of one node (its snapshot may be missing, in a cluster)."""
        for binding in self._bindings({(): snapshot}, 0, status):
            yield [_cell(self._value(p, binding, status)) for p in self.paths]

    def cluster_rows(self, nodes: Sequence[ClusterNode]) -> Iterator[list[str]]:
        """The rows of every node, in order."""
        for node in nodes:
            yield from self.node_rows(node.snapshot, node.status)

    def _bindings(self, bound: dict[tuple[str, ...], Any], depth: int,
                  status: NodeStatus | None) -> Iterator[dict[tuple[str, ...], Any]]:
        if depth == len(self.lists):
            yield bound
            return
        prefix = self.lists[depth]
        parent = max((k for k in bound if prefix[:len(k)] == k), key=len)
        items = _walk(bound[parent], prefix[len(parent):])
        for item in items or (None,):
            yield from self._bindings({**bound, prefix: item}, depth + 1, status)

    @staticmethod
    def _value(path: QueryPath, bound: dict[tuple[str, ...], Any],
               status: NodeStatus | None) -> Any:
        if status is not None and path.steps[0] == NODE_PREFIX:
            return _walk(status, path.steps[1:])
        start = max((k for k in bound if path.steps[:len(k)] == k), key=len)
        return _walk(bound[start], path.steps[len(start):])


def _walk(obj: Any, steps: Sequence[str]) -> Any:
    for step in steps:
        if obj is None:
            return None
        obj = obj.get(step) if isinstance(obj, Mapping) else getattr(obj, step)
    return obj


def parse_query(values: Sequence[str], cluster: bool) -> Query:
    """`--query a,b --query c` checked against the model; UsageError on a bad path."""
    texts = [t.strip() for v in values for t in v.split(",") if t.strip()]
    if not texts:
        raise UsageError("--query names no path (e.g. --query hostname,devices.power_w)")
    if len(texts) > MAX_PATHS:
        raise UsageError(f"--query names {len(texts)} paths; at most {MAX_PATHS}")
    for text in texts:
        if len(text) > MAX_PATH_CHARS:
            raise UsageError(f"--query path longer than {MAX_PATH_CHARS} characters")
    paths = tuple(_check_path(t, cluster) for t in texts)
    deepest = max(paths, key=lambda p: len(p.lists))
    chain = tuple(deepest.steps[:n] for n in deepest.lists)
    for path in paths:
        mine = tuple(path.steps[:n] for n in path.lists)
        if chain[:len(mine)] != mine:
            raise UsageError(f"--query: {path.text!r} and {deepest.text!r} lie in different "
                             "lists, whose rows do not pair; query one list at a time")
    return Query(paths, chain)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ";".join(_cell(v) for v in value)
    if isinstance(value, Mapping):
        return ";".join(f"{k}={v}" for k, v in value.items())
    return str(value)
