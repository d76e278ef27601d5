"""A frame's plain document cut into units and flattened into leaves, as writer and reader agree.

Units: each device (an element of a list of dicts under the key "devices", with its
processes) is a unit, wherever it sits: a node's devices, each cluster node's devices; unit 0
is the rest of the document. The device is where the shape changes most often (a process
comes or goes, a field appears), so a delta replaces that one device instead of a frame
becoming a keyframe.

A leaf is a scalar (None, bool, int, float, str) or a list of scalars only (a device's
throttle reasons: its length changes often, and is no change of shape), in the order of a
depth-first walk in the document's own key order. A unit's shape lists each dict's keys, the
start and end of each list, and each leaf's type, so two units of equal shape hold the same
leaves in the same places with the same types: a delta frame can then name leaves by position.

JSON writes a float that is not finite as null, so the walk takes it as None: the writer's
leaves are then what the reader parses from the keyframe. Minus zero has a shape token of its
own, since -0.0 == 0.0 would otherwise hide the change; the writer holds a list of scalars as
its JSON bytes, since [1] == [1.0] would too.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from allsmi_py.serialize import dumps_json

_NONE = type(None)


class _Token:
    """A mark in a shape: equal only to itself, never to a key, a type or a count."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_DICT, _LIST, _UNITS, _END = _Token("{"), _Token("["), _Token("units"), _Token("end")
_MINUS_ZERO, _SCALARS = _Token("-0.0"), _Token("scalars")  # leaves with a token of their own
SCALAR_TYPES = (_NONE, bool, int, float, str)
UNIT_KEYS = frozenset({"devices"})


@dataclass(slots=True)
class Unit:
    """One unit as the writer holds it: its subtree, shape, leaves and each leaf's column."""

    node: Any  # the unit's dict (the whole document for unit 0)
    shape: list[Any]
    values: list[Any]
    columns: list[str] | None = None  # the key each leaf sits under; made when first needed


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cycle collection inside: for cutting, parsing and slotting a frame.

    Those make hundreds of thousands of containers (a 1024-node frame has half a million
    leaves), each allocation counts towards a collection, and each collection scans the frame
    before and the one being made, none of it in a cycle: ~8x the walk's own time, measured
    in bench_record. The collector is process-wide, so it is paused for one frame at a time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def units_of(document: Any) -> list[Unit]:
    """`document` cut into units (unit 0 first, then the others in document order)."""
    root = Unit(document, [], [])
    units = [root]
    _walk_root(document, root.shape, root.values, units)
    return units


def columns_of(unit: Unit) -> list[str]:
    """The key each of `unit`'s leaves sits under (a list's key for its items)."""
    if unit.columns is None:
        columns: list[str] = []
        _columns(unit.node, "", columns)
        unit.columns = columns
    return unit.columns


def _columns(node: Any, key: str, columns: list[str]) -> None:
    if is_leaf(node):
        columns.append(key)
    else:
        for child_key, child in _children(node):
            _columns(child, child_key if type(child_key) is str else key, columns)


def is_leaf(value: Any) -> bool:
    """A scalar, or a list holding scalars only (the empty list too)."""
    kind = type(value)
    if kind is list:
        return all(type(item) is not dict and type(item) is not list for item in value)
    return kind is not dict


def _leaf(value: Any, shape: list[Any], values: list[Any]) -> None:
    kind = type(value)
    if kind is list:
        shape.append(_SCALARS)
        values.append(dumps_json(value))
        return
    if kind is float and not -math.inf < value < math.inf:
        value, kind = None, _NONE
    shape.append(_MINUS_ZERO if kind is float and value == 0.0 and math.copysign(1.0, value) < 0
                 else kind)
    values.append(value)


def _is_unit_list(value: list[Any]) -> bool:
    return bool(value) and all(type(item) is dict for item in value)


def _walk_root(node: Any, shape: list[Any], values: list[Any], units: list[Unit]) -> None:
    kind = type(node)
    if kind is dict:
        shape.append(_DICT)
        for key, value in node.items():
            shape.append(key)
            if key in UNIT_KEYS and type(value) is list and _is_unit_list(value):
                shape.append((_UNITS, len(value)))
                for item in value:
                    unit = Unit(item, [], [])
                    _walk_unit(item, unit.shape, unit.values)
                    units.append(unit)
            else:
                _walk_root(value, shape, values, units)
        shape.append(_END)
    elif is_leaf(node):
        _leaf(node, shape, values)
    else:
        shape.append(_LIST)
        for item in node:
            _walk_root(item, shape, values, units)
        shape.append(_END)


def _walk_unit(node: Any, shape: list[Any], values: list[Any]) -> None:
    kind = type(node)
    if kind is dict:
        # The hot loop of recording a large cluster (a leaf per device field): scalars other
        # than zero or non-finite floats are taken here without a call.
        add_shape, add_value = shape.append, values.append
        add_shape(tuple(node))  # its keys: the count of what follows, so no end mark
        for value in node.values():
            kind = type(value)
            if kind is float:
                if value - value == 0.0 and value != 0.0:  # finite and not a zero
                    add_shape(kind)
                    add_value(value)
                    continue
            elif kind is dict or kind is list:
                if kind is dict or not is_leaf(value):
                    _walk_unit(value, shape, values)
                    continue
            else:
                add_shape(kind)
                add_value(value)
                continue
            _leaf(value, shape, values)
    elif is_leaf(node):
        _leaf(node, shape, values)
    else:
        shape.append(_LIST)
        for item in node:
            _walk_unit(item, shape, values)
        shape.append(_END)


Slot = tuple[Any, Any]  # (container, key or index): where a leaf is


@dataclass(slots=True)
class Slots:
    """Where each unit's leaves are in a parsed document, for the reader to set them."""

    units: list[list[Slot]]  # each unit's leaves, in walk order
    places: list[Slot]  # where each unit sits in its list (unit 0: nowhere)
    flat: list[Slot]  # every leaf: unit 0's, then unit 1's, ...


def slots_of(document: Any) -> Slots:
    """The slots of a parsed document, cut into units exactly as units_of cuts it."""
    root: list[Slot] = []
    units = [root]
    places: list[Slot] = [(None, None)]
    if not is_leaf(document):
        _slot_root(document, root, units, places)
    return Slots(units, places, [slot for unit in units for slot in unit])


def unit_slots(node: Any) -> list[Slot]:
    """The slots of one unit's subtree."""
    slots: list[Slot] = []
    if not is_leaf(node):
        _slot_unit(node, slots)
    return slots


def _children(node: Any) -> Any:
    return node.items() if type(node) is dict else enumerate(node)


def _slot_root(node: Any, slots: list[Slot], units: list[list[Slot]],
               places: list[Slot]) -> None:
    for key, value in _children(node):
        if key in UNIT_KEYS and type(value) is list and _is_unit_list(value):
            for index, item in enumerate(value):
                units.append(unit_slots(item))
                places.append((value, index))
        elif not is_leaf(value):
            _slot_root(value, slots, units, places)
        else:
            slots.append((node, key))


def _slot_unit(node: Any, slots: list[Slot]) -> None:
    for key, value in _children(node):
        if not is_leaf(value):
            _slot_unit(value, slots)
        else:
            slots.append((node, key))
