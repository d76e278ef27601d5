"""A decoded /snapshot made safe: every number within its field's bound, every string clean.

msgspec (`serialize.decode_json_as`) has checked the types; what a type cannot say, this walk
checks with the bounds the /metrics parser uses (values.py) and the same cleaner (text.py):

- a number out of its bound becomes None, or the field's default where it has one; a
  required one drops its item (a process whose pid is out of range, a device whose index
  is); a time stamp of the snapshot itself out of range becomes the time of receipt;
- a tuple of numbers with one out of range becomes empty (dropping one would shift the rest);
- a device's pod containers (`workloads`) past MAX_DEVICE_WORKLOADS are cut there, as the
  /metrics parser cuts them;
- a string, tuple of strings or str -> str mapping is cleaned;
- a topology with more devices or links than topology.py admits is dropped whole, and one
  with links to unknown devices or unknown paths loses those links (`topology.sanitized`).

Each class gets one function, generated once from its type hints, that reads every field
once and returns the object itself when nothing is wrong, which is almost always: the walk
costs straight-line attribute reads and comparisons.
"""

from __future__ import annotations

import dataclasses
import math
import time
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from allsmi_py.exporter.workload_items import MAX_DEVICE_WORKLOADS
from allsmi_py.model import NodeSnapshot
from allsmi_py.remote.text import MAX_TEXT, clean_text, is_clean
from allsmi_py.remote.values import Dropped, bound_for, numeric_kind
from allsmi_py.topology import sanitized

Check = Callable[[Any, Dropped], Any]
DROP = object()  # returned by a check for an item that cannot be kept
_CHECKS: dict[type, Check] = {}
_TAKEN = bound_for("taken_at_s", float)
_LONGEST = {"workloads": MAX_DEVICE_WORKLOADS}  # tuples of records cut at a length


def checked_snapshot(snapshot: NodeSnapshot) -> NodeSnapshot:
    """`snapshot` with refused values dropped, strings cleaned and a note on what was refused."""
    dropped = Dropped()
    if not _TAKEN.admits(snapshot.taken_at_s):
        dropped.add("taken_at_s", snapshot.taken_at_s)
        snapshot = dataclasses.replace(snapshot, taken_at_s=time.time())
    if snapshot.topology is not None:
        # before the walk: an oversized topology is refused whole, not checked link by link
        topology = sanitized(snapshot.topology)
        if topology is not snapshot.topology:
            sent = snapshot.topology
            if topology is None:
                dropped.add("topology_devices", len(sent.devices))
            else:
                dropped.add("topology_links", len(sent.links) - len(topology.links))
            snapshot = dataclasses.replace(snapshot, topology=topology)
    out = check_for(NodeSnapshot)(snapshot, dropped)
    note = dropped.note()
    if note is not None:
        out = dataclasses.replace(out, backends=(*out.backends, note))
    return out  # type: ignore[no-any-return]


def check_for(cls: type) -> Check:
    """The generated check of dataclass `cls`: (obj, dropped) -> obj, a fixed copy, or DROP."""
    check = _CHECKS.get(cls)
    if check is None:
        check = _CHECKS[cls] = _build(cls)
    return check


