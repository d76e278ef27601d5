"""The cluster's header line, its overview with history, and the connection-lost panel."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

from allsmi_py.model import ClusterNode, ClusterSnapshot
from allsmi_py.remote.aggregate import ClusterSummary
from allsmi_py.tui.cluster_rows import node_name
from allsmi_py.tui.energy import energy_words
from allsmi_py.tui.format import used_of_total
from allsmi_py.tui.history import History
from allsmi_py.tui.style import ACCENT, DOWN, LEVEL_STYLE, MUTED, fill_colour
from allsmi_py.tui.widgets.bars import sparkline
from allsmi_py.tui.widgets.line_table import COMPACT_BELOW


class Series(NamedTuple):
    """A cluster-wide history: its key, label, sparkline range (high 0: from the data), value."""

    key: str
    label: str
    low: float
    high: float
    value: Callable[[ClusterSummary], float | None]


SERIES = (
    Series("cluster:util", "util", 0.0, 100.0, lambda s: s.utilization_mean_pct),
    Series("cluster:mem", "mem", 0.0, 100.0, lambda s: s.memory_used_pct),
    Series("cluster:temp", "temp", 20.0, 100.0, lambda s: s.temperature_mean_c),
    Series("cluster:power", "power", 0.0, 0.0,
           lambda s: s.power_total_w if s.device_count else None),
)
SERIES_KEYS = tuple(series.key for series in SERIES)
LOST_LINES = 5
LOST_TITLE = "CONNECTION LOST"


def record_cluster(history: History, summary: ClusterSummary) -> None:
    """Push this round's cluster-wide values into the history (the app does it once a round)."""
    for series in SERIES:
        history.push(series.key, series.value(summary))


def ago(seconds: float | None) -> str:
    """'12 s ago', '3 min ago', '2.1 h ago', or 'never'."""
    if seconds is None:
        return "never"
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


class AlertSummary(NamedTuple):
    """The header's alert line: active alerts, nodes they are on, worst level, muted."""

    alerts: int = 0
    nodes: int = 0
    worst: str = "ok"
    muted: bool = False


def alert_summary_text(summary: AlertSummary) -> Text:
    """'12 alerts on 9 nodes — a: list, m: mute', or 'no alerts'; 'muted' when toasts are."""
    text = Text()
    if summary.alerts:
        plural = "s" if summary.alerts != 1 else ""
        nodes = "s" if summary.nodes != 1 else ""
        text.append(f"{summary.alerts} alert{plural} on {summary.nodes} node{nodes}",
                    style=LEVEL_STYLE.get(summary.worst, ACCENT))
    else:
        text.append("no alerts", style=MUTED)
    if summary.muted:
        text.append(" · ", style=MUTED)
        text.append("muted", style=LEVEL_STYLE["warn"])
    text.append(f" — a: list, m: {'unmute' if summary.muted else 'mute'}", style=MUTED)
    return text


def cluster_header_text(cluster: ClusterSnapshot | None, source: str,
                        alerts: AlertSummary | None = None, compact: bool = False) -> Text:
    """The top line: tool, time of the picture, alert summary, where the data comes from.

    The source goes last: a long hostfile path is what a narrow terminal cuts, never the
    clock or the alerts. Compact (a narrow terminal): the time without the date.
    """
    text = Text("allsmi-py", style=ACCENT)
    text.append("  ")
    if cluster is None:
        text.append("first round…", style=MUTED)
    else:
        stamp = time.strftime("%H:%M:%S" if compact else "%Y-%m-%d %H:%M:%S",
                              time.localtime(cluster.taken_at_s))
        text.append(stamp, style=MUTED)
    if alerts is not None:
        # Issue 15: one line in a fixed place instead of a toast that never goes away.
        text.append("  ·  ", style=MUTED)
        text.append_text(alert_summary_text(alerts))
    text.append(f"  ·  {source}" if compact else f"  ·  cluster view {source}", style=MUTED)
    return text


