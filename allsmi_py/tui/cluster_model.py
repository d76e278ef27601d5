"""The cluster view's model of one round, derived off the UI thread: pure, no Textual.

`ClusterDeriver.derive` turns a ClusterSnapshot into a `ClusterState` that the screen only
has to draw: summary, device rows already filtered and sorted for the screen's current
`ViewParams`, node-grid cells, alert levels and transitions. At 1024 nodes x 8 devices this
is tens of milliseconds of Python, which the view runs in one worker thread so that the UI
thread pays only for drawing. The deriver owns its AlertEngine: only that one thread
touches it, and the UI reads the copies placed in each state.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from allsmi_py.alerts import AlertEngine, AlertEvent, AlertThresholds, worst_level
from allsmi_py.model import ClusterNode, ClusterSnapshot
from allsmi_py.remote.aggregate import ClusterSummary, summarize
from allsmi_py.tui.cluster_rows import (
    DeviceRow,
    UserUsage,
    device_rows,
    filter_rows,
    sort_rows,
    user_usage,
)
from allsmi_py.tui.filter import DeviceFilter
from allsmi_py.tui.style import DOWN, EMPTY, GRID_STEPS, LEVEL_STYLE, LIVE, MUTED, grid_colour


@dataclass(frozen=True, slots=True)
class GridCell:
    """What one node's cell in the node grid shows."""

    glyph: str
    style: str


DOWN_CELL = GridCell(DOWN, LEVEL_STYLE["critical"])
EMPTY_CELL = GridCell(EMPTY, MUTED)
_LIVE_CELLS = {colour: GridCell(LIVE, colour) for _bound, colour in GRID_STEPS}


def live_cell(mean_utilization_pct: float) -> GridCell:
    """The cell of a live node whose devices' mean utilization is this."""
    return _LIVE_CELLS[grid_colour(mean_utilization_pct)]


def node_cell(node: ClusterNode) -> GridCell:
    """The glyph and colour of a node: its mean utilization, or the down mark."""
    if not node.is_live:
        return DOWN_CELL
    snap = node.snapshot
    utils = [d.utilization_pct for d in snap.devices if d.utilization_pct is not None] \
        if snap is not None else []
    if not utils:
        return EMPTY_CELL
    return live_cell(sum(utils) / len(utils))


@dataclass(frozen=True, slots=True)
class ViewParams:
    """What the screen shows of the devices: sort, filter, and whether Users is open."""

    sort_key: str = "node"
    descending: bool = False
    query: DeviceFilter = DeviceFilter()
    users: bool = False


def view_rows(rows: Sequence[DeviceRow], params: ViewParams,
              addresses: Sequence[str]) -> list[DeviceRow]:
    """The rows the device table shows for `params`: filtered, then sorted."""
    shown = filter_rows(rows, params.query, addresses)
    if params.sort_key != "node" or params.descending:
        sort_rows(shown, params.sort_key, params.descending)
    return shown  # device_rows() already yields node/index order


@dataclass(frozen=True, slots=True)
class ClusterState:
    """One round, with everything derived from it that the screen draws from."""

    cluster: ClusterSnapshot
    summary: ClusterSummary
    rows: list[DeviceRow]  # every device, node/index order
    addresses: tuple[str, ...]
    problems: tuple[str, ...] = ()
    levels: Mapping[str, str] = field(default_factory=dict)  # uuid -> alert level, not ok
    params: ViewParams = ViewParams()
    shown: list[DeviceRow] | None = None  # rows for `params`; None: not derived yet
    cells: tuple[GridCell, ...] = ()
    down: tuple[ClusterNode, ...] = ()
    users: tuple[list[UserUsage], int, int] | None = None  # user_usage() when params.users
    events: tuple[AlertEvent, ...] = ()  # this round's alert transitions
    alert_history: tuple[AlertEvent, ...] = ()
    derive_cpu_s: float = 0.0  # CPU the deriving thread spent on this state
    alert_count: int = 0  # active (device, rule) alerts, for the header's summary line
    alert_nodes: int = 0  # nodes with at least one of them
    alert_worst: str = "ok"  # the worst level among them
    source_line: str = ""  # the source's own status (a Prometheus round's cost and budget)


class ClusterDeriver:
    """Derives each round's ClusterState; call it from one thread at a time, in order."""

    def __init__(self, thresholds: AlertThresholds | None = None) -> None:
        self.alerts = AlertEngine(thresholds)

    def derive(self, cluster: ClusterSnapshot, problems: tuple[str, ...],
               params: ViewParams) -> ClusterState:
        """Everything the screen needs from this round, and the alert transitions."""
        cpu0 = time.thread_time()
        summary = summarize(cluster)
        rows = device_rows(cluster)
        addresses = tuple(n.status.address for n in cluster.nodes)
        live = [r for r in rows if r.live]
        events = self.alerts.update([r.device for r in live], cluster.taken_at_s,
                                    [r.node for r in live])
        levels = self.alerts.worst_levels()
        active = self.alerts.active()
        alert_nodes = len({r.node for r in rows if r.device.uuid in levels}) if levels else 0
        return ClusterState(
            cluster, summary, rows, addresses, problems, levels, params,
            view_rows(rows, params, addresses), tuple(node_cell(n) for n in cluster.nodes),
            tuple(n for n in cluster.nodes if not n.is_live),
            user_usage(cluster) if params.users else None,
            tuple(events), tuple(self.alerts.history), time.thread_time() - cpu0,
            len(active), alert_nodes, worst_level(levels.values()))
