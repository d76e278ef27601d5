"""What a host printed over SSH to a NodeSnapshot: ours, all-smi's, nvidia-smi's or rocm-smi's.

The bytes are hostile input (the host is whoever answered): each decoder takes bytes already
capped in size, raises only SshPayloadError, and hands its result to `checked_snapshot`, the
same bounds and string cleaning a /snapshot body gets (checked.py), then to the plausibility
guard, as every remote reading.
"""

from __future__ import annotations

import csv
import io
import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from allsmi_py.model import DeviceReading, NodeSnapshot
from allsmi_py.plausible import guard_snapshot
from allsmi_py.remote.checked import checked_snapshot
from allsmi_py.remote.nodes import NotOurs, snapshot_from_json

MAX_DEVICES = 1024
MIB = 1 << 20
# nvidia-smi names a value it cannot give in brackets ([N/A], [Not Supported], [Unknown Error]).
_MISSING = frozenset({"", "n/a", "[n/a]", "[not supported]", "not supported", "[unknown error]"})
_HEADER_UNIT = re.compile(r"\s*\[[^\]]*\]$")
_NUMBER = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")
# The columns `NVIDIA_SMI_COMMAND` asks for; the parser reads columns by name, so the full
# query of the fixtures (212 columns) reads the same.
NVIDIA_FIELDS = ("index,uuid,name,driver_version,pstate,utilization.gpu,utilization.memory,"
                 "memory.used,memory.total,memory.reserved,temperature.gpu,temperature.memory,"
                 "power.draw,power.limit,clocks.current.graphics,clocks.current.memory,"
                 "clocks.max.graphics,clocks.max.memory,fan.speed,pci.bus_id")
NVIDIA_SMI_COMMAND = f"nvidia-smi --query-gpu={NVIDIA_FIELDS} --format=csv"
ROCM_SMI_COMMAND = ("rocm-smi --showuse --showmemuse --showtemp --showpower --showmeminfo vram "
                    "--showproductname --showuniqueid --showbus --json")


class SshPayloadError(ValueError):
    """What the host printed is not what the command should print."""


def loads_json(body: bytes) -> Any:
    """The JSON document `body`; SshPayloadError when it is not JSON."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise SshPayloadError(f"not JSON: {str(exc)[:120]}") from None


def number(value: object) -> float | None:
    """`'631.95 W'` or 631.95 -> 631.95; None for N/A, a bracketed note, or not finite."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        found = float(value)
    else:
        raw = str(value).strip()
        if raw.lower() in _MISSING:
            return None
        match = _NUMBER.match(raw.strip("()"))
        if match is None:
            return None
        found = float(match[1])
    return found if math.isfinite(found) else None


def whole(value: object, scale: float = 1.0) -> int | None:
    """`number(value)` times `scale` as an int; None when missing, negative or so large that
    the product is no longer finite (1e302 MiB)."""
    found = number(value)
    if found is None or found < 0:
        return None
    scaled = found * scale
    return int(scaled) if math.isfinite(scaled) else None


def positive(value: object) -> float | None:
    """`number(value)` when above 0 (for tools that write 0 for "no sensor"), else None."""
    found = number(value)
    return found if found is not None and found > 0 else None


def string_of(value: object) -> str:
    """A string value stripped; "" for anything else."""
    return value.strip() if isinstance(value, str) else ""


def allsmi_snapshot(body: bytes, hostname: str) -> NodeSnapshot:
    """`allsmi snapshot --format json` (ours), decoded as a /snapshot body is."""
    del hostname  # ours names its host itself
    try:
        return snapshot_from_json(body)
    except NotOurs:
        raise SshPayloadError("not an allsmi-py snapshot") from None
    except ValueError as exc:
        raise SshPayloadError(str(exc)[:200]) from None


def nvidia_smi_snapshot(body: bytes, hostname: str) -> NodeSnapshot:
    """`nvidia-smi --query-gpu=... --format=csv` (with its header), columns read by name."""
    text = body.decode("utf-8", errors="replace")
    try:
        rows = [row for row in csv.reader(io.StringIO(text), skipinitialspace=True) if row]
    except csv.Error as exc:  # a cell past csv's field limit (128 KiB), a NUL byte
        raise SshPayloadError(f"nvidia-smi output is not CSV: {exc}") from None
    if not rows:
        raise SshPayloadError("nvidia-smi printed nothing")
    header = [_HEADER_UNIT.sub("", cell.strip()) for cell in rows[0]]
    if "index" not in header or "name" not in header:
        raise SshPayloadError("nvidia-smi output has no CSV header with index and name")
    devices = []
    for row in rows[1:MAX_DEVICES + 1]:
        if len(row) != len(header):
            raise SshPayloadError(f"nvidia-smi row of {len(row)} cells under "
                                  f"{len(header)} columns")
        devices.append(_nvidia_device(dict(zip(header, map(str.strip, row), strict=True))))
    return guard_snapshot(checked_snapshot(NodeSnapshot(
        hostname=hostname, taken_at_s=time.time(), devices=tuple(devices))))


