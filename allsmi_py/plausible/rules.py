"""The plausibility rules: one per unit, chosen by a field's name, and the few the name misses.

The table in the package docstring (allsmi_py/plausible/__init__.py) is what this module
declares; `RULES` holds each reading's fields in checking order (totals and limits first).
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from allsmi_py.model import (
    CpuReading,
    DeviceReading,
    DiskReading,
    HostReading,
    MemoryReading,
    MigInstanceReading,
    ProcessReading,
)

SENTINELS = frozenset({-1, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, 2**63 - 1, 2**64 - 1})
POWER_NO_LIMIT_W = 2000.0  # the largest board today (MI355X, B300) draws 1400 W

Lookup = Callable[[str], Any]
_NUMBER_TYPES = (int, float)  # exact types: a bool is no number here
_NO_CAP = 2.0**64


def cap(floor: float, factor: float, high: float, *against: Any) -> float:
    """max(floor, factor x the largest known (> 0) of `against`), or `high` if none is known."""
    largest: float = 0
    for value in against:
        # a cap beyond any field's range (a sentinel, 10**400) is no cap: refused on its own
        if type(value) in _NUMBER_TYPES and largest < value < _NO_CAP:
            largest = value
    return max(floor, factor * largest) if largest > 0 else high


@dataclass(frozen=True, slots=True)
class Rule:
    """What one field may hold: `kind` (int, float or bool) within low..high.

    When `against` names fields and one of them is known (> 0), the top is instead
    max(floor, factor x the largest of them): a clock against its max clock.
    """

    kind: type
    low: float
    high: float
    against: tuple[str, ...] = ()
    factor: float = 1.0
    floor: float = 0.0

    def top(self, lookup: Lookup) -> float:
        """The largest value accepted, given the (already guarded) fields it depends on."""
        return cap(self.floor, self.factor, self.high, *map(lookup, self.against))

    def passes(self, value: Any, lookup: Lookup) -> bool:
        """The common case, cheaply: `value` is of the field's own type and in range."""
        kind = type(value)
        return ((kind is self.kind or (kind is int and self.kind is float))
                and self.low <= value <= self.high
                and value not in SENTINELS
                and (not self.against or value <= self.floor or value <= self.top(lookup)))

    def refusal(self, value: Any, lookup: Lookup) -> str | None:
        """Why `value` cannot be a reading of this field, or None when it can."""
        if self.kind is bool:
            return None if isinstance(value, bool) else "is not true or false"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "is not a number"
        if self.kind is int and not isinstance(value, int):
            return "is not a whole number"
        if value in SENTINELS or (isinstance(value, float) and not math.isfinite(value)):
            return "is a sentinel"
        top = self.top(lookup) if self.against else self.high
        if self.low <= value <= top:
            return None
        return f"is outside {_number(self.low)}..{_number(top)}"


PERCENT = Rule(float, 0.0, 100.0)
TEMPERATURE_C = Rule(float, -40.0, 200.0)
WATTS = Rule(float, 0.0, POWER_NO_LIMIT_W)
MHZ = Rule(float, 0.0, 50_000.0)
RPM = Rule(float, 0.0, 50_000.0)
DISK_BYTES = 2**60  # an exabyte: any file system, a parallel one included
BYTES = Rule(int, 0, DISK_BYTES)
BYTES_PER_S = Rule(float, 0.0, 2.0**40)
ENERGY_J = Rule(float, 0.0, 1e15)  # 2 kW for 15,000 years; NVML's 2**64-1 mJ is 1.8e16 J
SECONDS = Rule(float, 0.0, 1e10)  # durations and Unix times (the year 2286); ms are refused
WHOLE_COUNTER = Rule(int, 0, 2**63 - 1)
COUNT = Rule(int, 1, 2**20)  # cores, threads, sockets
INSTANCE_ID = Rule(int, 0, 2**32 - 2)
SWITCH = Rule(bool, 0, 1)
IDENTITY = None  # an index or a pid names the reading; it is not a measurement

