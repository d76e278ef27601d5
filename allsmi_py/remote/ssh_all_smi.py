"""all-smi's `snapshot --format json` (schema 1) to a NodeSnapshot, for `--ssh` hosts.

Field names and their "not available" markers are those of all-smi's serde structs
(lablup/all-smi `src/device/types.rs`: GpuInfo, CpuInfo, MemoryInfo): `utilization` and
`power_consumption` are -1 when unread, `temperature` and `frequency` 0. Only the first
CpuInfo and MemoryInfo are read (all-smi writes one per host).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from allsmi_py.model import (
    DEVICE_KINDS,
    CpuReading,
    DeviceReading,
    HostReading,
    MemoryReading,
    NodeSnapshot,
)
from allsmi_py.plausible import guard_snapshot
from allsmi_py.remote.checked import checked_snapshot
from allsmi_py.remote.ssh_parse import (
    MAX_DEVICES,
    SshPayloadError,
    loads_json,
    number,
    positive,
    string_of,
    whole,
)

MAX_DETAILS = 64  # vendor extras kept per device
MAX_CORES = 4096


def all_smi_snapshot(body: bytes, hostname: str) -> NodeSnapshot:
    """all-smi's schema 1 document: gpus[] as devices, cpus[0] and memory[0] as the host."""
    data = loads_json(body)
    if not isinstance(data, dict) or data.get("schema") != 1:
        raise SshPayloadError("not an all-smi schema 1 snapshot")
    gpus = data.get("gpus", [])
    if not isinstance(gpus, list):
        raise SshPayloadError("all-smi snapshot: gpus is not a list")
    devices = tuple(_device(index, gpu) for index, gpu in enumerate(gpus[:MAX_DEVICES])
                    if isinstance(gpu, dict))
    snapshot = NodeSnapshot(hostname=string_of(data.get("hostname")) or hostname,
                            taken_at_s=time.time(), devices=devices, host=_host(data))
    return guard_snapshot(checked_snapshot(snapshot))


def _device(index: int, gpu: Mapping[str, Any]) -> DeviceReading:
    kind = string_of(gpu.get("device_type")).lower()
    detail = gpu.get("detail")
    details = {str(k): str(v) for k, v in list(detail.items())[:MAX_DETAILS]} \
        if isinstance(detail, dict) else {}
    return DeviceReading(
        backend="all-smi", index=index, uuid=string_of(gpu.get("uuid")) or f"all-smi-{index}",
        name=string_of(gpu.get("name")) or "unknown", kind=kind if kind in DEVICE_KINDS else "gpu",
        utilization_pct=_unless_negative(gpu.get("utilization")),
        temperature_c=positive(gpu.get("temperature")),
        temperature_slowdown_c=positive(gpu.get("temperature_threshold_slowdown")),
        temperature_shutdown_c=positive(gpu.get("temperature_threshold_shutdown")),
        temperature_max_operating_c=positive(gpu.get("temperature_threshold_max_operating")),
        temperature_acoustic_c=positive(gpu.get("temperature_threshold_acoustic")),
        memory_used_bytes=whole(gpu.get("used_memory")),
        memory_total_bytes=whole(gpu.get("total_memory")),
        clock_graphics_mhz=positive(gpu.get("frequency")),
        power_w=_unless_negative(gpu.get("power_consumption")),
        performance_state=whole(gpu.get("performance_state")),
        fan_rpm=positive(gpu.get("fan_speed_rpm")),
        numa_node=whole(gpu.get("numa_node_id")),
        details=details)


def _unless_negative(value: object) -> float | None:
    found = number(value)
    return found if found is not None and found >= 0 else None


def _first(data: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    items = data.get(key)
    if isinstance(items, list) and items and isinstance(items[0], dict):
        return items[0]
    return None


def _host(data: Mapping[str, Any]) -> HostReading | None:
    cpu, memory = _first(data, "cpus"), _first(data, "memory")
    if cpu is None and memory is None:
        return None
    cores: tuple[float, ...] = ()
    if cpu is not None and isinstance(cpu.get("per_core_utilization"), list):
        values = [number(c.get("utilization")) for c in cpu["per_core_utilization"][:MAX_CORES]
                  if isinstance(c, dict)]
        cores = tuple(v for v in values if v is not None) if None not in values else ()
    cpu_reading = CpuReading() if cpu is None else CpuReading(
        model=string_of(cpu.get("cpu_model")) or None,
        architecture=string_of(cpu.get("architecture")) or None,
        utilization_pct=_unless_negative(cpu.get("utilization")),
        per_core_utilization_pct=cores,
        frequency_base_mhz=positive(cpu.get("base_frequency_mhz")),
        frequency_max_mhz=positive(cpu.get("max_frequency_mhz")),
        core_count=whole(cpu.get("total_cores")) or None,
        thread_count=whole(cpu.get("total_threads")) or None,
        socket_count=whole(cpu.get("socket_count")) or None,
        temperature_c=positive(cpu.get("temperature")),
        power_w=_unless_negative(cpu.get("power_consumption")))
    memory_reading = MemoryReading() if memory is None else MemoryReading(
        **{f"{name}_bytes": whole(memory.get(f"{name}_bytes"))
           for name in ("total", "used", "available", "free", "buffers", "cached",
                        "swap_total", "swap_used", "swap_free")})
    return HostReading(cpu=cpu_reading, memory=memory_reading)
