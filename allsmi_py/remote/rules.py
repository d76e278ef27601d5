"""Which model field each metric family fills: the exporter's metric table, inverted.

Built from `allsmi_py.exporter.schema` (each spec's scope, `field` and `scale`), so the
parser cannot drift from what the exporter writes; our names are all-smi's, so the same
table reads all-smi's exporters too.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from allsmi_py.model import CpuReading, DeviceReading, DiskReading, MemoryReading, ProcessReading


def _identity(value: float) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Rule:
    """Where a sample goes: scope (device, cpu, memory, disk, process, energy, node) and field."""

    scope: str
    field: str = ""
    convert: Callable[[float], Any] = _identity
    label: str = ""  # take the field's value from this label instead of the sample value


DEVICE_INFO = Rule("device", "details")
CPU_INFO = Rule("cpu")
NODE = Rule("node")

# schema scope -> (our parser scope, model class whose field type decides the conversion)
_SCOPES: dict[str, tuple[str, type]] = {
    "device": ("device", DeviceReading),
    "npu": ("device", DeviceReading),
    "mig_device": ("device", DeviceReading),
    "cpu": ("cpu", CpuReading),
    "memory": ("memory", MemoryReading),
    "disk": ("disk", DiskReading),
    "process": ("process", ProcessReading),
    "energy": ("energy", DeviceReading),
}
# Families whose information is a label, not the value.
_LABEL_FIELDS = {"all_smi_thermal_pressure_info": ("thermal_pressure", "level")}


def _converter(model: type, field: str, scale: float) -> Callable[[float], Any]:
    hint = typing.get_type_hints(model).get(field)
    inner = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    kind = inner[0]
    if kind is bool:
        return lambda v: v != 0
    if kind is int:
        if scale != 1.0:
            return lambda v: int(round(v / scale))
        return lambda v: int(v)
    if scale != 1.0:
        return lambda v: v / scale
    return _identity


@lru_cache(maxsize=1)
def rules() -> dict[str, Rule]:
    """Every family we read, by sample name."""
    from allsmi_py.exporter.schema import SCHEMA

    table: dict[str, Rule] = {}
    for spec in SCHEMA:
        if spec.name == "all_smi_gpu_info":
            table[spec.name] = DEVICE_INFO
        elif spec.name in _LABEL_FIELDS:
            field, label = _LABEL_FIELDS[spec.name]
            table[spec.name] = Rule("device", field, label=label)
        elif spec.scope == "node":
            table[spec.name] = NODE
        elif spec.name == "all_smi_cpu_info":
            table[spec.name] = CPU_INFO
        elif spec.field and not spec.age and spec.scope in _SCOPES:
            scope, model = _SCOPES[spec.scope]
            if spec.field not in typing.get_type_hints(model):
                continue
            table[spec.name] = Rule(scope, spec.field,
                                    _converter(model, spec.field, spec.scale))
    return table