_BY_SUFFIX: tuple[tuple[str, Rule], ...] = (  # longest suffix first
    ("_bytes_per_s", BYTES_PER_S),
    ("_bytes", BYTES),
    ("_pct", PERCENT),
    ("_mhz", MHZ),
    ("_rpm", RPM),
    ("_c", TEMPERATURE_C),
    ("_w", WATTS),
    ("_j", ENERGY_J),
    ("_s", SECONDS),
)


DEVICE_BYTES = 2**44  # 16 TiB: a device's memory (B300: 288 GB); 0xFFFFFFFF MiB is 4 PiB
HOST_BYTES = 2**50  # 1 PiB of RAM or swap


def _of_total(total: str, high: int) -> Rule:
    return Rule(int, 0, high, against=(total,))


def _clock_of(max_field: str) -> Rule:
    return Rule(float, 0.0, MHZ.high, against=(max_field,), factor=1.2)


_LIMITS = ("power_limit_w", "power_limit_max_w", "power_limit_default_w")

# Fields whose meaning the suffix misses, or that are capped by another field.
_EXPLICIT: dict[type, dict[str, Rule | None]] = {
    DeviceReading: {
        "memory_total_bytes": Rule(int, 0, DEVICE_BYTES),
        "memory_used_bytes": _of_total("memory_total_bytes", DEVICE_BYTES),
        "memory_reserved_bytes": _of_total("memory_total_bytes", DEVICE_BYTES),
        "power_limit_w": Rule(float, 0.0, 10_000.0),
        "power_limit_default_w": Rule(float, 0.0, 10_000.0),
        "power_limit_max_w": Rule(float, 0.0, 10_000.0),
        "power_w": Rule(float, 0.0, POWER_NO_LIMIT_W, against=_LIMITS, factor=1.5,
                        floor=POWER_NO_LIMIT_W),
        "clock_graphics_mhz": _clock_of("clock_graphics_max_mhz"),
        "clock_sm_mhz": _clock_of("clock_sm_max_mhz"),
        "clock_memory_mhz": _clock_of("clock_memory_max_mhz"),
        # NVML: "a percentage of the product's maximum noise tolerance fan speed. This value
        # may exceed 100% in certain cases" (nvmlDeviceGetFanSpeed_v2)
        "fan_pct": Rule(float, 0.0, 200.0),
        "performance_state": Rule(int, 0, 15),  # NVML answers 32 for "unknown"
        "pcie_gen_current": Rule(int, 1, 8),
        "pcie_gen_max": Rule(int, 1, 8),
        "pcie_width_current": Rule(int, 0, 64),  # 0: the link is down
        "pcie_width_max": Rule(int, 0, 64),
        "ecc_errors_corrected_volatile": WHOLE_COUNTER,
        "ecc_errors_uncorrected_volatile": WHOLE_COUNTER,
        "ecc_errors_corrected_aggregate": WHOLE_COUNTER,
        "ecc_errors_uncorrected_aggregate": WHOLE_COUNTER,
        "numa_node": Rule(int, 0, 4095),
    },
    MigInstanceReading: {
        "gpu_instance_id": INSTANCE_ID,
        "compute_instance_id": INSTANCE_ID,
        "memory_total_bytes": Rule(int, 0, DEVICE_BYTES),
        "memory_used_bytes": _of_total("memory_total_bytes", DEVICE_BYTES),
    },
    ProcessReading: {
        "pid": IDENTITY,
        "ppid": Rule(int, 0, 2**32),  # a pid (Linux caps them at 2**22, Windows at 2**32)
        "gpu_memory_bytes": _of_total("memory_total_bytes", DEVICE_BYTES),  # the device's
        "host_memory_bytes": Rule(int, 0, HOST_BYTES),
        "cpu_pct": Rule(float, 0.0, 100.0 * 65_536),  # 100 per logical CPU
    },
    CpuReading: {
        "core_count": COUNT,
        "thread_count": COUNT,
        "socket_count": COUNT,
        "power_w": Rule(float, 0.0, POWER_NO_LIMIT_W, against=("socket_count",), factor=1000.0,
                        floor=POWER_NO_LIMIT_W),
        "load_average_1m": Rule(float, 0.0, 1e6),
    },
    MemoryReading: {
        "total_bytes": Rule(int, 0, HOST_BYTES),
        "swap_total_bytes": Rule(int, 0, HOST_BYTES),
        **{name: _of_total("total_bytes", HOST_BYTES)
           for name in ("used_bytes", "available_bytes", "free_bytes", "buffers_bytes",
                        "cached_bytes")},
        "swap_used_bytes": _of_total("swap_total_bytes", HOST_BYTES),
        "swap_free_bytes": _of_total("swap_total_bytes", HOST_BYTES),
    },
    DiskReading: {
        "used_bytes": _of_total("total_bytes", DISK_BYTES),
        "available_bytes": _of_total("total_bytes", DISK_BYTES),
    },
    HostReading: {},
}


