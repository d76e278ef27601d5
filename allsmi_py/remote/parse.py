"""Prometheus text from one node (ours or all-smi's) back into a NodeSnapshot.

The tokenizer is `exposition.parse_samples`; this module routes each sample by family name
through a table of rules (`rules.py`), the inverse of the exporter's metric table. Families
that no rule names are ignored, so a newer exporter never breaks an older view. Label names
come from the exporter's scopes (`Scope.key_label` ...), every value through its field's
bound (values.py) and every string through `text.clean_text`, here where they enter the
model; refused values are counted in the snapshot's "remote" status.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from allsmi_py.exporter.scopes import SCOPES
from allsmi_py.exporter.workload_items import (
    DEVICE_WORKLOAD_LABELS,
    MAX_DEVICE_WORKLOADS,
    PROCESS_WORKLOAD_LABELS,
)
from allsmi_py.model import (
    CpuReading,
    CpuSocketReading,
    DeviceReading,
    DiskReading,
    HostReading,
    MemoryReading,
    NodeSnapshot,
    ProcessReading,
    WorkloadReading,
)
from allsmi_py.remote import allsmi_compat
from allsmi_py.remote.block_facts import FactStore
from allsmi_py.remote.exposition import ParseError, Sample, parse_samples
from allsmi_py.remote.rules import (
    CPU_INFO,
    CPU_MODEL,
    DEVICE_INFO,
    DEVICE_WORKLOAD,
    Rule,
    rules,
    scopes_of,
)
from allsmi_py.remote.text import clean_text
from allsmi_py.remote.values import Dropped, label_int

__all__ = ["ENERGY_FIELD", "MAX_DEVICES", "MAX_DISKS", "ParseError", "device_uuid",
           "device_workloads", "parse_node_text", "snapshot_from_samples"]

_NODE, _GPU, _NPU = SCOPES["node"], SCOPES["device"], SCOPES["npu"]
_PROCESS, _DISK, _CPU = SCOPES["process"], SCOPES["disk"], SCOPES["cpu"]
_SOCKET = SCOPES["cpu_socket"]
_DEVICE_SCOPES = scopes_of(DeviceReading)
# all-smi's own view also takes a bare `uuid` and `index` (allsmi-inventory.md section 3)
_UUID_LABELS = tuple(dict.fromkeys([*(s.key_label for s in _DEVICE_SCOPES), "uuid"]))
_NAME_LABELS = tuple(dict.fromkeys(s.name_label for s in _DEVICE_SCOPES if s.name_label))
_INDEX_LABELS = tuple(dict.fromkeys([*(s.index_label for s in _DEVICE_SCOPES), "index"]))
_PROCESS_TEXT = tuple(label for label in _PROCESS.labels
                      if label in ProcessReading.__dataclass_fields__
                      and label != _PROCESS.key_label)
MAX_DEVICES = 4096
ENERGY_FIELD = "energy_consumed_j"  # all_smi_energy_consumed_joules_total, scope gpu or cpu
MAX_DISKS = 4096
_MAX_SOCKETS = 4096
_MAX_PROCESSES = 50_000
_NEW: dict[str, Any] = {}  # "not seen yet", apart from None ("seen, not a process")


@lru_cache(maxsize=1)
def _device_base_labels() -> frozenset[str]:
    """Labels of all_smi_gpu_info that are identity, not details (the rest are details)."""
    from allsmi_py.exporter.schema import BY_NAME

    identity = {label for s in _DEVICE_SCOPES
                for label in (s.key_label, s.name_label, s.index_label) if label}
    # all-smi also writes host names on some families; "uuid"/"index" as in _UUID_LABELS
    return frozenset({*BY_NAME["all_smi_gpu_info"].labels, *identity, "uuid", "index", "host",
                      "hostname"})


@lru_cache(maxsize=1)
def _plain_device_fields() -> dict[str, tuple[str, Callable[[float], Any]]]:
    """name -> (field, convert) of the device families whose value just fills their field.

    The ones `_apply_device` ends with `device[rule.field] = value` for; the energy family
    is not one (its `scope="cpu"` series goes to the host).
    """
    return {name: (rule.field, rule.convert) for name, rule in rules().items()
            if rule.scope == "device" and rule is not DEVICE_INFO
            and rule is not DEVICE_WORKLOAD and not rule.detail and not rule.label
            and rule.field != ENERGY_FIELD}


def parse_node_text(body: str | bytes, fallback_hostname: str = "") -> NodeSnapshot:
    """One exposition to a NodeSnapshot; ParseError when it holds no all_smi sample at all."""
    return snapshot_from_samples(parse_samples(body, strict=False), fallback_hostname,
                                 shared_blocks=True)


def snapshot_from_samples(samples: Iterable[Sample], fallback_hostname: str = "", *,
                          shared_blocks: bool = False) -> NodeSnapshot:
    """One node's tokenized samples to a NodeSnapshot; ParseError when none is an all_smi one.

    `shared_blocks`: the label mappings are exposition's, one per block text and round after
    round, so what is derived from a block alone is kept (block_facts.py).
    """
    facts = _KEPT if shared_blocks else _WORKED_OUT
    table = rules()
    devices: dict[str, dict[str, Any]] = {}
    cpu: dict[str, Any] = {}
    memory: dict[str, Any] = {}
    disks: dict[str, dict[str, Any]] = {}
    sockets: dict[int, dict[str, Any]] = {}
    processes: dict[tuple[str, str], dict[str, Any] | None] = {}
    dropped = Dropped()
    hostname = ""
    known = 0
    host_key, host_name = _NODE.key_label, _NODE.name_label
    seen: dict[int, tuple[Mapping[str, str], dict[str, Any]]] = {}
    plain = _plain_device_fields()
    for name, labels, value in samples:
        # Most samples: a plain device family of a device already found, on a node already
        # named; what the full path below does for them, in fewer steps. A refused value
        # takes the full path, which counts it.
        straight = plain.get(name)
        if straight is not None and hostname:
            held = seen.get(id(labels))
            if held is not None and held[0] is labels:
                converted = straight[1](value)
                if converted is not None:
                    held[1][straight[0]] = converted
                    known += 1
                    continue
        rule = table.get(name)
        if rule is None:
            continue
        known += 1
        if not hostname:
            hostname = labels.get(host_key) or labels.get(host_name) or ""
        converted = rule.convert(value)
        if converted is None:
            dropped.add(name, value)
            continue
        scope = rule.scope
        if rule.field == ENERGY_FIELD and labels.get("scope") == "cpu":
            cpu.setdefault(ENERGY_FIELD, converted)  # the host CPU's: no device named
            continue
        if scope == "device":
            # A device's label block is one cached object for all its families: find the
            # device once per block. Only a found device is kept (a family that creates none
            # may come before the one that does), and the block with it, so its id stays its.
            held = seen.get(id(labels))
            if held is None or held[0] is not labels:
                found = _device(devices, labels, rule.creates, facts)
                if found is None:
                    continue
                held = seen[id(labels)] = (labels, found)
            _apply_device(held[1], rule, labels, converted, facts)
        elif scope == "cpu":
            if rule is CPU_MODEL:
                if rule.label in labels:
                    cpu.setdefault("model", clean_text(labels[rule.label]))
            elif rule is not CPU_INFO:
                cpu.setdefault(rule.field, converted)
            elif _CPU.name_label in labels:
                cpu.setdefault("model", clean_text(labels[_CPU.name_label]))
                if "architecture" in labels:
                    cpu.setdefault("architecture", clean_text(labels["architecture"]))
        elif scope == "cpu_socket":
            socket = label_int(labels.get(_SOCKET.key_label, ""))
            if rule.field == "frequency_mhz" and converted == 0:
                continue  # all-smi's Linux reader writes 0 for a clock it never read
            if socket is not None and (socket in sockets or len(sockets) < _MAX_SOCKETS):
                sockets.setdefault(socket, {"index": socket})[rule.field] = converted
        elif scope == "memory":
            memory[rule.field] = converted
        elif scope == "disk":
            mount = labels.get(_DISK.key_label)
            if mount is not None:
                disk = disks.get(mount)
                if disk is None:
                    if len(disks) >= MAX_DISKS:
                        continue
                    disk = disks[mount] = {"mount_point": clean_text(mount)}
                disk[rule.field] = converted
        elif scope == "process":
            key = (labels.get(_PROCESS.key_label, ""),
                   labels.get(_PROCESS.owner_label, labels.get(_PROCESS.index_label, "")))
            if key not in processes and len(processes) >= _MAX_PROCESSES:
                continue
            proc = processes.get(key, _NEW)
            if proc is _NEW:
                proc = processes[key] = _process_base(labels)
            if proc is not None and rule.field:
                proc[rule.field] = converted
    if not known:
        raise ParseError("no allsmi or all-smi metric in the body")
    if sockets:
        cpu["sockets"] = tuple(CpuSocketReading(**sockets[key]) for key in sorted(sockets))
    return _build(clean_text(hostname or fallback_hostname), devices, cpu, memory, disks,
                  processes, dropped)


def _first(labels: Mapping[str, str], names: tuple[str, ...]) -> str:
    for name in names:
        value = labels.get(name)
        if value:
            return value
    return ""


def device_uuid(labels: Mapping[str, str]) -> str:
    """The device a label block names, as sent ("" when none)."""
    return _first(labels, _UUID_LABELS)


def _new_device(labels: Mapping[str, str]) -> dict[str, Any]:
    """A device's first fields from its labels; index None when no label gives it."""
    kind = "npu" if _NPU.name_label in labels and _GPU.name_label not in labels else "gpu"
    return {"uuid": clean_text(device_uuid(labels)),
            "name": clean_text(_first(labels, _NAME_LABELS)),
            "index": label_int(_first(labels, _INDEX_LABELS)), "kind": kind,
            "backend": clean_text(labels.get("backend") or "remote")}


