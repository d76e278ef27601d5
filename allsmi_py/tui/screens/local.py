"""The local view: this machine's host metrics, device cards, processes and alerts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer

from allsmi_py.model import NodeSnapshot
from allsmi_py.tui.screens.base import MonitorScreen
from allsmi_py.tui.widgets.alerts import AlertPanel
from allsmi_py.tui.widgets.devices import DeviceGrid
from allsmi_py.tui.widgets.header import HeaderBar
from allsmi_py.tui.widgets.hostbar import HostBar
from allsmi_py.tui.widgets.processes import ProcessTable
from allsmi_py.tui.widgets.status import StatusPanel

if TYPE_CHECKING:
    from allsmi_py.tui.app import AllSmiApp


# (key, process-table sort column, footer label); only the first is shown in the footer
SORT_KEYS = (("g", "gpu_mem", "Sort GPU-mem"), ("u", "gpu_util", "GPU%"), ("c", "cpu", "CPU%"),
             ("m", "host_mem", "Mem"), ("p", "pid", "PID"), ("e", "time", "Time"),
             ("n", "user", "User"))


class LocalScreen(MonitorScreen):
    """Everything about this machine on one screen."""

    BINDINGS = [
        Binding("f", "gpu_only", "GPU procs"),
        *(Binding(key, f"sort('{column}')", label, show=column == "gpu_mem")
          for key, column, label in SORT_KEYS),
        Binding("a,A", "toggle_alerts", "Alerts"),
        Binding("escape", "close_panel", "Close", show=False),
        # Whatever has focus, ←/→ scroll the process table (the widest thing on screen).
        Binding("left", "scroll_processes(-1)", "Scroll", show=False),
        Binding("right", "scroll_processes(1)", "Scroll", show=False),
    ]

    def compose(self) -> ComposeResult:
        """Header, host bar, devices (or why there are none), processes, alerts, footer."""
        with Vertical(id="main"):
            yield HeaderBar(id="header")
            yield HostBar(id="host")
            yield StatusPanel(id="status")
            yield DeviceGrid(id="devices")
            yield ProcessTable(id="processes")
            yield AlertPanel(id="alerts")
            yield Footer()
        yield self.too_small_notice()

    @property
    def monitor(self) -> AllSmiApp:
        """The app, typed."""
        from allsmi_py.tui.app import AllSmiApp
        assert isinstance(self.app, AllSmiApp)
        return self.app

    def on_mount(self) -> None:
        """Follow the app's snapshot."""
        self.watch(self.app, "snapshot", self.show, init=True)

    def show(self, snapshot: NodeSnapshot | None) -> None:
        """Redraw every part from this snapshot."""
        self.query_one("#status", StatusPanel).show(snapshot)
        if snapshot is None:
            return
        app = self.monitor
        self.query_one("#header", HeaderBar).show(snapshot)
        self.query_one("#host", HostBar).show(snapshot.host, app.history)
        marks = {}
        for device in snapshot.devices:
            level, note = app.alert_mark(device.uuid)
            marks[device.uuid] = (level, note)
        self.set_class(not snapshot.devices, "-no-devices")
        self.query_one("#devices", DeviceGrid).show(snapshot.devices, app.history,
                                                    app.thresholds, marks)
        self.query_one("#processes", ProcessTable).show(snapshot)
        self.query_one("#alerts", AlertPanel).show(app.alerts.history)

    def action_gpu_only(self) -> None:
        """Toggle the GPU-users-only filter of the process table."""
        self.query_one("#processes", ProcessTable).toggle_gpu_only()

    def action_sort(self, key: str) -> None:
        """Sort the process table by column `key` (again: reverse)."""
        self.query_one("#processes", ProcessTable).sort_by(key)

    def action_scroll_processes(self, direction: int) -> None:
        """Scroll the process table sideways, to the rest of long command lines."""
        self.query_one("#processes", ProcessTable).action_scroll_columns(direction)

    def action_toggle_alerts(self) -> None:
        """Show or hide the alert history."""
        self.toggle_class("-alerts-open")

    def action_close_panel(self) -> None:
        """Esc closes the alert history."""
        self.remove_class("-alerts-open")
