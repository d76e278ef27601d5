"""The local view: this machine's host metrics, device cards, processes and alerts."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState

from allsmi_py.model import NodeSnapshot
from allsmi_py.process_actions import (
    MAX_SIGNAL_TEXT,
    SignalNameError,
    SignalTarget,
    parse_signal,
)
from allsmi_py.tui.host_processes import HostProcessList, read_host_processes
from allsmi_py.tui.screens.base import MonitorScreen
from allsmi_py.tui.screens.confirm_signal import ConfirmSignalScreen
from allsmi_py.tui.screens.pick_signal import PickSignalScreen
from allsmi_py.tui.screens.process_metrics import ProcessMetricsScreen
from allsmi_py.tui.screens.topology import TopologyScreen
from allsmi_py.tui.widgets.alerts import AlertPanel
from allsmi_py.tui.widgets.devices import DeviceGrid
from allsmi_py.tui.widgets.header import HeaderBar
from allsmi_py.tui.widgets.hostbar import HostBar
from allsmi_py.tui.widgets.line_table import LineTable
from allsmi_py.tui.widgets.processes import HOST_DEVICE, MAX_QUERY_CHARS, ProcessTable
from allsmi_py.tui.widgets.status import StatusPanel

if TYPE_CHECKING:
    from allsmi_py.tui.app import AllSmiApp


# (key, process-table sort column, footer label); only the first is shown in the footer
SORT_KEYS = (("g", "gpu_mem", "Sort GPU-mem"), ("u", "gpu_util", "GPU%"), ("c", "cpu", "CPU%"),
             ("m", "host_mem", "Mem"), ("p", "pid", "PID"), ("e", "time", "Time"),
             ("n", "user", "User"))
# Process actions (issue 17), bound only when the app has them (never with --readonly):
# k sends TERM as kill(1) does, K KILL and I INT as in nvitop, s asks for any signal by
# name or number, S offers a list of them.
ACTION_KEYS = (("k", "signal('TERM')", "TERM"), ("K", "signal('KILL')", "KILL"),
               ("I", "signal('INT')", "INT"), ("s", "name_signal", "Signal…"),
               ("S", "pick_signal", "Signals…"))
HOST_READER = "host-processes"  # the worker that reads the host's processes (off the UI thread)


class LocalScreen(MonitorScreen):
    """Everything about this machine on one screen."""

    # What `H` lists; runs on a worker thread (tests put a fake here).
    read_host: Callable[[], HostProcessList] = staticmethod(read_host_processes)
    # Reads start at most this often: psutil takes ~0.15 ms a process and holds the GIL for
    # much of it, so 2000 processes read every 0.25 s would slow the keys (bench_process_table).
    host_read_gap_s = 1.0

    def __init__(self, actions: bool = False) -> None:
        """`actions`: bind the process-action keys (the app decides: not with --readonly)."""
        super().__init__()
        self.offers_actions = actions
        self._signal_target: SignalTarget | None = None
        self._host_reading = False
        self._host_read_at = float("-inf")
        if actions:
            for key, action, label in ACTION_KEYS:
                self._bindings.bind(key, action, label, show=False)

    BINDINGS = [
        Binding("f", "gpu_only", "GPU procs"),
        Binding("t", "tree", "Tree", show=False),
        Binding("H", "host_processes", "Host procs", show=False),
        Binding("slash", "open_filter", "Filter", show=False),
        *(Binding(key, f"sort('{column}')", label, show=column == "gpu_mem")
          for key, column, label in SORT_KEYS),
        Binding("a,A", "toggle_alerts", "Alerts"),
        Binding("o", "topology", "Topology", show=False),
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
            yield Input(placeholder="filter processes: user, command, container or pod contains…",
                        id="process-filter", max_length=MAX_QUERY_CHARS)
            yield Input(placeholder="signal to send: TERM, KILL, INT, HUP, USR1 or a number",
                        id="signal-name", max_length=MAX_SIGNAL_TEXT)
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
        """Follow the app's snapshot; the table's subtitle names the action keys when bound."""
        table = self.query_one("#processes", ProcessTable)
        if self.offers_actions:
            table.keys_hint = f"{table.keys_hint}  k K I s S: signal"
            table.border_subtitle = table.keys_hint
        simulated = self.monitor.simulated_backends
        # a replay's processes are not this host's now: no ancestors read for them
        in_replay = getattr(self.app, "replay", None) is not None
        table.real_process = lambda row: not in_replay and row.backend not in simulated
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
        table = self.query_one("#processes", ProcessTable)
        table.show(snapshot)
        if table.wants_host_list:
            self._read_host_processes()
        self.query_one("#alerts", AlertPanel).show(app.alerts.history)

    def action_tree(self) -> None:
        """Toggle the process table's parent/child tree (with the GPU processes' ancestors
        read from the host, for processes that run on it)."""
        table = self.query_one("#processes", ProcessTable)
        table.toggle_tree()
        if table.wants_host_list:
            self._read_host_processes(now=True)

    def action_host_processes(self) -> None:
        """Toggle the host's other processes in the table (read now, then with each snapshot);
        not in a replay, whose processes are not this host's now."""
        if getattr(self.app, "replay", None) is not None:  # tui/replay.py's apps have one
            self.notify("H lists this host's processes now: not in a replay",
                        severity="warning", markup=False)
            return
        table = self.query_one("#processes", ProcessTable)
        table.toggle_host()
        if table.host:
            self._read_host_processes(now=True)

    def _read_host_processes(self, now: bool = False) -> None:
        """Start one read on a worker thread unless one is still going (a slow /proc waits)
        or, unless `now`, the last one started under `host_read_gap_s` ago."""
        started = time.monotonic()
        if not self._host_reading and (now or started - self._host_read_at
                                       >= self.host_read_gap_s):
            self._host_reading = True
            self._host_read_at = started
            self.run_worker(self.read_host, name=HOST_READER, thread=True, exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A host read finished: show it (if the table still wants it)."""
        worker = event.worker
        if worker.name != HOST_READER or not worker.is_finished:
            return
        self._host_reading = False
        if event.state is WorkerState.SUCCESS and isinstance(worker.result, HostProcessList):
            self.query_one("#processes", ProcessTable).show_host(worker.result)

    def on_line_table_chosen(self, message: LineTable.Chosen) -> None:
        """Enter on a process: its metrics screen (a process on an accelerator: the table
        keeps their history)."""
        table = message.table
        row = table.current if isinstance(table, ProcessTable) else None
        if row is None or not isinstance(table, ProcessTable):
            return
        if row.device == HOST_DEVICE:
            self.notify("Metrics follow the processes on an accelerator, not host ones",
                        severity="warning", markup=False)
            return
        self.app.push_screen(ProcessMetricsScreen(row, table.history))

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
        self.query_one("#alerts", AlertPanel).toggle_class("-open")

    @property
    def alerts_open(self) -> bool:
        """True while the alert history is shown."""
        return self.query_one("#alerts", AlertPanel).has_class("-open")

    def action_topology(self) -> None:
        """Open the topology panel: NUMA nodes, PCIe switches, NvLinks, the topo -m matrix."""
        self.app.push_screen(TopologyScreen(self.monitor.snapshot))

    def action_close_panel(self) -> None:
        """Esc closes the filter or signal bar, then the alert history, then clears the filter."""
        table = self.query_one("#processes", ProcessTable)
        if self.has_class("-filtering") or self.has_class("-naming-signal"):
            self.remove_class("-filtering", "-naming-signal")
            table.focus()
        elif self.alerts_open:
            self.query_one("#alerts", AlertPanel).remove_class("-open")
        elif table.filter_text:
            self.query_one("#process-filter", Input).value = ""
            table.filter_by("")

    def action_open_filter(self) -> None:
        """Show the filter bar (see ProcessTable.filter_by) with the current text."""
        self.remove_class("-naming-signal")
        self.add_class("-filtering")
        bar = self.query_one("#process-filter", Input)
        bar.value = self.query_one("#processes", ProcessTable).filter_text
        bar.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Filter as the text is typed."""
        if event.input.id == "process-filter":
            self.query_one("#processes", ProcessTable).filter_by(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter keeps the filter, or sends the typed signal (after the confirmation)."""
        event.stop()
        if event.input.id == "signal-name":
            self._signal_named(event.input)
            return
        self.remove_class("-filtering")
        self.query_one("#processes", ProcessTable).focus()

    def _selected(self) -> SignalTarget | None:
        row = self.query_one("#processes", ProcessTable).current
        if row is None:
            self.notify("No process selected", severity="warning", markup=False)
            return None
        return SignalTarget(row.process, row.backend)

    def action_signal(self, name: str) -> None:
        """Ask to send signal `name` to the selected process."""
        target = self._selected() if self.offers_actions else None
        if target is not None:
            self._confirm(target, parse_signal(name))

    def action_name_signal(self) -> None:
        """Ask which signal to send to the selected process (a name or a number)."""
        target = self._selected() if self.offers_actions else None
        if target is None:
            return
        self._signal_target = target
        self.remove_class("-filtering")
        self.add_class("-naming-signal")
        bar = self.query_one("#signal-name", Input)
        bar.border_title = escape(f"signal to {target.describe()}")
        bar.value = ""
        bar.focus()

    def action_pick_signal(self) -> None:
        """Offer a list of signals for the selected process; the one picked is confirmed."""
        target = self._selected() if self.offers_actions else None
        if target is None:
            return

        def picked(sig: signal.Signals | None) -> None:
            if sig is not None:
                self._confirm(target, sig)

        self.app.push_screen(PickSignalScreen(target), picked)

    def _signal_named(self, bar: Input) -> None:
        target = self._signal_target
        try:
            sig = parse_signal(bar.value)
        except SignalNameError as exc:
            bar.border_subtitle = escape(str(exc))
            bar.add_class("-error")
            return
        bar.border_subtitle = ""
        bar.remove_class("-error")
        self.remove_class("-naming-signal")
        self.query_one("#processes", ProcessTable).focus()
        if target is not None:
            self._confirm(target, sig)

    def _confirm(self, target: SignalTarget, sig: signal.Signals) -> None:
        """Refuse at once what cannot be done; else ask, and send on yes."""
        signaller = self.monitor.process_actions
        if signaller is None:
            return
        refused = signaller.refusal(target)
        if refused is not None:
            self.notify(refused, title="Not signalled", severity="error", markup=False)
            return

        def answered(send: bool | None) -> None:
            if send and signaller is not None:
                result = signaller.send(target, sig)
                self.notify(result.message, title="Signal" if result.ok else "Not signalled",
                            severity="information" if result.ok else "error", markup=False)

        self.app.push_screen(ConfirmSignalScreen(target, sig), answered)
