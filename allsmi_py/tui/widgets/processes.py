"""The process table: sortable by key or by clicking a header, optionally GPU users only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from allsmi_py.model import DeviceReading, NodeSnapshot, ProcessReading
from allsmi_py.tui.style import fill_colour
from allsmi_py.units import NOT_AVAILABLE, format_bytes, format_duration, format_pct


@dataclass(frozen=True, slots=True)
class ProcessRow:
    """One process on one device, with the age it had when the snapshot was taken."""

    process: ProcessReading
    device: str
    age_s: float | None


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its header, width (None: the rest), sort key, and default direction."""

    key: str
    label: str
    width: int | None
    sort_value: Callable[[ProcessRow], Any]
    descending: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("pid", "PID", 8, lambda r: r.process.pid, descending=False),
    Column("user", "USER", 10, lambda r: r.process.user, descending=False),
    Column("device", "DEV", 6, lambda r: r.device, descending=False),
    Column("gpu_mem", "GPU-MEM", 10, lambda r: r.process.gpu_memory_bytes),
    Column("gpu_util", "GPU%", 5, lambda r: r.process.gpu_utilization_pct),
    Column("cpu", "CPU%", 6, lambda r: r.process.cpu_pct),
    Column("host_mem", "HOST-MEM", 10, lambda r: r.process.host_memory_bytes),
    Column("time", "TIME", 10, lambda r: r.age_s),
    Column("command", "COMMAND", None, lambda r: r.process.command or r.process.name,
           descending=False),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
DEFAULT_SORT = "gpu_mem"


def device_tag(device: DeviceReading, several_backends: bool) -> str:
    """Short device name for the DEV column: index, with the backend when several are shown."""
    return f"{device.backend}:{device.index}" if several_backends else str(device.index)


def process_rows(snapshot: NodeSnapshot) -> list[ProcessRow]:
    """Every process of every device in the snapshot."""
    several = len({d.backend for d in snapshot.devices}) > 1
    rows = []
    for device in snapshot.devices:
        tag = device_tag(device, several)
        for proc in device.processes:
            age = None if proc.started_at_s is None else max(0.0, snapshot.taken_at_s
                                                                 - proc.started_at_s)
            rows.append(ProcessRow(proc, tag, age))
    return rows


def uses_gpu(row: ProcessRow) -> bool:
    """True when the process holds GPU memory (all-smi's and nvitop's meaning of a GPU user)."""
    return bool(row.process.gpu_memory_bytes)


def sort_rows(rows: Sequence[ProcessRow], key: str, descending: bool) -> list[ProcessRow]:
    """Rows ordered by column `key`; unknown values go last in either direction."""
    value = COLUMN_BY_KEY[key].sort_value
    known = [r for r in rows if value(r) is not None]
    unknown = [r for r in rows if value(r) is None]
    known.sort(key=lambda r: (value(r), r.process.pid), reverse=descending)
    return known + unknown


def _cells(row: ProcessRow) -> list[Text | str]:
    p = row.process
    return [
        str(p.pid),
        p.user or NOT_AVAILABLE,
        row.device,
        Text(format_bytes(p.gpu_memory_bytes), justify="right"),
        Text(format_pct(p.gpu_utilization_pct), style=fill_colour(p.gpu_utilization_pct),
             justify="right"),
        Text(format_pct(p.cpu_pct), justify="right"),
        Text(format_bytes(p.host_memory_bytes), justify="right"),
        Text(format_duration(row.age_s), justify="right"),
        p.command or p.name or NOT_AVAILABLE,
    ]


def _unique_keys(rows: Sequence[ProcessRow]) -> list[str]:
    seen: dict[str, int] = {}
    keys = []
    for row in rows:
        base = f"{row.process.pid}@{row.device}"
        seen[base] = seen.get(base, 0) + 1
        keys.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return keys


def _arrow(descending: bool) -> str:
    return " ▼" if descending else " ▲"


class ProcessTable(DataTable[Any]):
    """Processes on the accelerators; rebuilt from each snapshot, keeping the selected row."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.sort_key = DEFAULT_SORT
        self.descending = COLUMN_BY_KEY[DEFAULT_SORT].descending
        self.gpu_only = False
        self._rows: list[ProcessRow] = []
        self.shown: list[ProcessRow] = []
        self.border_subtitle = "f: GPU users only  p c m g u e n: sort"

    def show(self, snapshot: NodeSnapshot) -> None:
        """Take the processes of this snapshot."""
        self._rows = process_rows(snapshot)
        self._redraw()

    def sort_by(self, key: str) -> None:
        """Sort by column `key`; asking for the current column again flips the direction."""
        if key == self.sort_key:
            self.descending = not self.descending
        else:
            self.sort_key, self.descending = key, COLUMN_BY_KEY[key].descending
        self._redraw()

    def toggle_gpu_only(self) -> None:
        """Show only processes holding GPU memory, or all again."""
        self.gpu_only = not self.gpu_only
        self._redraw()

    def _redraw(self) -> None:
        rows = [r for r in self._rows if uses_gpu(r)] if self.gpu_only else self._rows
        self.shown = sort_rows(rows, self.sort_key, self.descending)
        keys = _unique_keys(self.shown)
        labels = [c.label + (_arrow(self.descending) if c.key == self.sort_key else "")
                  for c in COLUMNS]
        if labels != [str(c.label) for c in self.ordered_columns]:
            self.clear(columns=True)
            for column, label in zip(COLUMNS, labels, strict=True):
                self.add_column(label, key=column.key, width=column.width)
        current = [row.key.value for row in self.ordered_rows]
        if keys == current:
            # Same processes in the same order (the usual tick): change cells in place,
            # which repaints only this table instead of relaying out the screen.
            for key, row in zip(keys, self.shown, strict=True):
                for column, cell in zip(COLUMNS, _cells(row), strict=True):
                    if self.get_cell(key, column.key) != cell:
                        self.update_cell(key, column.key, cell)
        else:
            selected = current[self.cursor_row] if 0 <= self.cursor_row < len(current) else None
            self.clear()
            for key, row in zip(keys, self.shown, strict=True):
                self.add_row(*_cells(row), key=key)
            if selected in keys:
                self.move_cursor(row=keys.index(selected), animate=False)
        what = "GPU memory users" if self.gpu_only else "all"
        self.border_title = f"Processes ({len(self.shown)} {what})"

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """Clicking a header sorts by it (a second click flips the order)."""
        event.stop()
        if event.column_key.value in COLUMN_BY_KEY:
            self.sort_by(event.column_key.value)
