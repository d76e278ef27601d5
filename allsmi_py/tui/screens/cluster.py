"""The cluster view: overview, node grid, lost nodes, and tabs (All devices, Node, Users,
Topology)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Footer, Input, Static, TabbedContent, TabPane

from allsmi_py.model import ClusterNode
from allsmi_py.tui.cluster_model import ViewParams, view_rows
from allsmi_py.tui.cluster_rows import SORTS, USERS_BY, DeviceRow, UsersBy, UserUsage, user_usage
from allsmi_py.tui.filter import DeviceFilter, FilterError, parse_filter
from allsmi_py.tui.screens.base import MonitorScreen
from allsmi_py.tui.widgets.alerts import AlertPanel
from allsmi_py.tui.widgets.cluster_overview import (
    AlertSummary,
    ClusterHeader,
    ClusterOverview,
    LostPanel,
)
from allsmi_py.tui.widgets.device_table import DeviceTable, UsersTable
from allsmi_py.tui.widgets.line_table import LineTable
from allsmi_py.tui.widgets.node_detail import NO_NODE, NodeDetail
from allsmi_py.tui.widgets.node_grid import NodeGrid
from allsmi_py.tui.widgets.topology import NO_TOPOLOGY, TopologyView

if TYPE_CHECKING:
    from allsmi_py.tui.cluster_app import ClusterApp
    from allsmi_py.tui.cluster_model import ClusterState

TABS = ("tab-all", "tab-node", "tab-users", "tab-topology")
# What takes the keys in each tab: the Node tab's scroll container, so ↓ PgDn End move it.
TAB_FOCUS = {"tab-all": "#device-table", "tab-node": "#node-scroll", "tab-users": "#users-table",
             "tab-topology": "#topology-scroll"}
USERS_TITLE: dict[UsersBy, str] = {"user": "Users", "namespace": "Namespaces", "pod": "Pods"}
FILTER_HINT = "filter: node or device words, -word, util>50 temp>=80 mem>90 power>300, a | b"


class ClusterScreen(MonitorScreen):
    """Every node of the cluster on one screen."""

    BINDINGS = [
        Binding("slash", "open_filter", "Filter"),
        Binding("d", "sort('node')", "Sort node"),
        Binding("u", "sort('util')", "Util"),
        Binding("g", "sort('mem')", "Mem"),
        Binding("t", "sort('temp')", "Temp"),
        Binding("p", "sort('power')", "Power"),
        Binding("right_square_bracket", "tab(1)", "Next tab"),
        Binding("left_square_bracket", "tab(-1)", "Prev tab", show=False),
        Binding("V", "show_tab('tab-users')", "Users", show=False),
        Binding("w", "users_by", "Users by", show=False),
        Binding("o", "show_tab('tab-topology')", "Topology", show=False),
        Binding("a,A", "toggle_alerts", "Alerts"),
        Binding("m", "toggle_mute", "Mute"),
        Binding("escape", "escape", "Close", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_filter = DeviceFilter()
        self.sort_key = "node"
        self.sort_descending = False
        self.selected: str | None = None  # address of the node in the Node tab
        # The rows last shown, and for which state and params: a redraw without a new round
        # or a new sort/filter (a tab switch, the alert panel) reuses them.
        self._view: tuple[ClusterState, ViewParams, list[DeviceRow]] | None = None
        self.users_by: UsersBy = "user"  # what a row of the Users tab totals (`w`)
        # user_usage() by namespace or pod for a state (the derive thread does it by user)
        self._users_view: tuple[ClusterState, UsersBy, tuple[list[UserUsage], int, int]] \
            | None = None

    def compose(self) -> ComposeResult:
        """Header, overview, grid, lost nodes, tabs, filter bar, alerts, footer."""
        with Vertical(id="main"):
            yield ClusterHeader(self.monitor.label, id="header")
            yield ClusterOverview(id="overview")
            yield NodeGrid(id="grid")
            yield LostPanel(id="lost")
            with TabbedContent(id="tabs", initial="tab-all"):
                with TabPane("All devices", id="tab-all"):
                    yield DeviceTable(id="device-table")
                with TabPane("Node", id="tab-node"), VerticalScroll(id="node-scroll"):
                    yield NodeDetail(id="node-detail")
                with TabPane("Users", id="tab-users"):
                    yield UsersTable(id="users-table")
                with TabPane("Topology", id="tab-topology"), VerticalScroll(
                        id="topology-scroll"):
                    yield TopologyView(id="topology-tab")
            yield Input(placeholder=FILTER_HINT, id="filter")
            yield AlertPanel(id="alerts")
            # The source's own status (a Prometheus round's cost); hidden when it has none.
            yield Static("", id="source-line", markup=False)
            yield Footer()
        yield self.too_small_notice()

    @property
    def monitor(self) -> ClusterApp:
        """The app, typed."""
        from allsmi_py.tui.cluster_app import ClusterApp
        assert isinstance(self.app, ClusterApp)
        return self.app

    def on_mount(self) -> None:
        """Follow the app's cluster state."""
        self.query_one("#grid", NodeGrid).border_title = "Nodes"
        self.query_one("#users-table", UsersTable).border_title = "Users"
        self.query_one("#source-line", Static).display = False
        self._title_table(0, 0)
        self.watch(self.app, "state", self.show, init=True)
        self.query_one("#device-table", DeviceTable).focus()

    @property
    def params(self) -> ViewParams:
        """What the device table and tabs show now; the derive thread prepares rows for it."""
        tabs = next(iter(self.query("#tabs").results(TabbedContent)), None)  # before compose
        return ViewParams(self.sort_key, self.sort_descending, self.query_filter,
                          tabs is not None and tabs.active == "tab-users")

    def show(self, state: ClusterState | None) -> None:
        """Redraw from a derived round: O(visible rows) to draw, plus O(nodes) references."""
        if state is None:
            return
        app = self.monitor
        self._show_header(state)
        self.query_one("#overview", ClusterOverview).show(state.summary, app.history,
                                                          state.problems)
        self.query_one("#grid", NodeGrid).show(state.cluster.nodes, state.cells)
        self.query_one("#lost", LostPanel).show(state.cluster, state.down)
        self._show_devices(state)
        self._show_active_tab(state)
        self._show_source_line(state.source_line)
        if self.has_class("-alerts-open"):
            self.query_one("#alerts", AlertPanel).show(state.alert_history)

    def _show_source_line(self, text: str) -> None:
        line = self.query_one("#source-line", Static)
        line.display = bool(text)
        if text:
            line.update(text)

    def _show_header(self, state: ClusterState) -> None:
        alerts = AlertSummary(state.alert_count, state.alert_nodes, state.alert_worst,
                              self.monitor.alerts_muted)
        self.query_one("#header", ClusterHeader).show(state.cluster, alerts)

    def shown_rows(self, state: ClusterState) -> list[DeviceRow]:
        """The device rows for the current sort and filter: derived with the round when the
        params have not changed since, else filtered and sorted here (once per change)."""
        params = self.params
        view = self._view
        if view is not None and view[0] is state and view[1] == params:
            return view[2]
        if state.shown is not None and state.params == params:
            rows = state.shown
        else:
            rows = view_rows(state.rows, params, state.addresses)
        self._view = (state, params, rows)
        return rows

    def _show_devices(self, state: ClusterState) -> None:
        rows = self.shown_rows(state)
        table = self.query_one("#device-table", DeviceTable)
        table.show(rows, state.levels, self.monitor.thresholds, state.cluster.nodes,
                   state.cluster.taken_at_s)
        self._title_table(len(rows), len(state.rows))

    def _title_table(self, shown: int, total: int) -> None:
        table = self.query_one("#device-table", DeviceTable)
        arrow = "↓" if self.sort_descending else "↑"
        title = f"{shown} of {total} devices · sort {SORTS[self.sort_key][0]} {arrow}"
        if not self.query_filter.empty:
            title += f" · filter {self.query_filter.describe()}"
        table.border_title = title

    def _show_active_tab(self, state: ClusterState) -> None:
        active = self.query_one("#tabs", TabbedContent).active
        if active == "tab-node":
            self.query_one("#node-detail", NodeDetail).show(
                self._selected_node(state), state.cluster.taken_at_s, self.monitor.history,
                self.monitor.thresholds)
        elif active == "tab-topology":
            self._show_topology(state)
        elif active == "tab-users":
            self._show_users(state)

    def _show_users(self, state: ClusterState) -> None:
        by = self.users_by
        if by == "user" and state.users is not None:
            users, reporting, live = state.users
        else:
            view = self._users_view
            if view is None or view[0] is not state or view[1] != by:
                view = self._users_view = (state, by, user_usage(state.cluster, by))
            users, reporting, live = view[2]
        table = self.query_one("#users-table", UsersTable)
        table.group_by(by)
        table.set_rows(users)
        following = USERS_BY[(USERS_BY.index(by) + 1) % len(USERS_BY)]
        table.border_title = (f"{USERS_TITLE[by]}: {len(users)} · process data from "
                              f"{reporting} of {live} live nodes · w: by {following}")

    def _show_topology(self, state: ClusterState) -> None:
        node = self._selected_node(state)
        view = self.query_one("#topology-tab", TopologyView)
        view.show(None if node is None else node.snapshot,
                  placeholder=NO_NODE if node is None else NO_TOPOLOGY)

    def _selected_node(self, state: ClusterState) -> ClusterNode | None:
        if self.selected is None:
            return None
        for node in state.cluster.nodes:
            if node.status.address == self.selected:
                return node
        return None

    def _redraw(self) -> None:
        if self.monitor.state is not None:
            self.show(self.monitor.state)

    def open_node(self, position: int) -> None:
        """Show the node at `position` of the latest round in the Node tab."""
        state = self.monitor.state
        if state is None or not 0 <= position < len(state.cluster.nodes):
            return
        address = state.cluster.nodes[position].status.address
        scroll = self.query_one("#node-scroll", VerticalScroll)
        if address != self.selected:
            scroll.scroll_home(animate=False)  # another node starts at its top
        self.selected = address
        self.monitor.detail_address = self.selected
        self.action_show_tab("tab-node")
        scroll.focus()  # issue 15: ↓ PgDn End scroll the node at once, no mouse needed

    def on_node_grid_picked(self, message: NodeGrid.Picked) -> None:
        """A node picked in the grid opens in the Node tab."""
        self.open_node(message.position)

    def on_line_table_chosen(self, message: LineTable.Chosen) -> None:
        """Enter on a device row opens its node."""
        if isinstance(message.table, DeviceTable):
            row = message.table.current
            if row is not None:
                self.open_node(row.node_pos)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """Fill the tab that just opened; its content takes the keys if focus was left in
        the pane just hidden (Textual drops it there, and ↓ would then move nothing)."""
        self._redraw()
        focused = self.focused
        pane = event.pane.id
        if pane in TAB_FOCUS and (focused is None or self._in_hidden_pane(focused, pane)):
            self.query_one(TAB_FOCUS[pane]).focus()

    @staticmethod
    def _in_hidden_pane(widget: Widget, active: str) -> bool:
        return any(isinstance(a, TabPane) and a.id != active for a in widget.ancestors)

    def action_show_tab(self, tab: str) -> None:
        """Switch to a tab."""
        self.query_one("#tabs", TabbedContent).active = tab
        self._redraw()

    def action_users_by(self) -> None:
        """Group the Users tab by the next of user, namespace, pod; and show it."""
        self.users_by = USERS_BY[(USERS_BY.index(self.users_by) + 1) % len(USERS_BY)]
        self.action_show_tab("tab-users")

    def action_tab(self, step: int) -> None:
        """The next (or previous) tab."""
        active = self.query_one("#tabs", TabbedContent).active
        index = TABS.index(active) if active in TABS else 0
        self.action_show_tab(TABS[(index + step) % len(TABS)])

    def action_sort(self, key: str) -> None:
        """Sort devices by `key`; the same key again reverses."""
        if key == self.sort_key:
            self.sort_descending = not self.sort_descending
        else:
            self.sort_key, self.sort_descending = key, SORTS[key][1]
        self._redraw()
        self._title_table(len(self.query_one("#device-table", DeviceTable).rows),
                          len(self.monitor.state.rows) if self.monitor.state else 0)

    def action_open_filter(self) -> None:
        """Show the filter bar with the current query."""
        self.add_class("-filtering")
        bar = self.query_one("#filter", Input)
        bar.value = self.query_filter.describe()
        bar.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Apply the query as it is typed; a query that cannot be read says why."""
        bar = event.input
        try:
            self.query_filter = parse_filter(event.value)
        except FilterError as exc:
            bar.border_subtitle = f"parse error: {exc}"
            bar.add_class("-error")
            return
        bar.border_subtitle = ""
        bar.remove_class("-error")
        self._redraw()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter keeps the query and goes back to the table."""
        self.remove_class("-filtering")
        self.query_one("#device-table", DeviceTable).focus()

    def action_escape(self) -> None:
        """Esc closes the filter bar (clearing an unreadable query), then the alert panel,
        then clears the filter."""
        bar = self.query_one("#filter", Input)
        if self.has_class("-filtering"):
            self.remove_class("-filtering")
            if bar.has_class("-error"):
                bar.value = ""
            self.query_one("#device-table", DeviceTable).focus()
        elif self.has_class("-alerts-open"):
            self.remove_class("-alerts-open")
        elif not self.query_filter.empty:
            bar.value = ""
            self.query_filter = DeviceFilter()
            self._redraw()

    def action_toggle_alerts(self) -> None:
        """Show or hide the alert history."""
        self.toggle_class("-alerts-open")
        state = self.monitor.state
        self.query_one("#alerts", AlertPanel).show(state.alert_history if state else ())

    def action_toggle_mute(self) -> None:
        """Mute or unmute the alert toasts; the header's summary line says which."""
        self.monitor.alerts_muted = not self.monitor.alerts_muted
        if self.monitor.state is not None:
            self._show_header(self.monitor.state)
