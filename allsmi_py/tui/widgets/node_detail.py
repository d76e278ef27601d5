"""One node of the cluster in detail: host metrics, devices, processes, or why it is lost."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from textual.widget import Widget

from allsmi_py.alerts import AlertThresholds
from allsmi_py.model import ClusterNode, NodeSnapshot
from allsmi_py.remote.aggregate import node_energy_j
from allsmi_py.tui.cluster_rows import node_name
from allsmi_py.tui.energy import energy_spans
from allsmi_py.tui.history import History
from allsmi_py.tui.style import ACCENT, HEADER, LEVEL_STYLE, MUTED
from allsmi_py.tui.widgets.bars import to_text
from allsmi_py.tui.widgets.cluster_overview import LOST_TITLE, ago
from allsmi_py.tui.widgets.devices import card_lines, card_title
from allsmi_py.tui.widgets.hostbar import host_lines
from allsmi_py.tui.widgets.processes import WORKLOAD_WIDTH
from allsmi_py.tui.widgets.status import status_text
from allsmi_py.units import format_bytes, format_pct

MAX_PROCESSES = 50
NO_NODE = "Pick a node: Enter on the node grid or on a row of All devices (or click one)."


def lost_box(node: ClusterNode, now_s: float) -> Panel:
    """The red CONNECTION LOST box of a down node."""
    status = node.status
    last = None if status.last_ok_at_s is None else now_s - status.last_ok_at_s
    body = Text()
    body.append("Node: ", style=MUTED)
    body.append(f"{node_name(node)}  ({status.address})\n", style=ACCENT)
    body.append("Error: ", style=MUTED)
    http = f" (HTTP {status.http_status})" if status.http_status else ""
    body.append(f"{status.state}{http}: {status.error or 'no answer'}\n")
    body.append("Last contact: ", style=MUTED)
    body.append(ago(last))
    if node.snapshot is not None:
        body.append("\nThe readings below are the last ones received.", style=MUTED)
    return Panel(body, title=LOST_TITLE, border_style=LEVEL_STYLE["critical"],
                 title_align="left", width=72)


def processes_table(snap: NodeSnapshot) -> Table | Text:
    """The node's GPU processes, most GPU memory first."""
    procs = [(d, p) for d in snap.devices for p in d.processes]
    if not procs:
        return Text("No processes exported by this node (its exporter may run without "
                    "--processes).", style=MUTED)
    procs.sort(key=lambda dp: -(dp[1].gpu_memory_bytes or 0))
    shown = procs[:MAX_PROCESSES]
    # as in the local view, CONTAINER/POD only while some process runs in a container
    workloads = any(proc.workload is not None for _, proc in shown)
    rows = [[str(proc.pid), proc.user or "?", str(device.index),
             format_bytes(proc.gpu_memory_bytes), format_pct(proc.gpu_utilization_pct),
             *([proc.workload.label or "-" if proc.workload else "-"] if workloads else []),
             proc.command or proc.name or ""] for device, proc in shown]
    if len(procs) > MAX_PROCESSES:
        rows.append([""] * (6 + workloads))
        rows[-1][-1] = f"… {len(procs) - MAX_PROCESSES} more"
    columns = [("PID", "right"), ("USER", "left"), ("DEV", "right"), ("GPU MEM", "right"),
               ("GPU%", "right"), *([("CONTAINER/POD", "left")] if workloads else [])]
    # Fixed widths and the rest for COMMAND: a wide column cuts the command, not the others.
    table = Table(box=None, header_style=HEADER, pad_edge=False, expand=True)
    for position, (title, justify) in enumerate(columns):
        width = max(len(title), *(len(row[position]) for row in rows))
        table.add_column(title, justify=justify, no_wrap=True,  # type: ignore[arg-type]
                         width=min(width, WORKLOAD_WIDTH))  # a node's long names cut too
    table.add_column("COMMAND", no_wrap=True, ratio=1)
    for row in rows:
        table.add_row(*map(Text, row))  # as text: a node's "[/x]" is no markup
    return table


def node_view(node: ClusterNode | None, now_s: float, history: History,
              thresholds: AlertThresholds, width: int) -> RenderableType:
    """Everything the Node tab shows for `node`."""
    if node is None:
        return Text(NO_NODE, style=MUTED)
    parts: list[RenderableType] = []
    status = node.status
    if not node.is_live:
        parts.append(lost_box(node, now_s))
    snap = node.snapshot
    if snap is None:
        return Group(*parts)
    title = Text(f"{snap.hostname}", style=ACCENT)
    title.append(f"  {status.address}", style=MUTED)
    if status.latency_s is not None:
        title.append(f"  answered in {status.latency_s * 1000:.0f} ms", style=MUTED)
    if status.source and status.source.startswith("ssh:"):
        title.append(f"  via {status.source}", style=MUTED)  # which tool the host had
    if snap.version:
        title.append(f"  allsmi v{snap.version}", style=MUTED)
    parts.append(title)
    # what the node's own backends, or our reading of its answer, could not read
    troubles = status_text(snap) if snap.devices else None
    if troubles is not None:
        parts.append(troubles)
    parts.append(host_lines(snap.host, History(), width))
    energy = node_energy_j(snap)
    if energy is not None:
        parts.append(to_text([energy_spans(energy, "Energy since allsmi first ran: ")]))
    for device in snap.devices:
        line = Text(card_title(device), style=ACCENT)
        line.append("\n")
        line.append_text(card_lines(device, history, thresholds, width))
        parts.append(line)
    parts.append(Text(""))
    parts.append(processes_table(snap))
    return Group(*parts)


class NodeDetail(Widget):
    """The Node tab's content."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.node: ClusterNode | None = None
        self._now_s = 0.0
        self._history = History()
        self._thresholds = AlertThresholds()

    def show(self, node: ClusterNode | None, now_s: float, history: History,
             thresholds: AlertThresholds) -> None:
        """Draw this node as of `now_s`."""
        self.node, self._now_s = node, now_s
        self._history, self._thresholds = history, thresholds
        self.refresh(layout=True)

    def render(self) -> RenderableType:
        """The node."""
        return node_view(self.node, self._now_s, self._history, self._thresholds,
                         self.content_size.width)
