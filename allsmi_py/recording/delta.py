"""A delta frame: what changed from the frame before, as leaf positions and exact new values.

The document (before zstd) is JSON:
    {"leaves": L, "units": U, "at": [gap, ...], "set": [value, ...],
     "replace": [[u, [key, ...], {key: value, ...}], ...]}
`leaves` and `units` are the base frame's counts (a check that the delta fits its base). `at`
are positions among the base's leaves (flatten.py's order), each as the gap from the one
before (the first from 0), listed column by column so that like values sit together for
zstd. `set` holds the new value at each: for an integer leaf the difference to the old value;
for a float leaf, when both are exactly digits / 10**places for some places up to 7, an integer
step*8 + places, the difference of their digits: 181.91 after 182.25 is -34*8 + 2. The writer
checks that digits / 10**places gives the float back, bit for bit, and the reader does the
same integer addition and the same division, so no float is ever subtracted or rounded;
otherwise, and for any other leaf, the value itself, of the old value's type. `replace` gives
a unit whose own shape changed (a process came or went, a field appeared) anew: its keys in
order, and the values of those that are new or differ from the base's (a device's identity,
which is most of its bytes, is not sent again; steps for its numbers measured no smaller); a
change to the units themselves, or to unit 0's shape, makes a keyframe instead.
"""

from __future__ import annotations

import math
import operator
from itertools import accumulate, compress
from typing import Any

from allsmi_py.recording.flatten import SCALAR_TYPES, Slots, Unit, columns_of, unit_slots
from allsmi_py.serialize import dumps_json, loads_json

_INT64 = 2**63
_UINT64 = 2**64  # orjson writes integers from -2**63 up to here
_TENS = (1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000)  # places in 3 bits
_EXACT = 2**53  # integers a float holds exactly


def float_step(was: float, now: float) -> int | None:
    """The step from `was` to `now` as `set` holds it; None when they are not short decimals.

    Tries 0 to 7 places: the first at which both floats are exactly their digits divided by
    the power of ten. It runs for every float that moved in a cluster's frame.
    """
    if now == 0.0 and math.copysign(1.0, now) < 0:
        return None  # digits / 10**places is never minus zero
    for places, scale in enumerate(_TENS):
        new = round(now * scale) if -_EXACT < now < _EXACT else _EXACT
        if -_EXACT < new < _EXACT and new / scale == now:
            old = round(was * scale) if -_EXACT < was < _EXACT else _EXACT
            if -_EXACT < old < _EXACT and old / scale == was:
                return (new - old) << 3 | places
    return None


def after_step(was: float, step: int) -> float:
    """The float `step` (from float_step) leads to from `was`; DeltaError when it cannot."""
    places = step & 7
    scale = _TENS[places]
    old = round(was * scale) if -_EXACT < was < _EXACT else _EXACT
    if not (-_EXACT < old < _EXACT and old / scale == was):
        raise DeltaError(f"a step of {places} places from {was!r}, which has more")
    new = old + (step >> 3)
    if not -_EXACT < new < _EXACT:
        raise DeltaError(f"a step to {new} at {places} places, past a float's digits")
    return new / scale


class DeltaError(ValueError):
    """A delta that does not fit its base or is not one; the message says why."""


def encode_delta(base: list[Unit], units: list[Unit]) -> bytes | None:
    """The delta from `base` to `units` as JSON; None when only a keyframe can say it.

    Units whose shape equals the base's take over the base's shape and columns, so a long
    recording keeps one copy of each.
    """
    if len(units) != len(base) or units[0].shape != base[0].shape:
        return None
    changed: dict[str, tuple[list[int], list[Any]]] = {}
    replace: list[list[Any]] = []
    offset = 0
    for number, (old, new) in enumerate(zip(base, units, strict=True)):
        if new.shape != old.shape:
            replace.append(_replacement(number, old.node, new.node))
        else:
            new.shape = old.shape
            if new.values != old.values and not _diff(old, new, offset, changed):
                if number == 0:
                    return None  # unit 0 is never replaced: the whole frame is
                replace.append(_replacement(number, old.node, new.node))
            new.columns = old.columns  # after _diff, which makes them the first time
        offset += len(old.values)
    positions = [position for column in changed.values() for position in column[0]]
    gaps = list(map(operator.sub, positions, [0, *positions[:-1]]))
    values = [value for column in changed.values() for value in column[1]]
    return dumps_json({"leaves": offset, "units": len(base), "at": gaps, "set": values,
                       "replace": replace})


def _replacement(number: int, old: dict[str, Any], new: dict[str, Any]) -> list[Any]:
    """Unit `number` anew: its keys, and what differs from `old` (by JSON: exactly)."""
    changed = {key: value for key, value in new.items()
               if key not in old or not _same(old[key], value)}
    return [number, list(new), changed]


def _same(was: Any, now: Any) -> bool:
    if type(was) is not type(now) or was != now:
        return False
    return type(now) in (str, int, bool) or dumps_json(was) == dumps_json(now)


