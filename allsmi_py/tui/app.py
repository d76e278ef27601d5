"""The Textual app: receives snapshots from a collector thread, keeps history and alerts.

The collector calls back on its own thread; the callback only posts a `SnapshotUpdated`
message (non-blocking, thread-safe), and a newer message replaces an older one still queued,
so a slow terminal skips frames instead of falling behind. Screens follow `snapshot`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from textual.app import App
from textual.binding import Binding
from textual.filter import LineFilter
from textual.reactive import var
from textual.screen import Screen

from allsmi_py.alerts import AlertEngine, AlertEvent, AlertThresholds
from allsmi_py.model import NodeSnapshot
from allsmi_py.process_actions import ProcessSignaller
from allsmi_py.tui.history import History
from allsmi_py.tui.messages import SnapshotUpdated
from allsmi_py.tui.palette import palette_filter
from allsmi_py.tui.screens.help import HelpScreen
from allsmi_py.tui.style import other_theme, theme_name, toast_severity
from allsmi_py.tui.widgets.devices import record_devices
from allsmi_py.tui.widgets.hostbar import record_host

TOAST_SECONDS = 5.0


class SnapshotSource(Protocol):
    """What the app needs from a collector."""

    def subscribe(self, callback: Callable[[NodeSnapshot], None]) -> Callable[[], None]:
        """Call back with every new snapshot; returns an unsubscribe function."""

    def start(self) -> None:
        """Start producing snapshots in the background."""


class AllSmiApp(App[None]):
    """allsmi-py's terminal UI."""

    CSS_PATH = "app.tcss"
    TITLE = "allsmi-py"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("h,question_mark", "help", "Help"),
        Binding("T", "toggle_theme", "Theme", show=False),
    ]

    # A var, not a reactive: a reactive on the App repaints the whole screen on every set.
    snapshot: var[NodeSnapshot | None] = var(None, always_update=True, init=False)

    def __init__(self, source: SnapshotSource | None = None,
                 thresholds: AlertThresholds | None = None, theme: str = "dark",
                 screen_factory: Callable[[], Screen[None]] | None = None,
                 process_actions: ProcessSignaller | None = None,
                 simulated_backends: frozenset[str] = frozenset()) -> None:
        """`process_actions`: what signals the local view's processes (None: no actions);
        `simulated_backends`: those whose processes are not this host's (the mock)."""
        super().__init__()
        self.process_actions = process_actions
        self.simulated_backends = simulated_backends
        self.source = source
        self.thresholds = thresholds or AlertThresholds()
        self.alerts = AlertEngine(self.thresholds)
        self.history = History()
        self._theme_setting = theme
        self._screen_factory = screen_factory
        self._unsubscribe: Callable[[], None] | None = None

    def on_mount(self) -> None:
        """Open the screen, then start listening to the source."""
        self.theme = theme_name(self._theme_setting)
        if self._screen_factory is None:
            from allsmi_py.tui.screens.local import LocalScreen
            self.push_screen(LocalScreen(actions=self.process_actions is not None))
        else:
            self.push_screen(self._screen_factory())
        if self.source is not None:
            self._unsubscribe = self.source.subscribe(self._from_collector)
            self.source.start()

    def on_unmount(self) -> None:
        """Stop listening; the caller stops the collector."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _from_collector(self, snapshot: NodeSnapshot) -> None:
        # Runs on the collector thread: post and return, never wait for the UI.
        self.post_message(SnapshotUpdated(snapshot))

    def on_snapshot_updated(self, message: SnapshotUpdated) -> None:
        """Record history, evaluate alerts, then let the screens redraw."""
        snap = message.snapshot
        record_host(self.history, snap.host)
        record_devices(self.history, snap.devices)
        for event in self.alerts.update(snap.devices, snap.taken_at_s):
            self._toast(event)
        self.snapshot = snap

    def _toast(self, event: AlertEvent) -> None:
        """One alert transition as a toast (naming its node in the cluster view)."""
        self.notify(event.describe(),
                    title="Alert" if event.raised else "Alert cleared",
                    severity=toast_severity(event.level), timeout=TOAST_SECONDS)

    def alert_mark(self, uuid: str) -> tuple[str, str]:
        """(level, short note) for a device card's frame and subtitle."""
        rules = [(rule, level) for u, rule, level in self.alerts.active() if u == uuid]
        if not rules:
            return "ok", ""
        note = " ".join(f"⚠ {rule} {level}" for rule, level in rules)
        return self.alerts.level(uuid), note

    def action_help(self) -> None:
        """Open the help screen (or close it when open)."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen())

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, after the one that draws our named colours readably (issue 15)."""
        return [palette_filter(self.current_theme), *super().get_line_filters()]

    def action_toggle_theme(self) -> None:
        """Switch between the dark and the light theme."""
        self.theme = other_theme(self.theme)