def _info_of(labels: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """What an all_smi_gpu_info block sets on its device, and the details it adds."""
    sets: dict[str, Any] = {}
    kind = labels.get("type", "").lower()
    if kind in ("gpu", "npu", "soc"):
        sets["kind"] = kind
    elif kind == "tpu":
        sets["kind"] = "npu"
    if labels.get("kind") in ("gpu", "npu", "soc"):
        sets["kind"] = labels["kind"]
    if labels.get("vendor"):
        sets["vendor"] = clean_text(labels["vendor"])
    if labels.get("backend"):
        sets["backend"] = clean_text(labels["backend"])
    base = _device_base_labels()
    # a label name may be any length
    details = {clean_text(key): clean_text(text) for key, text in labels.items()
               if key not in base}
    return sets, details


def _device_workload(labels: Mapping[str, str]) -> WorkloadReading | None:
    return _workload(labels, DEVICE_WORKLOAD_LABELS)


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the router derives from a label block alone; kept across rounds or not."""

    uuid: Callable[[Mapping[str, str]], str]
    new_device: Callable[[Mapping[str, str]], dict[str, Any]]
    info: Callable[[Mapping[str, str]], tuple[dict[str, Any], dict[str, str]]]
    workload: Callable[[Mapping[str, str]], WorkloadReading | None]


_WORKED_OUT = _Facts(device_uuid, _new_device, _info_of, _device_workload)
_KEPT = _Facts(FactStore(device_uuid), FactStore(_new_device), FactStore(_info_of),
               FactStore(_device_workload))


def _device(devices: dict[str, dict[str, Any]], labels: Mapping[str, str],
            creates: bool, facts: _Facts) -> dict[str, Any] | None:
    uuid = facts.uuid(labels)
    if not uuid:
        return None
    device = devices.get(uuid)
    if device is None:
        if not creates or len(devices) >= MAX_DEVICES:
            return None
        device = dict(facts.new_device(labels))  # the kept one stays as it was made
        if device["index"] is None:
            device["index"] = len(devices)
        devices[uuid] = device
    return device


def _workload(labels: Mapping[str, str], names: tuple[str, ...]) -> WorkloadReading | None:
    """The container and pod the labels `names` say (cleaned), None when all are empty."""
    found = {name: clean_text(text) for name in names if (text := labels.get(name))}
    return WorkloadReading(**found) if found else None


def _apply_device(device: dict[str, Any], rule: Rule, labels: Mapping[str, str],
                  value: Any, facts: _Facts) -> None:
    if rule is DEVICE_WORKLOAD:
        held = device.setdefault("workloads", [])
        workload = None if len(held) >= MAX_DEVICE_WORKLOADS else facts.workload(labels)
        if workload is not None and workload not in held:
            held.append(workload)
        return
    if rule is DEVICE_INFO:
        sets, details = facts.info(labels)
        device.update(sets)
        device.setdefault("details", {}).update(details)
        return
    if rule.detail:
        found = labels.get(rule.label) if rule.label else value
        if found:
            device.setdefault("details", {})[rule.detail] = clean_text(str(found))
        return
    if rule.label:
        level = labels.get(rule.label)
        if level is not None and (not rule.choices or level in rule.choices):
            device[rule.field] = clean_text(level)
        return
    device[rule.field] = value


def device_workloads(samples: Iterable[Sample], positions: Mapping[str, int]
                     ) -> dict[int, tuple[WorkloadReading, ...]] | None:
    """The pod containers pod-family samples give each device, by the device's position in
    `positions` (by uuid as sent), in the order and under the cap the route keeps; None when
    a value is refused (the whole decode counts it)."""
    held: dict[int, dict[str, Any]] = {}
    for _name, labels, value in samples:
        converted = DEVICE_WORKLOAD.convert(value)
        if converted is None:
            return None
        position = positions.get(_KEPT.uuid(labels))
        if position is not None:
            _apply_device(held.setdefault(position, {}), DEVICE_WORKLOAD, labels, converted,
                          _KEPT)
    return {position: tuple(fields["workloads"]) for position, fields in held.items()}


def _process_base(labels: Mapping[str, str]) -> dict[str, Any] | None:
    pid = label_int(labels.get(_PROCESS.key_label, ""))
    if pid is None:
        return None
    base: dict[str, Any] = {"pid": pid}
    for label in _PROCESS_TEXT:
        text = labels.get(label)
        base[label] = None if text is None else clean_text(text)
    base["workload"] = _workload(labels, PROCESS_WORKLOAD_LABELS)
    base["_device"] = labels.get(_PROCESS.owner_label) or labels.get(_GPU.key_label) or ""
    base["_index"] = allsmi_compat.process_index(labels)
    return base


def _build(hostname: str, devices: dict[str, dict[str, Any]], cpu: dict[str, Any],
           memory: dict[str, Any], disks: dict[str, dict[str, Any]],
           processes: dict[tuple[str, str], dict[str, Any] | None],
           dropped: Dropped) -> NodeSnapshot:
    now = time.time()
    by_index = allsmi_compat.owner_by_index(devices) if processes else {}
    by_device: dict[str, list[ProcessReading]] = {}
    for proc in processes.values():
        if proc is None:
            continue
        owner, index = proc.pop("_device"), proc.pop("_index")
        if owner not in devices and index is not None:  # all-smi's Furiosa: device_uuid="npu0"
            owner = by_index.get(index, owner)
        if proc.get("started_at_s") is not None:
            proc["started_at_s"] = allsmi_compat.started_at(proc["started_at_s"], now)
        by_device.setdefault(owner, []).append(ProcessReading(**proc))
    built = []
    for uuid, fields in devices.items():
        procs = by_device.get(uuid)
        if procs:
            fields["processes"] = tuple(procs)
        if "workloads" in fields:
            fields["workloads"] = tuple(fields["workloads"])
        allsmi_compat.drop_not_applicable_ane(fields)
        built.append(DeviceReading(**fields))
    built.sort(key=lambda d: d.index)
    host = None
    # energy alone names no host: Prometheus' honor_labels twin of a node carries only that
    if (cpu and built) or set(cpu) - {ENERGY_FIELD} or memory or disks:
        host = HostReading(cpu=CpuReading(**cpu), memory=MemoryReading(**memory),
                           disks=tuple(DiskReading(**d) for d in disks.values()))
    note = dropped.note()
    return NodeSnapshot(hostname=hostname, taken_at_s=now, devices=tuple(built),
                        host=host, backends=() if note is None else (note,))
