"""What a number from a remote node may mean in the model field it fills: the one range check.

Every number a node sends reaches the model through a `Bound`: rules.py builds the /metrics
converters with `converter`, and checked.py walks a decoded /snapshot with the same bounds.
A value outside its field's bound becomes None for that field and is counted in `Dropped`,
whose note the node's snapshot carries as a `BackendStatus` named "remote" (state "error"),
so one bad series costs one field, not the node or the cluster dump.

A field's bound follows from its declared type and the unit its name ends in (DESIGN.md:
every numeric field names its unit), so a new field is covered the day it is added:

    type / name ends in     accepted (in the field's unit)
    int (any name)          whole numbers 0 <= v < 2**63: bytes, counts, ids, pids, indices
    bool                    any finite number, True when non-zero
    _pct                    0 to 1000: a little over 100 is rounding, far over is not a reading
    _c                      -273.15 (absolute zero) to 1000
    _w, _mhz, _rpm          0 to 1e6
    _bytes_per_s, _j, _s    0 to 2**63 (rates, energy counters, times and durations)
    any other float         finite, |v| < 2**63 (load_average_1m ...)

`_FIELD_BOUNDS` holds the one field whose meaning the suffix misses: a process's `cpu_pct`
is 100 per logical CPU it runs on. NaN and the infinities fall outside every bound, since
all-smi never writes them and our exporter omits a series rather than write one.
"""

from __future__ import annotations

import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from allsmi_py.model import BackendStatus

INT_LIMIT = 2**63  # exclusive: orjson, Prometheus and every table agree on int64
ABSOLUTE_ZERO_C = -273.15
NOTE_SOURCE = "remote"
_EXAMPLES = 3
_BIG = float(INT_LIMIT)
_FLOAT_MAX = sys.float_info.max

_BY_SUFFIX: tuple[tuple[str, float, float], ...] = (  # longest suffix first
    ("_bytes_per_s", 0.0, _BIG),
    ("_pct", 0.0, 1000.0),
    ("_rpm", 0.0, 1e6),
    ("_mhz", 0.0, 1e6),
    ("_c", ABSOLUTE_ZERO_C, 1000.0),
    ("_w", 0.0, 1e6),
    ("_j", 0.0, _BIG),
    ("_s", 0.0, _BIG),
)
_FIELD_BOUNDS: dict[str, tuple[float, float]] = {"cpu_pct": (0.0, 100.0 * 65536)}


@dataclass(frozen=True, slots=True)
class Bound:
    """The values a numeric field can mean: `kind` (int, float or bool) within low..high."""

    kind: type
    low: float
    high: float  # exclusive for int, inclusive otherwise

    def admits(self, value: float) -> bool:
        """True when `value`, in the field's unit, is something the field can mean."""
        if self.kind is int:
            return self.low <= value < self.high
        return self.low <= value <= self.high


def bound_for(name: str, kind: type) -> Bound:
    """The bound of a field called `name` whose type is `kind` (int, float or bool)."""
    if kind is bool:
        return Bound(bool, -_FLOAT_MAX, _FLOAT_MAX)
    if kind is int:
        return Bound(int, 0, INT_LIMIT)
    if name in _FIELD_BOUNDS:
        return Bound(float, *_FIELD_BOUNDS[name])
    for suffix, low, high in _BY_SUFFIX:
        if name.endswith(suffix):
            return Bound(float, low, high)
    return Bound(float, -_BIG, _BIG)


def numeric_kind(hint: Any) -> type | None:
    """int, float or bool for a field annotated so (optionally `| None`), else None."""
    inner = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    kind = inner[0] if len(inner) == 1 else None
    return kind if kind in (int, float, bool) else None


def bound_of(model: type, field: str) -> Bound | None:
    """The bound of `model.field`, or None when the field is not a number."""
    kind = numeric_kind(typing.get_type_hints(model).get(field))
    return None if kind is None else bound_for(field, kind)


def converter(bound: Bound, scale: float = 1.0) -> Callable[[float], Any]:
    """sample -> field value (sample / scale, as the field's type), or None when out of range."""
    low, high = bound.low, bound.high
    if bound.kind is bool:
        return lambda v: (v != 0) if low <= v <= high else None
    if bound.kind is int:
        if scale == 1.0:
            return lambda v: round(v) if low <= v < high else None
        return lambda v: round(v / scale) if low <= v / scale < high else None
    if scale == 1.0:
        return lambda v: v if low <= v <= high else None
    return lambda v: v / scale if low <= v / scale <= high else None


def label_int(text: str) -> int | None:
    """A whole number written in a label (pid, index): ASCII digits below 2**63, else None."""
    if not (0 < len(text) <= 19 and text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number < INT_LIMIT else None


def shown(value: Any) -> str:
    """A short, safe spelling of a rejected value for the node's note."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if abs(value) < 10**20:
            return str(value)
        return f"{'-' if value < 0 else ''}about 2**{abs(value).bit_length() - 1}"
    if isinstance(value, float):
        return f"{value:.6g}"
    return type(value).__name__


class Dropped:
    """The values refused while reading one node: how many, and the first few."""

    __slots__ = ("count", "examples")

    def __init__(self) -> None:
        self.count = 0
        self.examples: dict[str, str] = {}  # first refused value of the first few names

    def add(self, what: str, value: Any) -> None:
        """Count one refused value; `what` is a family or field name (never remote text)."""
        self.count += 1
        if len(self.examples) < _EXAMPLES and what not in self.examples:
            self.examples[what] = f"{what} {shown(value)}"

    def note(self) -> BackendStatus | None:
        """The status line for the node, or None when nothing was refused."""
        if not self.count:
            return None
        more = ", ..." if self.count > len(self.examples) else ""
        plural = "s" if self.count != 1 else ""
        shown_ = ", ".join(self.examples.values())
        return BackendStatus(NOTE_SOURCE, "error",
                             f"{self.count} value{plural} out of range dropped ({shown_}{more})")
