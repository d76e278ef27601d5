"""Which model field each metric family fills: the exporter's metric table, inverted.

Built from `allsmi_py.exporter.schema` (each spec's scope, `field` and `scale`) and the
scopes' own declarations (`Scope.model`, `Scope.name_label`), so the parser cannot drift
from what the exporter writes; our names are all-smi's, so the same table reads all-smi's
exporters too. Every converter refuses a value its field cannot mean (values.py).
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from allsmi_py.details import nvidia, tpu
from allsmi_py.exporter.scopes import SCOPES, ProcessItem, Scope
from allsmi_py.model import (
    DEVICE_STATES,
    CpuReading,
    CpuSocketReading,
    DeviceReading,
    DiskReading,
    MemoryReading,
    ProcessReading,
)
from allsmi_py.remote.values import INT_LIMIT, bound_of, converter


def _identity(value: float) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Rule:
    """Where a sample goes: scope (device, cpu, memory, disk, process, node) and field.

    `convert` returns None for a value out of the field's range; `creates` is False for a
    family that only adds to a device another family named (energy).
    """

    scope: str
    field: str = ""
    convert: Callable[[float], Any] = _identity
    label: str = ""  # take the field's value from this label instead of the sample value
    creates: bool = True
    choices: tuple[str, ...] = ()  # with `label`: a value outside these is not read
    detail: str = ""  # a detail key: the label's text (or the converted value) goes there


DEVICE_INFO = Rule("device", "details")
CPU_INFO = Rule("cpu")
# allsmi_device_pod_info: a pod container holding a device another family named
DEVICE_WORKLOAD = Rule("device", "workloads", creates=False)
NODE = Rule("node")
# all-smi's mock server names the CPU in all_smi_cpu_model{model=...} (no all_smi_cpu_info)
CPU_MODEL = Rule("cpu", label="model")
# Elapsed seconds (ours) or a Unix time (all-smi's NVIDIA path): parse.py turns either into
# started_at_s (allsmi_compat.started_at); here only what no start time can be is refused.
PROCESS_START = Rule("process", "started_at_s",
                     lambda v: v if 0 <= v < INT_LIMIT else None)

# What the parser builds from each model the exporter reads, and the reading whose fields
# the specs name (a process family reads a ProcessItem's process).
_BUCKETS: dict[type, str] = {DeviceReading: "device", CpuReading: "cpu",
                             MemoryReading: "memory", DiskReading: "disk",
                             ProcessReading: "process", CpuSocketReading: "cpu_socket"}
_READINGS: dict[type, type] = {ProcessItem: ProcessReading}
def _text_of(codes: dict[int, str]) -> Callable[[float], Any]:
    return lambda v: codes.get(int(v)) if v in codes else None


def _count(v: float) -> Any:
    # The range test first: NaN fails it, and int() of NaN or inf would raise.
    return str(int(v)) if 1 <= v <= 256 and v == int(v) else None


# Families whose value or label is a vendor detail (all-smi's hardware and TPU families)
_DETAIL_RULES = {
    "all_smi_gpu_gsp_firmware_version_info": Rule("device", label="version",
                                                  detail=nvidia.GSP_FIRMWARE_VERSION.key),
    "all_smi_gpu_gsp_firmware_mode": Rule(
        "device", convert=_text_of({v: k for k, v in nvidia.GSP_MODE_CODES.items()}),
        detail=nvidia.GSP_FIRMWARE_MODE.key),
    "all_smi_tpu_chip_version_info": Rule("device", label="version",
                                          detail=tpu.CHIP_VERSION.key),
    "all_smi_tpu_accelerator_type_info": Rule("device", label="type",
                                              detail=tpu.ACCELERATOR_TYPE.key),
    "all_smi_tpu_memory_type_info": Rule("device", label="type", detail=tpu.MEMORY_TYPE.key),
    "all_smi_tpu_core_count": Rule("device", convert=_count, detail=tpu.DEVICES_PER_CHIP.key),
    "all_smi_tpu_tensorcore_count": Rule("device", convert=_count,
                                         detail=tpu.TENSORCORE_COUNT.key),
}
# Families whose information is a label, not the value.
_LABEL_FIELDS = {"all_smi_thermal_pressure_info": ("thermal_pressure", "level"),
                 "allsmi_device_state": ("state", "state")}
_LABEL_CHOICES = {"state": DEVICE_STATES}


def reading_of(scope: Scope) -> type:
    """The model class whose fields a scope's families fill."""
    return _READINGS.get(scope.model, scope.model)


def scopes_of(model: type) -> tuple[Scope, ...]:
    """Every scope whose families fill `model`, in the schema's scope order."""
    return tuple(s for s in SCOPES.values() if reading_of(s) is model)


def _field_rule(scope: Scope, field: str, scale: float) -> Rule | None:
    model = reading_of(scope)
    bucket = _BUCKETS.get(model)
    if bucket is None or field not in typing.get_type_hints(model):
        return None
    bound = bound_of(model, field)
    convert = _identity if bound is None else converter(bound, scale)
    return Rule(bucket, field, convert, creates=bool(scope.name_label))


@lru_cache(maxsize=1)
def rules() -> dict[str, Rule]:
    """Every family we read, by sample name."""
    from allsmi_py.exporter.schema import SCHEMA

    table: dict[str, Rule] = {}
    for spec in SCHEMA:
        if spec.name == "all_smi_gpu_info":
            table[spec.name] = DEVICE_INFO
        elif spec.name in _DETAIL_RULES:
            table[spec.name] = _DETAIL_RULES[spec.name]
        elif spec.name in _LABEL_FIELDS:
            field, label = _LABEL_FIELDS[spec.name]
            table[spec.name] = Rule("device", field, label=label,
                                    choices=_LABEL_CHOICES.get(field, ()))
        elif spec.scope == "node":
            table[spec.name] = NODE
        elif spec.name == "all_smi_cpu_info":
            table[spec.name] = CPU_INFO
        elif spec.scope == "device_workload":
            table[spec.name] = DEVICE_WORKLOAD
        elif spec.field and not spec.age:
            rule = _field_rule(SCOPES[spec.scope], spec.field, spec.scale)
            if rule is not None:
                table[spec.name] = rule
        elif spec.age and spec.field == "started_at_s":
            table[spec.name] = PROCESS_START
    table.setdefault("all_smi_cpu_model", CPU_MODEL)
    return table
