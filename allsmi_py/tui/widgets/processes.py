"""The process table: sortable by key or by clicking a header, optionally GPU users only,
optionally only the processes whose user, command, container, pod or namespace contains a
filter text (`/`), as a parent/child tree (`t`), with the host's other processes (`H`), and
the selected process's GPU memory and GPU% history in the bottom border. The CONTAINER/POD
column is there only while some process listed runs in a container."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.markup import escape
from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.strip import Strip

from allsmi_py.model import DeviceReading, NodeSnapshot, ProcessReading
from allsmi_py.tui.host_processes import HostProcessList, ancestors
from allsmi_py.tui.process_history import ProcessHistory
from allsmi_py.tui.style import MUTED, fill_colour
from allsmi_py.tui.widgets.line_table import HEADER_STYLE, Cell, Column, LineTable, fit
from allsmi_py.tui.widgets.process_tree import tree_order
from allsmi_py.units import NOT_AVAILABLE, format_bytes, format_duration, format_pct


@dataclass(frozen=True, slots=True)
class ProcessRow:
    """One process on one device, with the age it had when the snapshot was taken."""

    process: ProcessReading
    device: str
    age_s: float | None
    backend: str = ""  # the backend whose reading listed it (process actions ask it)


COMMAND_WIDTH = 200  # the last column runs to the edge and is cut there
WORKLOAD_WIDTH = 24  # namespace/pod is often longer: cut with an ellipsis like any cell


def workload_label(row: ProcessRow) -> str | None:
    """What the CONTAINER/POD column shows: namespace/pod, else the container's name or id."""
    workload = row.process.workload
    return None if workload is None else workload.label


@dataclass(frozen=True, slots=True)
class SortColumn:
    """A column: its key, header, width, sort key, default direction, alignment, and its
    width in the compact layout (0: left out there; see line_table.COMPACT_BELOW)."""

    key: str
    label: str
    width: int
    sort_value: Callable[[ProcessRow], Any]
    descending: bool = True
    right: bool = True
    compact_width: int | None = None