def overview_text(summary: ClusterSummary | None, history: History, width: int,
                  problems: Sequence[str], compact: bool = False) -> Text:
    """Totals on the first line, history sparklines on the second, problems after."""
    if summary is None:
        return Text("Waiting for the first round over the cluster…", style=MUTED)
    s = summary
    out = Text()
    down = s.nodes_total - s.nodes_live
    out.append("Nodes ", style=MUTED)
    out.append(f"{s.nodes_live}/{s.nodes_total}", style=LEVEL_STYLE["warn"] if down else ACCENT)
    if down:
        out.append(f" ({down} down)", style=LEVEL_STYLE["critical"])
    out.append("  Devices ", style=MUTED)
    out.append(str(s.device_count), style=ACCENT)
    out.append("  Memory ", style=MUTED)
    out.append(used_of_total(s.memory_used_bytes, s.memory_total_bytes or None))
    if s.memory_used_pct is not None:
        out.append(f" {s.memory_used_pct:.0f}%", style=fill_colour(s.memory_used_pct))
    # On a narrow terminal the totals take two lines instead of being cut.
    out.append("\nUtil " if compact else "  Util ", style=MUTED)
    if s.utilization_mean_pct is None:
        out.append("N/A", style=MUTED)
    else:
        out.append(f"{s.utilization_mean_pct:.1f}%", style=fill_colour(s.utilization_mean_pct))
    out.append("  Temp ", style=MUTED)
    if s.temperature_mean_c is None:
        out.append("N/A", style=MUTED)
    else:
        out.append(f"{s.temperature_mean_c:.1f} ±{s.temperature_stdev_c or 0.0:.1f}°C")
        out.append(f" (max {s.temperature_max_c or 0.0:.0f})", style=MUTED)
    out.append("  Power ", style=MUTED)
    power = s.power_total_w
    out.append(f"{power / 1e6:.2f} MW" if power >= 1e6 else f"{power / 1000:.1f} kW"
               if power >= 1000 else f"{power:.0f} W", style=ACCENT)
    if s.energy_total_j is not None:
        out.append("  Energy ", style=MUTED)
        out.append(energy_words(s.energy_total_j), style=ACCENT)
    out.append("\n")
    spark_w = max(4, (width - 4 * 12) // 4)
    for series in SERIES:
        values = history.values(series.key, last=spark_w)
        top = series.high or max([v for v in values if v is not None] or [1.0]) * 1.1
        out.append(f"{series.label} ", style=MUTED)
        out.append_text(sparkline(values, spark_w, series.low, top))
        out.append("   ")
    for problem in problems:
        out.append("\n⚠ ", style=LEVEL_STYLE["warn"])
        out.append(problem)
    return out


class ClusterHeader(Widget):
    """One line at the top of the cluster view."""

    def __init__(self, source: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source
        self._cluster: ClusterSnapshot | None = None
        self._alerts: AlertSummary | None = None

    def show(self, cluster: ClusterSnapshot, alerts: AlertSummary | None = None) -> None:
        """Draw for this round."""
        self._cluster, self._alerts = cluster, alerts
        self.refresh()

    @property
    def message(self) -> str:
        """The line, as plain text."""
        return self._text().plain

    def render(self) -> RenderableType:
        """The line."""
        return self._text()

    def _text(self) -> Text:
        return cluster_header_text(self._cluster, self.source, self._alerts,
                                   compact=self.app.size.width < COMPACT_BELOW)


class ClusterOverview(Widget):
    """Totals, means and spread, with history, and the source's problems."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._summary: ClusterSummary | None = None
        self._history = History()
        self._problems: tuple[str, ...] = ()
        self._compact = False

    def on_resize(self) -> None:
        """The totals take one more line on a narrow terminal: relayout when that changes."""
        compact = self.app.size.width < COMPACT_BELOW
        if compact != self._compact:
            self._compact = compact
            self.refresh(layout=True)

    def show(self, summary: ClusterSummary, history: History, problems: Sequence[str]) -> None:
        """Draw this round's summary; relayout only when the problem lines change."""
        relayout = self._summary is None or tuple(problems) != self._problems
        self._summary, self._history, self._problems = summary, history, tuple(problems)
        self.refresh(layout=relayout)

    @property
    def message(self) -> str:
        """The text shown, as plain text."""
        return overview_text(self._summary, self._history, self.size.width, self._problems,
                             self._compact).plain

    def render(self) -> RenderableType:
        """The overview."""
        return overview_text(self._summary, self._history, self.size.width, self._problems,
                             self._compact)


def lost_text(down: Sequence[ClusterNode], now_s: float) -> Text:
    """CONNECTION LOST: each down node with the time since last contact and its error."""
    out = Text()
    for node in down[:LOST_LINES]:
        status = node.status
        last = None if status.last_ok_at_s is None else now_s - status.last_ok_at_s
        out.append(f"{DOWN} ", style=LEVEL_STYLE["critical"])
        out.append(node_name(node), style=ACCENT)
        if node_name(node) != status.address:
            out.append(f" {status.address}", style=MUTED)
        out.append(f"  last contact {ago(last)}  ", style=MUTED)
        out.append(f"{status.state}: {status.error or 'no answer'}\n")
    if len(down) > LOST_LINES:
        out.append(f"… and {len(down) - LOST_LINES} more ({DOWN} in the node grid)\n",
                   style=MUTED)
    out.rstrip()
    return out


class LostPanel(Widget):
    """Down nodes, shown only while there are some."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.down: tuple[ClusterNode, ...] = ()
        self._now_s = 0.0

    def show(self, cluster: ClusterSnapshot,
             down: tuple[ClusterNode, ...] | None = None) -> None:
        """Update from a round (and its down nodes, when known); hidden when all answered."""
        if down is None:
            down = tuple(n for n in cluster.nodes if not n.is_live)
        changed = [n.status.address for n in down] != [n.status.address for n in self.down]
        self.down, self._now_s = down, cluster.taken_at_s
        self.set_class(not down, "-none")
        self.border_title = f"{LOST_TITLE}: {len(down)} node{'s' if len(down) != 1 else ''}"
        self.refresh(layout=changed)

    @property
    def message(self) -> str:
        """Names of the down nodes shown, one a line."""
        return "\n".join(node_name(n) for n in self.down[:LOST_LINES])

    def render(self) -> RenderableType:
        """The list."""
        return lost_text(self.down, self._now_s)
