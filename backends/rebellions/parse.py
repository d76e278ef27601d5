"""Pure parser for `rbln-smi -j` / `rbln-stat -j` JSON (Rebellions ATOM).

No real sample is public; the fields follow all-smi's serde structs as listed in our
backends.md section 8: top-level `KMD_version`, `devices[]` (`npu`, `name`, `sid`, `uuid`,
`device`, `status`, `fw_ver`, `pci{...}`, `temperature` "45C", `card_power` "35.0W",
`pstate` "P14", `memory{used,total}` MB strings, `util` "12.5%", `board_info`,
`location`) and `contexts[]` (`ctx_id`, `npu`, `pid`, `cmd`, `memory`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from allsmi_py.details import rebellions as rbln
from allsmi_py.model import DeviceReading, ProcessReading
from allsmi_py.units import mib_to_bytes, size_to_bytes

_NUMBER = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*([A-Za-z%°]*)\s*$")
_MISSING = {"", "N/A", "NA", "-", "null"}


class RblnJsonError(ValueError):
    """The text is not rbln-smi JSON."""


def number(value: Any) -> float | None:
    """A value such as '45C', '35.2W', '12.5%', 45 as a float; None when absent or N/A."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text in _MISSING:
        return None
    match = _NUMBER.match(text)
    return float(match.group(1)) if match else None


def memory_bytes(value: Any) -> int | None:
    """A memory value ('16096MiB', '512 MB', 16096) in bytes; None when absent."""
    if value is None or isinstance(value, bool):
        return None
    # rbln-smi prints memory in MB, read as MiB like its MiB variant (the two are used
    # interchangeably); a bare number is MB too.
    if isinstance(value, int | float):
        return mib_to_bytes(value)
    match = _NUMBER.match(str(value))
    if not match:
        return None
    return size_to_bytes(float(match.group(1)), match.group(2) or "MiB")


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, Mapping | list):
        return None
    text = str(value).strip()
    return None if text in _MISSING else text


def loads(text: str) -> dict[str, Any]:
    """Decode rbln-smi output; raises RblnJsonError when it is not the expected JSON."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RblnJsonError(f"rbln-smi printed malformed JSON: {exc.msg} at {exc.pos}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("devices"), list):
        raise RblnJsonError("rbln-smi JSON has no devices list")
    return doc


def _processes(contexts: Any) -> dict[str, list[ProcessReading]]:
    grouped: dict[str, list[ProcessReading]] = {}
    for ctx in contexts if isinstance(contexts, list) else ():
        if not isinstance(ctx, Mapping):
            continue
        pid = number(ctx.get("pid"))
        npu = _text(ctx.get("npu"))
        if pid is None or npu is None:
            continue
        cmd = _text(ctx.get("cmd"))
        grouped.setdefault(npu, []).append(
            ProcessReading(
                pid=int(pid),
                command=cmd,
                name=cmd.split()[0].rsplit("/", 1)[-1] if cmd else None,
                process_type="npu",
                gpu_memory_bytes=memory_bytes(ctx.get("memory")),
            )
        )
    return grouped


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _pstate(value: str | None) -> int | None:
    match = re.fullmatch(r"P(\d+)", value or "")
    return int(match.group(1)) if match else None


def parse_rbln(text: str, backend: str = "rebellions") -> list[DeviceReading]:
    """Every device in rbln-smi JSON: °C, W, bytes, percent; processes from `contexts`."""
    doc = loads(text)
    kmd = _text(doc.get("KMD_version"))
    processes = _processes(doc.get("contexts"))
    readings = []
    for position, dev in enumerate(doc["devices"]):
        if not isinstance(dev, Mapping):
            raise RblnJsonError(f"devices[{position}] is not an object")
        npu = _text(dev.get("npu"))
        index = int(npu) if npu is not None and npu.isdigit() else position
        pci = _mapping(dev.get("pci"))
        memory = _mapping(dev.get("memory"))
        pstate = _text(dev.get("pstate"))
        details: dict[str, str] = {}
        for key, value in (
            (rbln.FIRMWARE_VERSION, dev.get("fw_ver")),
            (rbln.KMD_VERSION, kmd),
            (rbln.SERIAL_ID, dev.get("sid")),
            (rbln.STATUS, dev.get("status")),
            (rbln.PSTATE, pstate),
            (rbln.LOCATION, dev.get("location")),
            (rbln.BOARD_INFO, dev.get("board_info")),
            (rbln.DEVICE_PATH, dev.get("device")),
            (rbln.GROUP_ID, dev.get("group_id")),
            (rbln.PCI_BUS_ID, pci.get("bus_id")),
            (rbln.PCI_DEV, pci.get("dev")),
        ):
            key.put(details, _text(value))
        uuid = _text(dev.get("uuid")) or f"rbln-{_text(pci.get('bus_id')) or index}"
        numa = number(pci.get("numa_node"))
        width = re.search(r"\d+", str(pci.get("link_width", "")))
        readings.append(
            DeviceReading(
                backend=backend,
                index=index,
                uuid=uuid,
                name=_text(dev.get("name")) or "Rebellions NPU",
                kind="npu",
                vendor="Rebellions",
                utilization_pct=number(dev.get("util")),
                memory_used_bytes=memory_bytes(memory.get("used")),
                memory_total_bytes=memory_bytes(memory.get("total")),
                temperature_c=number(dev.get("temperature")),
                power_w=number(dev.get("card_power")),
                performance_state=_pstate(pstate),
                numa_node=int(numa) if numa is not None and numa >= 0 else None,
                pcie_width_current=int(width.group()) if width else None,
                details=details,
                processes=tuple(processes.get(npu or str(index), ())),
            )
        )
    return readings