# Compact: the command stays on screen; CPU%, HOST-MEM and TIME are left out (issue 15:
# at 80 columns COMMAND was cut off entirely).
COLUMNS: tuple[SortColumn, ...] = (
    SortColumn("pid", "PID", 8, lambda r: r.process.pid, descending=False, right=False),
    SortColumn("user", "USER", 10, lambda r: r.process.user, descending=False, right=False,
               compact_width=8),
    SortColumn("device", "DEV", 6, lambda r: r.device, descending=False, right=False,
               compact_width=4),
    SortColumn("gpu_mem", "GPU-MEM", 10, lambda r: r.process.gpu_memory_bytes,
               compact_width=9),
    SortColumn("gpu_util", "GPU%", 6, lambda r: r.process.gpu_utilization_pct,
               compact_width=5),
    SortColumn("cpu", "CPU%", 6, lambda r: r.process.cpu_pct, compact_width=0),
    SortColumn("host_mem", "HOST-MEM", 10, lambda r: r.process.host_memory_bytes,
               compact_width=0),
    SortColumn("time", "TIME", 10, lambda r: r.age_s, compact_width=0),
    SortColumn("workload", "CONTAINER/POD", WORKLOAD_WIDTH, workload_label, descending=False,
               right=False, compact_width=0),
    SortColumn("command", "COMMAND", COMMAND_WIDTH,
               lambda r: r.process.command or r.process.name, descending=False, right=False),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
WORKLOAD_POSITION = next(i for i, c in enumerate(COLUMNS) if c.key == "workload")
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
            rows.append(ProcessRow(proc, tag, age, device.backend))
    return rows


HOST_DEVICE = "host"  # the DEV column of a host process on no accelerator (`H`)


def host_rows(listed: HostProcessList, on_devices: Sequence[ProcessRow],
              taken_at_s: float) -> list[ProcessRow]:
    """The host processes not already listed on a device, marked as on the host."""
    seen = {r.process.pid for r in on_devices}
    return [ProcessRow(p, HOST_DEVICE, None if p.started_at_s is None
                       else max(0.0, taken_at_s - p.started_at_s))
            for p in listed.processes if p.pid not in seen]


def uses_gpu(row: ProcessRow) -> bool:
    """True when the process holds GPU memory (all-smi's and nvitop's meaning of a GPU user)."""
    return bool(row.process.gpu_memory_bytes)


MAX_QUERY_CHARS = 128


def matches_query(row: ProcessRow, query: str) -> bool:
    """True when the user, the command (or name), or the container, pod or namespace the
    process runs in contains `query`, ignoring case."""
    needle = query.casefold()
    p = row.process
    texts: tuple[str | None, ...] = (p.user, p.command or p.name)
    if (w := p.workload) is not None:
        texts += (w.container, w.short_id, w.pod, w.namespace)
    return any(needle in text.casefold() for text in texts if text is not None)


def sort_rows(rows: Sequence[ProcessRow], key: str, descending: bool) -> list[ProcessRow]:
    """Rows ordered by column `key`; unknown values go last in either direction."""
    value = COLUMN_BY_KEY[key].sort_value
    known = [r for r in rows if value(r) is not None]
    unknown = [r for r in rows if value(r) is None]
    known.sort(key=lambda r: (value(r), r.process.pid), reverse=descending)
    return known + unknown


def row_key(row: ProcessRow) -> tuple[int, str]:
    """What identifies a row across snapshots (the cursor follows it when the order changes)."""
    return row.process.pid, row.device


def _arrow(descending: bool) -> str:
    return " ▼" if descending else " ▲"


class ProcessTable(LineTable[ProcessRow]):
    """Processes on the accelerators, drawn on the line API (only the rows on screen)."""

    COLUMNS = tuple(Column(c.label, c.width, right=c.right, compact_width=c.compact_width)
                    for c in COLUMNS)
    shows_workloads = False  # a class default: the base __init__ lays the columns out


    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sort_key = DEFAULT_SORT
        self.descending = COLUMN_BY_KEY[DEFAULT_SORT].descending
        self.gpu_only = False
        self.filter_text = ""
        self.tree_view = False
        self.host = False
        # whether a row's process runs on this host (the screen says; a simulated one not)
        self.real_process: Callable[[ProcessRow], bool] = lambda _row: True
        self.history = ProcessHistory()
        self._on_devices: list[ProcessRow] = []
        self._host_list = HostProcessList()
        self._taken_at_s = 0.0
        self._all: list[ProcessRow] = []
        self.shown: list[ProcessRow] = []
        self._glyphs: dict[tuple[int, str], str] = {}
        self.keys_hint = "f: GPU users only  p c m g u e n: sort  /: filter  t: tree  H: host"
        self.border_subtitle = self.keys_hint
        self._subtitle_plain = self.keys_hint

    def show(self, snapshot: NodeSnapshot) -> None:
        """Take the processes of this snapshot (and record their history)."""
        self._on_devices = process_rows(snapshot)
        self._taken_at_s = snapshot.taken_at_s
        self.history.record(self._on_devices)
        self._combine()
        self._redraw()

    def show_host(self, listed: HostProcessList) -> None:
        """Take a fresh list of the host's processes (shown while `host` is on)."""
        self._host_list = listed
        self._combine()
        self._redraw()

    @property
    def wants_host_list(self) -> bool:
        """True while the host's processes are shown (`H`), or the tree has GPU processes
        whose ancestors are on this host (not simulated ones: `real_process`)."""
        return self.host or (self.tree_view and any(map(self.real_process, self._on_devices)))

    def _combine(self) -> None:
        self._all = self._on_devices
        if self.host:
            self._all = self._on_devices + host_rows(self._host_list, self._on_devices,
                                                     self._taken_at_s)
        elif self.tree_view:  # like nvitop: the launchers above a GPU process, without `H`
            above = ancestors(self._host_list, (r.process.ppid for r in self._on_devices
                                                if self.real_process(r)),
                              (r.process.pid for r in self._on_devices))
            self._all = self._on_devices + host_rows(HostProcessList(tuple(above)),
                                                     self._on_devices, self._taken_at_s)
        shows = any(r.process.workload is not None for r in self._all)
        if shows != self.shows_workloads:
            self.shows_workloads = shows
            self._layout(self.compact)
            self.virtual_size = Size(self._row_width, len(self.rows) + 1)
            self.refresh()

    def _layout(self, compact: bool) -> None:
        """The base layout, less the CONTAINER/POD column while no process is in a container."""
        super()._layout(compact)
        if not self.shows_workloads:
            self.shown_columns = [(i, c) for i, c in self.shown_columns
                                  if i != WORKLOAD_POSITION]
            self._row_width = sum(c.width + 1 for _, c in self.shown_columns)
            self._header = "".join(fit(c.title, c) for _, c in self.shown_columns)

    def toggle_tree(self) -> None:
        """Draw the processes as a parent/child tree, or as a flat list again."""
        self.tree_view = not self.tree_view
        self._combine()
        self._redraw(force=True)

    def toggle_host(self) -> None:
        """Show every host process next to the accelerators' ones, or those only again."""
        self.host = not self.host
        self._combine()
        self._redraw(force=True)

    def sort_by(self, key: str) -> None:
        """Sort by column `key`; asking for the current column again flips the direction."""
        if key == self.sort_key:
            self.descending = not self.descending
        else:
            self.sort_key, self.descending = key, COLUMN_BY_KEY[key].descending
        self._redraw(force=True)

    def toggle_gpu_only(self) -> None:
        """Show only processes holding GPU memory, or all again."""
        self.gpu_only = not self.gpu_only
        self._redraw(force=True)

    def filter_by(self, query: str) -> None:
        """Show only the processes `matches_query` keeps ("": all)."""
        query = query.strip()[:MAX_QUERY_CHARS]
        if query != self.filter_text:
            self.filter_text = query
            self._redraw(force=True)

    @property
    def labels(self) -> list[str]:
        """The column headers as shown, the sort column with its arrow."""
        return [c.label + (_arrow(self.descending) if c.key == self.sort_key else "")
                for c in COLUMNS]

    def _redraw(self, force: bool = False) -> None:
        rows = [r for r in self._all if uses_gpu(r)] if self.gpu_only else self._all
        if self.filter_text:
            rows = [r for r in rows if matches_query(r, self.filter_text)]
        shown = sort_rows(rows, self.sort_key, self.descending)
        if self.tree_view:
            ordered = tree_order(shown)
            shown = [row for row, _ in ordered]
            self._glyphs = {row_key(row): glyphs for row, glyphs in ordered if glyphs}
        current = self.current
        if current is not None:
            keys = [row_key(r) for r in shown]
            if row_key(current) in keys:
                self.cursor = keys.index(row_key(current))
        if force or shown != self.shown:
            self.shown = shown
            self.set_rows(shown)
        self._title(len(shown))
        self._show_history()

    def _title(self, count: int) -> None:
        what = "GPU memory users" if self.gpu_only else "all"
        title = f"Processes ({count} {what})"
        if self.host:
            title += " · with host processes" + (
                f" (first {len(self._host_list.processes)} read)" if self._host_list.capped
                else "")
        if self.tree_view:
            title += " · tree"
        if self.filter_text:
            title += f" · filter {escape(repr(self.filter_text))}"
        if title != self.border_title:
            self.border_title = title

    def _show_history(self, focused: bool | None = None) -> None:
        """While the table has focus (the cursor is drawn), the selected process's history
        in the bottom border; else, or with no history for it, the key hints."""
        # Textual calls this class's focus handlers before the base one sets has_focus.
        row = self.current if (self.has_focus if focused is None else focused) else None
        described = None if row is None else self.history.describe(row)
        subtitle = Text(self.keys_hint) if described is None else described
        if subtitle.plain != self._subtitle_plain:
            self._subtitle_plain = subtitle.plain
            self.border_subtitle = subtitle

    def on_focus(self) -> None:
        """Show the cursor and the selected process's history."""
        super().on_focus()
        self._show_history(focused=True)

    def on_blur(self) -> None:
        """Hide the cursor; the key hints again."""
        super().on_blur()
        self._show_history(focused=False)

    def action_move(self, delta: int) -> None:
        """Move the cursor, and show the history of the process it is on."""
        super().action_move(delta)
        self._show_history()

    def cells(self, row: ProcessRow) -> list[Cell]:
        """One process's cells."""
        p = row.process
        return [
            (str(p.pid), ""), (p.user or NOT_AVAILABLE, ""), (row.device, ""),
            (format_bytes(p.gpu_memory_bytes), ""),
            (format_pct(p.gpu_utilization_pct), fill_colour(p.gpu_utilization_pct)),
            (format_pct(p.cpu_pct), ""), (format_bytes(p.host_memory_bytes), ""),
            (format_duration(row.age_s), ""), (workload_label(row) or "-", MUTED),
            (self._command(row), ""),
        ]

    def _command(self, row: ProcessRow) -> str:
        command = row.process.command or row.process.name or NOT_AVAILABLE
        return self._glyphs.get(row_key(row), "") + command if self.tree_view else command

    def render_line(self, y: int) -> Strip:
        """The header (with the sort arrow), or a row."""
        if y:
            return super().render_line(y)
        base = self.base_style
        labels = self.labels
        text = "".join(fit(labels[position], column) for position, column in self.shown_columns)
        scroll_x = int(self.scroll_x)
        return Strip([Segment(text, base + HEADER_STYLE)]).crop_extend(
            scroll_x, scroll_x + self.size.width, base)

    def on_click(self, event: events.Click) -> None:
        """A click on a header sorts by it (again: reverse order); on a row, selects the row."""
        event.prevent_default()  # the base handler does not allow for our border
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = offset.x + int(self.scroll_x)
            for position, spec in self.shown_columns:
                if x < spec.width + 1:
                    self.sort_by(COLUMNS[position].key)
                    return
                x -= spec.width + 1
            return
        index = int(self.scroll_y) + offset.y - 1
        if 0 <= index < len(self.rows):
            self.cursor = index
            self.refresh()
            self._show_history()