def _build(cls: type) -> Check:
    hints = typing.get_type_hints(cls)
    ns: dict[str, Any] = {"DROP": DROP, "replace": dataclasses.replace, "_set": _set,
                          "clean_text": clean_text, "MAX": MAX_TEXT, "_each": _each,
                          "_texts": _texts, "_mapping": _mapping, "_numbers": _numbers,
                          "_cut": _cut}
    lines = ["def check(o, dropped):", "    new = None"]
    for i, f in enumerate(dataclasses.fields(cls)):
        name, hint = f.name, hints[f.name]
        optional = type(None) in typing.get_args(hint)
        inner = _strip_optional(hint)
        guard = "v is not None and " if optional else ""
        lines.append(f"    v = o.{name}")
        kind = numeric_kind(hint)
        if kind is bool:
            lines.pop()  # msgspec has made it a bool: nothing is out of range
        elif kind is not None:
            bound = bound_for(name, kind)  # as literals: a constant loads faster than a name
            low, high = repr(bound.low), repr(bound.high)
            test = f"{low} <= v < {high}" if kind is int else f"{low} <= v <= {high}"
            lines += [f"    if {guard}not ({test}):", f"        dropped.add({name!r}, v)"]
            if optional:
                lines.append(f"        new = _set(new, {name!r}, None)")
            elif f.default is not dataclasses.MISSING:
                ns[f"D{i}"] = f.default
                lines.append(f"        new = _set(new, {name!r}, D{i})")
            else:
                lines.append("        return DROP")
        elif inner is str:
            lines += [f"    if {guard}not (v.isprintable() and len(v) <= MAX):",
                      f"        new = _set(new, {name!r}, clean_text(v))"]
        elif dataclasses.is_dataclass(inner):
            ns[f"C{i}"] = check_for(inner)  # type: ignore[arg-type]
            ns[f"F{i}"] = None if optional else inner
            lines += [f"    if {guard}True:", f"        w = C{i}(v, dropped)",
                      "        if w is not v:",
                      f"            new = _set(new, {name!r}, "
                      f"(F{i} and F{i}()) if w is DROP else w)"]
        elif typing.get_origin(inner) is tuple:
            item = typing.get_args(inner)[0]
            if dataclasses.is_dataclass(item):
                ns[f"C{i}"] = check_for(item)  # type: ignore[arg-type]
                call = f"_each(C{i}, v, dropped)"
                if name in _LONGEST:
                    call = f"_each(C{i}, _cut(v, {_LONGEST[name]}, {name!r}, dropped), dropped)"
            elif item is str:
                call = "_texts(v)"
            else:
                item_bound = bound_for(name, item)
                ns[f"B{i}"] = item_bound
                call = f"_numbers(v, B{i}, {name!r}, dropped)"
            lines += [f"    if {guard}v:", f"        w = {call}",
                      "        if w is not v:", f"            new = _set(new, {name!r}, w)"]
        elif inner is Mapping or typing.get_origin(inner) in (Mapping, dict):
            lines += [f"    if {guard}v:", "        w = _mapping(v)",
                      "        if w is not v:", f"            new = _set(new, {name!r}, w)"]
        else:
            raise TypeError(f"{cls.__name__}.{name}: no check for {hint}")
    lines.append("    return o if new is None else replace(o, **new)")
    exec("\n".join(lines), ns)  # noqa: S102 - source built above from field names
    check: Check = ns["check"]
    return check


def _strip_optional(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(inner) == 1:
            return inner[0]
    return hint


def _set(new: dict[str, Any] | None, name: str, value: Any) -> dict[str, Any]:
    if new is None:
        new = {}
    new[name] = value
    return new


def _each(check: Check, items: tuple[Any, ...], dropped: Dropped) -> tuple[Any, ...]:
    kept: list[Any] | None = None
    for i, item in enumerate(items):
        fixed = check(item, dropped)
        if fixed is not item and kept is None:
            kept = list(items[:i])
        if kept is not None and fixed is not DROP:
            kept.append(fixed)
    return items if kept is None else tuple(kept)


def _cut(items: tuple[Any, ...], longest: int, name: str, dropped: Dropped) -> tuple[Any, ...]:
    if len(items) <= longest:
        return items
    dropped.add(name, len(items))
    return items[:longest]


def _texts(items: tuple[str, ...]) -> tuple[str, ...]:
    if all(map(is_clean, items)):
        return items
    return tuple(map(clean_text, items))


def _mapping(items: Mapping[str, str]) -> Mapping[str, str]:
    # one join and one isprintable for all of them: a device has a dozen details
    keys, values = "".join(items), "".join(items.values())
    if (keys.isprintable() and values.isprintable()
            and (len(keys) + len(values) <= MAX_TEXT
                 or max(map(len, items), default=0) <= MAX_TEXT
                 and max(map(len, items.values()), default=0) <= MAX_TEXT)):
        return items
    return {clean_text(key): clean_text(value) for key, value in items.items()}


def _numbers(items: tuple[float, ...], bound: Any, name: str,
             dropped: Dropped) -> tuple[float, ...]:
    if bound.low <= min(items) and max(items) <= bound.high and not any(map(math.isnan, items)):
        return items
    dropped.add(name, next(v for v in items if not bound.admits(v)))
    return ()