def numeric_fields(model: type) -> dict[str, tuple[type, bool]]:
    """`model`'s numeric fields: name -> (int, float or bool; True for a tuple of them)."""
    found: dict[str, tuple[type, bool]] = {}
    for name, hint in typing.get_type_hints(model).items():
        kind, sequence = _element(hint)
        if kind in (int, float, bool):
            found[name] = (kind, sequence)
    return found


def nested_fields(model: type) -> dict[str, tuple[type, bool]]:
    """`model`'s readings within: name -> (their dataclass; True for a tuple of them)."""
    found: dict[str, tuple[type, bool]] = {}
    for name, hint in typing.get_type_hints(model).items():
        kind, sequence = _element(hint)
        if isinstance(kind, type) and dataclasses.is_dataclass(kind):
            found[name] = (kind, sequence)
    return found


def _element(hint: Any) -> tuple[Any, bool]:
    args = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    if typing.get_origin(hint) is tuple and args[-1] is Ellipsis:
        return args[0], True
    return (args[0] if len(args) == 1 else None), False


def _models(*roots: type) -> tuple[type, ...]:
    seen: list[type] = []
    todo = list(roots)
    while todo:
        model = todo.pop(0)
        if model not in seen:
            seen.append(model)
            todo.extend(kind for kind, _ in nested_fields(model).values())
    return tuple(seen)


MODELS = _models(DeviceReading, HostReading)
"""Every reading the guard walks: the two roots and each reading found inside them."""


def rules_for(model: type) -> tuple[dict[str, tuple[Rule, bool]], tuple[str, ...]]:
    """The rules of `model`'s numeric fields, in checking order, and the fields left without."""
    explicit = _EXPLICIT.get(model, {})
    rules: dict[str, tuple[Rule, bool]] = {}
    missing: list[str] = []
    for name, (kind, sequence) in numeric_fields(model).items():
        if name in explicit:
            rule = explicit[name]
        elif kind is bool:
            rule = SWITCH
        elif name == "index" or name.endswith("_index"):
            continue  # IDENTITY
        else:
            rule = next((r for suffix, r in _BY_SUFFIX if name.endswith(suffix)), None)
            if rule is None:
                missing.append(name)
        if rule is not None:
            rules[name] = (rule, sequence)
    # A field others are capped by is checked before them.
    ordered = dict(sorted(rules.items(), key=lambda item: bool(item[1][0].against)))
    return ordered, tuple(missing)


_TABLES = {model: rules_for(model) for model in MODELS}
RULES: Mapping[type, Mapping[str, tuple[Rule, bool]]] = {m: t[0] for m, t in _TABLES.items()}
UNRULED: Mapping[type, tuple[str, ...]] = {m: t[1] for m, t in _TABLES.items() if t[1]}
"""Numeric fields that neither a suffix nor `_EXPLICIT` covers: must stay empty."""
NESTED = {model: nested_fields(model) for model in MODELS}
"""Each reading's readings within, walked after its own fields."""


def _number(value: float) -> str:
    if isinstance(value, int) or (math.isfinite(value) and value == int(value)):
        as_int = int(value)
        if abs(as_int) < 10**20:
            return str(as_int)
        return f"{'-' if as_int < 0 else ''}about 2**{abs(as_int).bit_length() - 1}"
    return f"{value:.6g}"


def shown(value: Any) -> str:
    """A short, safe spelling of a refused value for a problem line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    return type(value).__name__
