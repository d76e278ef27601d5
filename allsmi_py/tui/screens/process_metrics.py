"""One process's metrics (Enter on the process table), as nvitop's process screen: who it is,
and its GPU memory, GPU%, CPU% and host memory over the history the table keeps, with the
latest, peak and mean of each; followed snapshot by snapshot until it ends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.screen import ModalScreen

from allsmi_py.model import NodeSnapshot
from allsmi_py.process_actions import printable
from allsmi_py.tui.history import History
from allsmi_py.tui.process_history import ProcessHistory, series_key
from allsmi_py.tui.style import ACCENT, MUTED
from allsmi_py.tui.widgets.bars import Line, LineWidget, spark_span
from allsmi_py.tui.widgets.processes import ProcessRow, process_rows, workload_label
from allsmi_py.units import NOT_AVAILABLE, format_bytes, format_duration, format_pct

LABEL_WIDTH = 10
FIGURES_WIDTH = 48  # "  now  12.3 GiB  peak  45.6 GiB  mean  23.4 GiB"
MAX_COMMAND_CHARS = 1000

# (label, series of ProcessHistory, format, the top of the chart at least)
SERIES: tuple[tuple[str, Callable[[ProcessHistory], History],
                    Callable[[float | None], str], float], ...] = (
    ("GPU-MEM", lambda h: h.memory, format_bytes, 1.0),
    ("GPU%", lambda h: h.utilization, format_pct, 100.0),
    ("CPU%", lambda h: h.cpu, format_pct, 100.0),
    ("HOST-MEM", lambda h: h.host_memory, format_bytes, 1.0),
)


def metric_lines(row: ProcessRow, history: ProcessHistory, ended: bool, width: int) -> list[Line]:
    """The screen's lines at this width."""
    p, key = row.process, series_key(row)
    command = printable(p.command or p.name or NOT_AVAILABLE, MAX_COMMAND_CHARS)
    about = [("device ", ACCENT), (row.device, ""), ("   user ", ACCENT),
             (printable(p.user or NOT_AVAILABLE, 64), ""), ("   running ", ACCENT),
             (format_duration(row.age_s), "")]
    workload = workload_label(row)
    if workload:
        about += [("   container/pod ", ACCENT), (printable(workload, 128), "")]
    lines: list[Line] = [(("command ", ACCENT), (command, "")), tuple(about), ()]
    chart_width = max(8, width - LABEL_WIDTH - FIGURES_WIDTH - 2)
    for label, series_of, shown, floor in SERIES:
        values = series_of(history).values(key)
        known = [v for v in values if v is not None]
        peak = max(known, default=None)
        mean = sum(known) / len(known) if known else None
        latest = next((v for v in reversed(values) if v is not None), None)
        figures = (f"  now {shown(latest):>9}  peak {shown(peak):>9}  mean {shown(mean):>9}")
        lines.append(((f"{label:<{LABEL_WIDTH}}", ACCENT),
                      spark_span(values, chart_width, high=max(floor, peak or 0.0)),
                      (figures, "")))
    count = len(history.memory.values(key))
    tail = (f"the process has ended: its last {count} readings" if ended
            else f"the last {count} readings, one a snapshot")
    lines += [(), ((tail, MUTED), ("   Esc / Enter: back", MUTED))]
    return lines


class ProcessMetrics(LineWidget):
    """The lines of `metric_lines`, redrawn as the process's snapshots come."""

    def __init__(self, row: ProcessRow, history: ProcessHistory) -> None:
        super().__init__(id="process-metrics")
        self.row = row
        self.history = history
        self.ended = False

    def build(self, width: int) -> list[Line]:
        """The process's identity and charts at this width."""
        return metric_lines(self.row, self.history, self.ended, width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As many rows as lines."""
        return self.line_count(width)


class ProcessMetricsScreen(ModalScreen[None]):
    """One process, followed through the snapshots the app receives."""

    BINDINGS = [Binding("escape,enter,q", "close", "Back")]

    def __init__(self, row: ProcessRow, history: ProcessHistory) -> None:
        super().__init__()
        self.metrics = ProcessMetrics(row, history)

    def compose(self) -> ComposeResult:
        """One panel, titled with the pid and command."""
        with Vertical(id="process-metrics-panel"):
            yield self.metrics

    def on_mount(self) -> None:
        """Title the panel; follow the app's snapshots."""
        p = self.metrics.row.process
        title = f"pid {p.pid} · {printable(p.command or p.name or NOT_AVAILABLE, 80)}"
        self.query_one("#process-metrics-panel").border_title = escape(title)
        self.watch(self.app, "snapshot", self.follow, init=False)

    def follow(self, snapshot: NodeSnapshot | None) -> None:
        """The process's row in this snapshot (its history grows in the table); ended when
        the snapshot no longer lists it."""
        if snapshot is None:
            return
        metrics = self.metrics
        key = series_key(metrics.row)
        found = _row_of(process_rows(snapshot), key)
        if found is None:
            metrics.ended = True
        else:
            metrics.row, metrics.ended = found, False
        metrics.redraw()

    def action_close(self) -> None:
        """Back to the local view."""
        self.dismiss(None)


def _row_of(rows: Sequence[ProcessRow], key: str) -> ProcessRow | None:
    return next((row for row in rows if series_key(row) == key), None)
