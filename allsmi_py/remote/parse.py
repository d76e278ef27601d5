"""Prometheus text from one node (ours or all-smi's) back into a NodeSnapshot.

The tokenizer is `exposition.parse_samples`; this module routes each sample by family name
through a table of rules (`rules.py`), the inverse of the exporter's metric table. Families
that no rule names are ignored, so a newer exporter never breaks an older view.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from allsmi_py.model import (
    CpuReading,
    DeviceReading,
    DiskReading,
    HostReading,
    MemoryReading,
    NodeSnapshot,
    ProcessReading,
)
from allsmi_py.remote.exposition import ParseError, Sample, parse_samples
from allsmi_py.remote.rules import CPU_INFO, DEVICE_INFO, Rule, rules

__all__ = ["ParseError", "parse_node_text", "snapshot_from_samples"]

_DEVICE_BASE_LABELS = frozenset({"gpu", "npu", "instance", "gpu_uuid", "npu_uuid", "uuid",
                                 "gpu_index", "npu_index", "index", "type", "host", "hostname",
                                 "backend", "vendor", "kind"})
_MAX_DEVICES = 4096
_MAX_PROCESSES = 50_000


def parse_node_text(body: str | bytes, fallback_hostname: str = "") -> NodeSnapshot:
    """One exposition to a NodeSnapshot; ParseError when it holds no all_smi sample at all."""
    return snapshot_from_samples(parse_samples(body, strict=False), fallback_hostname)


def snapshot_from_samples(samples: Iterable[Sample], fallback_hostname: str = "") -> NodeSnapshot:
    """One node's tokenized samples to a NodeSnapshot; ParseError when none is an all_smi one."""
    table = rules()
    devices: dict[str, dict[str, Any]] = {}
    cpu: dict[str, Any] = {}
    memory: dict[str, Any] = {}
    disks: dict[str, dict[str, Any]] = {}
    processes: dict[tuple[str, str], dict[str, Any] | None] = {}
    hostname = ""
    known = 0
    for name, labels, value in samples:
        rule = table.get(name)
        if rule is None:
            continue
        known += 1
        if not hostname:
            hostname = labels.get("instance") or labels.get("hostname") or ""
        if value != value:  # NaN: not reported
            continue
        scope = rule.scope
        if scope == "device":
            device = _device(devices, labels)
            if device is not None:
                _apply_device(device, rule, labels, value)
        elif scope == "cpu":
            if rule is not CPU_INFO:
                cpu.setdefault(rule.field, rule.convert(value))
            elif "cpu_model" in labels:
                cpu.setdefault("model", labels["cpu_model"])
                if "architecture" in labels:
                    cpu.setdefault("architecture", labels["architecture"])
        elif scope == "memory":
            memory[rule.field] = rule.convert(value)
        elif scope == "disk":
            mount = labels.get("mount_point")
            if mount is not None:
                disks.setdefault(mount, {"mount_point": mount})[rule.field] = rule.convert(value)
        elif scope == "process":
            key = (labels.get("pid", ""), labels.get("device_uuid", labels.get("gpu_index", "")))
            if key not in processes and len(processes) >= _MAX_PROCESSES:
                continue
            proc = processes.setdefault(key, _process_base(labels))
            if proc is not None and rule.field:
                proc[rule.field] = rule.convert(value)
        elif scope == "energy":
            uuid = labels.get("gpu_uuid")
            if uuid and uuid in devices:
                devices[uuid]["energy_j"] = value
    if not known:
        raise ParseError("no allsmi or all-smi metric in the body")
    return _build(hostname or fallback_hostname, devices, cpu, memory, disks, processes)


def _device(devices: dict[str, dict[str, Any]], labels: Mapping[str, str]) -> dict[str, Any] | None:
    uuid = labels.get("gpu_uuid") or labels.get("npu_uuid") or labels.get("uuid")
    if not uuid:
        return None
    device = devices.get(uuid)
    if device is None:
        if len(devices) >= _MAX_DEVICES:
            return None
        name = labels.get("gpu") or labels.get("npu") or ""
        index_text = labels.get("gpu_index") or labels.get("npu_index") or labels.get("index")
        index = int(index_text) if index_text and index_text.isdigit() else len(devices)
        kind = "npu" if "npu" in labels and "gpu" not in labels else "gpu"
        device = devices[uuid] = {"uuid": uuid, "name": name, "index": index, "kind": kind,
                                  "backend": labels.get("backend") or "remote"}
    return device


def _apply_device(device: dict[str, Any], rule: Rule, labels: Mapping[str, str],
                  value: float) -> None:
    if rule is DEVICE_INFO:
        kind = labels.get("type", "").lower()
        if kind in ("gpu", "npu", "soc"):
            device["kind"] = kind
        elif kind == "tpu":
            device["kind"] = "npu"
        if labels.get("kind") in ("gpu", "npu", "soc"):
            device["kind"] = labels["kind"]
        if labels.get("vendor"):
            device["vendor"] = labels["vendor"]
        if labels.get("backend"):
            device["backend"] = labels["backend"]
        details = device.setdefault("details", {})
        for key, text in labels.items():
            if key not in _DEVICE_BASE_LABELS:
                details[key] = text
        return
    if rule.label:
        level = labels.get(rule.label)
        if level is not None:
            device[rule.field] = level
        return
    device[rule.field] = rule.convert(value)


def _process_base(labels: Mapping[str, str]) -> dict[str, Any] | None:
    pid = labels.get("pid", "")
    if not pid.isdigit():
        return None
    return {"pid": int(pid), "name": labels.get("name"), "user": labels.get("user"),
            "command": labels.get("command"),
            "_device": labels.get("device_uuid") or labels.get("gpu_uuid") or ""}


def _build(hostname: str, devices: dict[str, dict[str, Any]], cpu: dict[str, Any],
           memory: dict[str, Any], disks: dict[str, dict[str, Any]],
           processes: dict[tuple[str, str], dict[str, Any] | None]) -> NodeSnapshot:
    by_device: dict[str, list[ProcessReading]] = {}
    for proc in processes.values():
        if proc is None:
            continue
        owner = proc.pop("_device")
        by_device.setdefault(owner, []).append(ProcessReading(**proc))
    built = []
    for uuid, fields in devices.items():
        procs = by_device.get(uuid)
        if procs:
            fields["processes"] = tuple(procs)
        built.append(DeviceReading(**fields))
    built.sort(key=lambda d: d.index)
    host = None
    if cpu or memory or disks:
        host = HostReading(cpu=CpuReading(**cpu), memory=MemoryReading(**memory),
                           disks=tuple(DiskReading(**d) for d in disks.values()))
    return NodeSnapshot(hostname=hostname, taken_at_s=time.time(), devices=tuple(built),
                        host=host)
