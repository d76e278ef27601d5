"""Pure parser for `hl-smi -Q <fields> -f csv,noheader` lines (Intel Gaudi).

Values carry units unless `nounits` is given (`131072 MiB`, `226 W`, `36 C`, `0 %`);
unsupported fields print `N/A`. Field names are those of the Intel Gaudi docs,
"System Management Interface Tool (hl-smi)".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from allsmi_py.details import gaudi as hl
from allsmi_py.model import DeviceReading
from allsmi_py.units import mib_to_bytes

QUERY_FIELDS: tuple[str, ...] = (
    "index",
    "uuid",
    "name",
    "driver_version",
    "memory.total",
    "memory.used",
    "memory.free",
    "power.draw",
    "power.max",
    "temperature.aip",
    "utilization.aip",
)
"""What the backend asks hl-smi for, in this order."""

_NUMBER = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*([A-Za-z%]*)$")
_MISSING = {"", "N/A", "[N/A]", "NA", "-"}
_MEMORY_SCALE = {"": 1.0, "MIB": 1.0, "MB": 1.0, "GIB": 1024.0, "GB": 1024.0, "KIB": 1 / 1024}


class HlSmiLineError(ValueError):
    """A line that is not a CSV row of the fields asked for."""


def _number(cell: str, field: str) -> tuple[float, str] | None:
    cell = cell.strip()
    if cell in _MISSING:
        return None
    match = _NUMBER.match(cell)
    if not match:
        raise HlSmiLineError(f"{field}: {cell!r} is not a number")
    return float(match.group(1)), match.group(2)


def _mib(cell: str, field: str) -> int | None:
    parsed = _number(cell, field)
    if parsed is None:
        return None
    value, unit = parsed
    scale = _MEMORY_SCALE.get(unit.upper())
    if scale is None:
        raise HlSmiLineError(f"{field}: unknown memory unit {unit!r}")
    return mib_to_bytes(value * scale)


def _plain(cell: str, field: str) -> float | None:
    parsed = _number(cell, field)
    return None if parsed is None else parsed[0]


def split_line(line: str, fields: Sequence[str] = QUERY_FIELDS) -> dict[str, str]:
    """One CSV row as {field: cell}; raises HlSmiLineError when the column count is wrong."""
    cells = [c.strip() for c in line.strip().split(",")]
    if len(cells) != len(fields):
        raise HlSmiLineError(f"expected {len(fields)} fields, got {len(cells)}: {line.strip()!r}")
    return dict(zip(fields, cells, strict=True))


def product_name(internal: str) -> str:
    """Marketing name for an hl-smi model ('HL-325L' -> 'Intel Gaudi 3 HL-325L')."""
    digits = re.match(r"HL-(\d+)", internal.strip().upper())
    if not digits:
        return f"Intel Gaudi {internal}".strip()
    number = digits.group(1)
    # Habana numbering: HL-20x Gaudi, HL-22x Gaudi 2, HL-3xx Gaudi 3.
    generation = "3" if number.startswith("3") else "2" if number.startswith("22") else ""
    return " ".join(p for p in ("Intel Gaudi", generation, internal.strip()) if p)


def parse_row(row: Mapping[str, str], backend: str = "gaudi") -> DeviceReading:
    """A split row as a DeviceReading (bytes, W, °C, percent)."""
    index_cell = row.get("index", "")
    if not index_cell.isdigit():
        raise HlSmiLineError(f"index: {index_cell!r} is not a device index")
    index = int(index_cell)
    internal = row.get("name", "").strip()
    uuid = row.get("uuid", "").strip()
    details: dict[str, str] = {}
    if internal not in _MISSING:
        hl.INTERNAL_NAME.put(details, internal)
    driver = row.get("driver_version", "").strip()
    if driver not in _MISSING:
        version, _, revision = driver.partition("-")
        hl.DRIVER_VERSION.put(details, version)
        hl.DRIVER_REVISION.put(details, revision)
    used = _mib(row.get("memory.used", "N/A"), "memory.used")
    total = _mib(row.get("memory.total", "N/A"), "memory.total")
    if used is None and total is not None:
        free = _mib(row.get("memory.free", "N/A"), "memory.free")
        used = None if free is None else total - free
    return DeviceReading(
        backend=backend,
        index=index,
        uuid=uuid if uuid and uuid not in _MISSING else f"gaudi-{index}",
        name=product_name(internal) if internal else "Intel Gaudi",
        kind="npu",
        vendor="Intel",
        utilization_pct=_plain(row.get("utilization.aip", "N/A"), "utilization.aip"),
        memory_used_bytes=used,
        memory_total_bytes=total,
        temperature_c=_plain(row.get("temperature.aip", "N/A"), "temperature.aip"),
        power_w=_plain(row.get("power.draw", "N/A"), "power.draw"),
        power_limit_max_w=_plain(row.get("power.max", "N/A"), "power.max"),
        details=details,
    )


def parse_line(line: str, backend: str = "gaudi") -> DeviceReading:
    """One hl-smi CSV line (QUERY_FIELDS order) as a DeviceReading."""
    return parse_row(split_line(line), backend)


def parse_output(text: str, backend: str = "gaudi") -> list[DeviceReading]:
    """Every non-empty line of a one-shot hl-smi query."""
    return [parse_line(line, backend) for line in text.splitlines() if line.strip()]