def _diff(old: Unit, new: Unit, offset: int,
          changed: dict[str, tuple[list[int], list[Any]]]) -> bool:
    """Add the unit's changed leaves to `changed`; False when an integer moved too far."""
    was_values, now_values = old.values, new.values
    indexes = list(compress(range(len(was_values)), map(operator.ne, was_values, now_values)))
    columns = columns_of(old)
    for index in indexes:
        now = now_values[index]
        kind = type(now)
        if kind is float:
            step = float_step(was_values[index], now)
            if step is not None:
                now = step
        elif kind is int:
            now -= was_values[index]
            if now >= _INT64 or now < -_INT64:
                return False
        elif kind is bytes:  # a list of scalars, as its JSON
            now = loads_json(now)
        entry = changed.get(columns[index])
        if entry is None:
            entry = changed[columns[index]] = ([], [])
        entry[0].append(offset + index)
        entry[1].append(now)
    return True


def apply_delta(document: Any, slots: Slots, body: bytes) -> Slots:
    """Apply delta `body` to `document` in place; its slots afterwards. DeltaError if it cannot.

    On DeltaError the document is half changed: the caller must drop it.
    """
    try:
        delta = loads_json(body)
    except ValueError as exc:
        raise DeltaError(f"not a delta ({exc})") from None
    if type(delta) is not dict:
        raise DeltaError("not a delta (not a JSON object)")
    leaves, units = delta.get("leaves"), delta.get("units")
    gaps, values, replace = delta.get("at"), delta.get("set"), delta.get("replace")
    if leaves != len(slots.flat) or units != len(slots.units) or type(leaves) is not int:
        raise DeltaError(f"it is for a frame of {str(leaves)[:20]} leaves in {str(units)[:20]}"
                         f" units, its base has {len(slots.flat)} in {len(slots.units)}")
    if type(gaps) is not list or type(values) is not list or type(replace) is not list:
        raise DeltaError("not a delta (at, set or replace missing)")
    if len(gaps) != len(values):
        raise DeltaError(f"{len(gaps)} positions but {len(values)} values")
    if len(gaps) > leaves:
        raise DeltaError(f"{len(gaps)} positions for a frame of {leaves} leaves")
    if not all(type(gap) is int for gap in gaps):
        raise DeltaError("a position that is not an integer")
    positions = list(accumulate(gaps))
    if positions and not (min(positions) >= 0 and max(positions) < leaves):
        raise DeltaError(f"a position outside the frame's {leaves} leaves")
    _set_leaves(slots, positions, values)
    return _replace_units(slots, replace)


def _set_leaves(slots: Slots, positions: list[int], values: list[Any]) -> None:
    flat = slots.flat
    for position, value in zip(positions, values, strict=True):
        container, key = flat[position]
        old = container[key]
        kind = type(old)
        given = type(value)
        if given is kind:
            if kind is int:
                value += old
                if not -_INT64 <= value < _UINT64:
                    raise DeltaError(f"leaf {position} steps past what JSON holds")
            elif kind is list and not all(type(item) in SCALAR_TYPES for item in value):
                raise DeltaError(f"leaf {position} cannot change from a list of scalars to "
                                 "one of containers")
        elif kind is float and given is int:
            value = after_step(old, value)
        else:
            raise DeltaError(f"leaf {position} cannot change from a {kind.__name__} to a "
                             f"{given.__name__}")
        container[key] = value


def _replace_units(slots: Slots, replace: list[Any]) -> Slots:
    if not replace:
        return slots
    if len(replace) >= len(slots.units):
        raise DeltaError(f"{len(replace)} units replaced of {len(slots.units) - 1}")
    units = list(slots.units)
    for item in replace:
        if not (type(item) is list and len(item) == 3 and type(item[0]) is int
                and 0 < item[0] < len(units) and type(item[1]) is list
                and type(item[2]) is dict):
            raise DeltaError("a replaced unit that is not [number, [key, ...], {...}]")
        number, keys, changed = item
        container, index = slots.places[number]
        old = container[index]
        node = {}
        for key in keys:
            if type(key) is str and key in changed:
                node[key] = changed[key]
            elif type(key) is str and key in old:
                node[key] = old[key]
            else:
                raise DeltaError(f"replaced unit {number} keeps {str(key)[:40]!r}, which its "
                                 "base does not have")
        container[index] = node
        try:
            units[number] = unit_slots(node)
        except RecursionError:
            raise DeltaError(f"replaced unit {number} is nested too deeply") from None
    # The flat list anew by slices from the last unit replaced back, so the starts ahead stay
    # put: a memmove, where building it leaf by leaf took 20 ms a frame of a large cluster.
    starts = [0, *accumulate(map(len, slots.units))]
    flat = list(slots.flat)
    for number in sorted({item[0] for item in replace}, reverse=True):
        flat[starts[number]:starts[number + 1]] = units[number]
    return Slots(units, slots.places, flat)