def _nvidia_device(cell: Mapping[str, str]) -> DeviceReading:
    index = whole(cell.get("index"))
    if index is None:
        raise SshPayloadError(f"nvidia-smi index {cell.get('index', '')[:20]!r} is not a number")
    pstate = cell.get("pstate", "")
    details = {key: cell[column] for key, column in (("driver_version", "driver_version"),
                                                     ("pci_bus_id", "pci.bus_id"))
               if cell.get(column, "").lower() not in _MISSING}
    return DeviceReading(
        backend="nvidia", index=index, uuid=cell.get("uuid") or f"nvidia-{index}",
        name=cell.get("name") or "unknown", vendor="NVIDIA",
        utilization_pct=number(cell.get("utilization.gpu", "")),
        memory_utilization_pct=number(cell.get("utilization.memory", "")),
        memory_used_bytes=whole(cell.get("memory.used", ""), MIB),
        memory_total_bytes=whole(cell.get("memory.total", ""), MIB),
        memory_reserved_bytes=whole(cell.get("memory.reserved", ""), MIB),
        temperature_c=number(cell.get("temperature.gpu", "")),
        memory_temperature_c=number(cell.get("temperature.memory", "")),
        power_w=number(cell.get("power.draw", "")),
        power_limit_w=number(cell.get("power.limit", "")),
        clock_graphics_mhz=number(cell.get("clocks.current.graphics", "")),
        clock_memory_mhz=number(cell.get("clocks.current.memory", "")),
        clock_graphics_max_mhz=number(cell.get("clocks.max.graphics", "")),
        clock_memory_max_mhz=number(cell.get("clocks.max.memory", "")),
        fan_pct=number(cell.get("fan.speed", "")),
        performance_state=whole(pstate[1:]) if pstate[:1] == "P" else None,
        details=details)


def rocm_smi_snapshot(body: bytes, hostname: str) -> NodeSnapshot:
    """`rocm-smi ... --json`: one object per `cardN`, values as strings with units in keys."""
    data = loads_json(body)
    if not isinstance(data, dict):
        raise SshPayloadError("rocm-smi JSON is not an object")
    cards = sorted(((int(key[4:]), value) for key, value in data.items()
                    if key.startswith("card") and key[4:].isdigit() and isinstance(value, dict)),
                   key=lambda item: item[0])
    if not cards:
        raise SshPayloadError("rocm-smi JSON has no cardN object")
    system = data.get("system")
    driver = string_of(system.get("Driver version")) if isinstance(system, dict) else ""
    devices = [_rocm_device(index, card, driver) for index, card in cards[:MAX_DEVICES]]
    return guard_snapshot(checked_snapshot(NodeSnapshot(
        hostname=hostname, taken_at_s=time.time(), devices=tuple(devices))))


def _rocm_device(index: int, card: Mapping[str, Any], driver: str) -> DeviceReading:
    def first(*keys: str) -> object:
        return next((card[k] for k in keys if k in card), None)

    power = first("Current Socket Graphics Package Power (W)",
                  "Average Graphics Package Power (W)")
    details = {"driver_version": driver} if driver else {}
    bus = string_of(card.get("PCI Bus"))
    if bus:
        details["pci_bus_id"] = bus
    uuid = string_of(card.get("Unique ID"))
    return DeviceReading(
        backend="amd", index=index,
        uuid=uuid if uuid and uuid.lower() != "n/a" else f"rocm-card{index}",
        name=string_of(first("Card series", "Card Series", "Card model")) or f"AMD card{index}",
        vendor="AMD",
        utilization_pct=number(first("GPU use (%)")),
        memory_utilization_pct=number(first("GPU memory use (%)",
                                             "GPU Memory Read/Write Activity (%)")),
        memory_used_bytes=whole(first("VRAM Total Used Memory (B)")),
        memory_total_bytes=whole(first("VRAM Total Memory (B)")),
        temperature_c=number(first("Temperature (Sensor edge) (C)",
                                    "Temperature (Sensor junction) (C)")),
        memory_temperature_c=number(first("Temperature (Sensor memory) (C)")),
        power_w=number(power),
        power_limit_w=number(first("Max Graphics Package Power (W)")),
        numa_node=whole(first("(Topology) Numa Node")),
        details=details)


Decoder = Callable[[bytes, str], NodeSnapshot]
