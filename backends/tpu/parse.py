"""Pure parser for `tpu-info` output: Rich box tables found by their column titles.

The 2024 tool prints `TPU Chips` (Chip, Type, Devices, PID) and `TPU Utilization`
(Device, Memory usage "0.00 GiB / 31.75 GiB", Duty cycle "0.00%"); later releases rename
the tables ("TPU Runtime Utilization", "TPU HBM Usage", "TensorCore Utilization"...), so
tables are recognised by their columns, not their titles. No temperature or power is
exposed to a TPU VM: those stay None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from allsmi_py.details import tpu
from allsmi_py.model import DeviceReading, ProcessReading
from allsmi_py.units import parse_percent, size_to_bytes
from backends.tpu.chips import generation

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_MEMORY = re.compile(r"(\d*\.?\d+)\s*([KMGT]i?B)\s*/\s*(\d*\.?\d+)\s*([KMGT]i?B)", re.IGNORECASE)
_VERSION = re.compile(r"TPU\s+(v\d+\w*)", re.IGNORECASE)


class TpuInfoError(ValueError):
    """tpu-info printed no chip table."""


@dataclass(frozen=True, slots=True)
class Table:
    """One box table: its title line (or ''), column titles and rows of cells."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def column(self, *names: str) -> int | None:
        """Index of the first column whose title matches one of `names` (case-insensitive)."""
        wanted = [n.lower() for n in names]
        for i, title in enumerate(self.columns):
            if title.lower() in wanted:
                return i
        return None


def _split(line: str, bar: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in line.strip().strip(bar).split(bar))


def parse_tables(text: str) -> list[Table]:
    """Every Rich box table in the text, ANSI colours removed."""
    tables: list[Table] = []
    title = ""
    columns: tuple[str, ...] | None = None
    rows: list[tuple[str, ...]] = []
    for raw in _ANSI.sub("", text).splitlines():
        line = raw.strip()
        if line.startswith("┏"):
            columns, rows = (), []
        elif columns is not None and line.startswith("┃"):
            columns = _split(line, "┃")
        elif columns is not None and line.startswith("│"):
            cells = _split(line, "│")
            if len(cells) == len(columns):
                rows.append(cells)
        elif columns is not None and line.startswith("└"):
            tables.append(Table(title, columns, tuple(rows)))
            columns, title = None, ""
        elif columns is None and line and line[0] not in "┡├╇":
            title = line
    return tables


def parse_tpu_info(
    text: str, backend: str = "tpu", accelerator_type: str | None = None
) -> list[DeviceReading]:
    """One reading per chip: HBM bytes summed over its devices, duty cycle % averaged.

    `accelerator_type` (the VM's TPU_ACCELERATOR_TYPE, e.g. 'v4-8') goes into details.
    """
    tables = parse_tables(text)
    chips = next((t for t in tables if t.column("Chip") is not None), None)
    if chips is None:
        raise TpuInfoError("tpu-info printed no chip table")
    memory: dict[int, tuple[int, int]] = {}
    duty: dict[int, float] = {}
    for table in tables:
        dev_col = table.column("Device", "Core")
        mem_col = table.column("Memory usage", "HBM usage", "HBM Usage (GiB)")
        duty_col = table.column("Duty cycle", "Duty Cycle (%)", "TensorCore Utilization")
        if dev_col is None:
            continue
        for row in table.rows:
            if not row[dev_col].isdigit():
                continue
            device = int(row[dev_col])
            if mem_col is not None and (m := _MEMORY.search(row[mem_col])):
                in_use = size_to_bytes(float(m.group(1)), m.group(2))
                capacity = size_to_bytes(float(m.group(3)), m.group(4))
                if in_use is not None and capacity is not None:
                    memory[device] = (in_use, capacity)
            if duty_col is not None and (pct := parse_percent(row[duty_col])) is not None:
                duty[device] = pct

    chip_col, type_col = chips.column("Chip"), chips.column("Type")
    count_col, pid_col = chips.column("Devices"), chips.column("PID")
    assert chip_col is not None
    readings = []
    first_device = 0
    for index, row in enumerate(chips.rows):
        path = row[chip_col]
        count = int(row[count_col]) if count_col is not None and row[count_col].isdigit() else 1
        devices = range(first_device, first_device + count)
        first_device += count
        chip_type = row[type_col] if type_col is not None else ""
        version = _VERSION.search(chip_type)
        details: dict[str, str] = {}
        tpu.DEVICE_PATH.put(details, path)
        tpu.DEVICES_PER_CHIP.put(details, count)
        tpu.ACCELERATOR_TYPE.put(details, accelerator_type)
        if version:
            tpu.CHIP_VERSION.put(details, version.group(1).lower())
            facts = generation(version.group(1))
            if facts is not None:
                tpu.TENSORCORE_COUNT.put(details, facts[0])
                tpu.MEMORY_TYPE.put(details, facts[1])
        used = total = None
        if all(d in memory for d in devices):
            used = sum(memory[d][0] for d in devices)
            total = sum(memory[d][1] for d in devices)
        cycles = [duty[d] for d in devices if d in duty]
        pid = row[pid_col] if pid_col is not None else ""
        processes = (ProcessReading(pid=int(pid), process_type="npu"),) if pid.isdigit() else ()
        name = f"Google TPU {version.group(1).lower()}" if version else "Google TPU"
        readings.append(
            DeviceReading(
                backend=backend,
                index=index,
                uuid=f"tpu-{path.rsplit('/', 1)[-1]}",
                name=name,
                kind="npu",
                vendor="Google",
                utilization_pct=sum(cycles) / len(cycles) if cycles else None,
                memory_used_bytes=used,
                memory_total_bytes=total,
                details=details,
                processes=processes,
            )
        )
    return readings
