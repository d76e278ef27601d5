"""`allsmi replay FILE` in the TUI: the local or the cluster app, fed from a recording.

The apps are the live ones with no source: a `ReplayDriver` decodes the frame under the
playhead on a worker thread and posts it as the collector or the poller would
(SnapshotUpdated, ClusterUpdated), so everything drawn is drawn by the live code. A timer
of the app moves the playhead; the keys (REPLAY_BINDINGS) pause, step, change speed, seek
and jump to a time, and the position bar under the screen shows where the playhead is.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Footer, Input, Label
from textual.worker import get_current_worker

from allsmi_py.alerts import AlertThresholds
from allsmi_py.model import ClusterSnapshot, NodeSnapshot
from allsmi_py.recording.format import DamagedRecord
from allsmi_py.recording.player import SEEK_STEP_S, Playhead
from allsmi_py.recording.reader import Recording, Snapshot
from allsmi_py.recording.timespec import parse_time
from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.cluster_app import ClusterApp
from allsmi_py.tui.history import History
from allsmi_py.tui.messages import ClusterUpdated, SnapshotUpdated
from allsmi_py.tui.widgets.replay_bar import ReplayBar

REPLAY_BINDINGS: list[Binding | tuple[str, str] | tuple[str, str, str]] = [
    Binding("space", "replay_pause", "Pause"),
    Binding("full_stop", "replay_step(1)", "Step"),
    Binding("comma", "replay_step(-1)", "Step back", show=False),
    Binding("1", "replay_speed(1)", "x1", show=False),
    Binding("2", "replay_speed(2)", "x2", show=False),
    Binding("3", "replay_speed(10)", "x10", show=False),
    Binding("less_than_sign", f"replay_seek({-SEEK_STEP_S})", "-1 min", show=False),
    Binding("greater_than_sign", f"replay_seek({SEEK_STEP_S})", "+1 min", show=False),
    Binding("j", "replay_go_to", "Go to"),
]


class ReplayDriver:
    """Moves the playhead on the app's timer and posts the frame under it."""

    def __init__(self, app: AllSmiApp, recording: Recording, start: int,
                 post: Callable[[Snapshot], None]) -> None:
        self.app = app
        self.recording = recording
        self.playhead = Playhead(recording.times)
        self.playhead.index = min(max(start, 0), self.playhead.last)
        self.bar = ReplayBar(self.playhead)
        self._post = post
        self._timer: Timer | None = None
        self._shown: int | None = None  # the index last loaded

    def start(self) -> None:
        """Put the bar on the screen (above its footer), show the first frame, play."""
        screen = self.app.screen
        footers = screen.query(Footer)
        screen.mount(self.bar, before=footers.first() if footers else None)
        self.moved()

    def moved(self) -> None:
        """The playhead moved: load the frame, redraw, reschedule.

        After a jump (anything but the next frame) the sparklines start afresh: a history
        that mixed the hour before and the hour after would draw a time that never was.
        """
        index = self.playhead.index
        if self._shown is not None and index != self._shown + 1:
            self.app.history = History(self.app.history.length)
        self._shown = index
        self.load(index)
        self.changed()

    def changed(self) -> None:
        """Redraw the bar and set the timer for the next frame (none when paused)."""
        self.bar.show()
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        delay = self.playhead.delay_to_next_s()
        if delay is not None:
            self._timer = self.app.set_timer(delay, self._next)

    def _next(self) -> None:
        self._timer = None
        if self.playhead.advance():
            self.moved()

    def load(self, index: int) -> None:
        """Decode frame `index` off the UI thread and post it (a newer load supersedes it)."""
        self.app.run_worker(lambda: self._load(index), thread=True, group="replay-load",
                            exclusive=True)

    def _load(self, index: int) -> None:
        try:
            snapshot = self.recording.snapshot(index)
        except DamagedRecord as exc:
            self.app.call_from_thread(self.app.notify, f"{exc} (skipped)", severity="warning")
            return
        if not get_current_worker().is_cancelled:
            self._post(snapshot)

    def toggle_pause(self) -> None:
        """space: pause, or play on."""
        moved = self.playhead.paused and self.playhead.at_end
        self.playhead.toggle_pause()
        self.moved() if moved else self.changed()

    def step(self, frames: int) -> None:
        """. and ,: pause and show the next (or previous) frame."""
        self.playhead.step(frames)
        self.moved()

    def speed(self, speed: int) -> None:
        """1, 2, 3: play at x1, x2, x10."""
        self.playhead.set_speed(speed)
        self.changed()

    def seek(self, seconds: float) -> None:
        """< and >: a minute of recorded time back or forward."""
        self.playhead.seek(seconds)
        self.moved()

    def go_to(self, text: str) -> None:
        """j: show the frame at a time typed as --at takes it."""
        try:
            time_s = parse_time(text, self.recording.times[0])
        except ValueError as exc:
            self.app.notify(str(exc), severity="error")
            return
        self.playhead.go_to(time_s)
        self.moved()


class GoToScreen(ModalScreen[str | None]):
    """Asks for a time: 05:00, 2026-12-04T05:00, +30m or a Unix time."""

    DEFAULT_CSS = """
    GoToScreen { align: center middle; }
    GoToScreen > Vertical { width: 60; height: auto; border: round $accent; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        """A label and the input."""
        with Vertical():
            yield Label("Go to (05:00, 2026-12-04T05:00, +30m; after the first frame):")
            yield Input(id="replay-time", max_length=64)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Hand the text back."""
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        """Close without moving."""
        self.dismiss(None)


class _ReplayKeys:
    """The actions of REPLAY_BINDINGS, for an app with a `replay` driver."""

    replay: ReplayDriver

    def action_replay_pause(self) -> None:
        """Pause or play on."""
        self.replay.toggle_pause()

    def action_replay_step(self, frames: int) -> None:
        """Step by frames."""
        self.replay.step(frames)

    def action_replay_speed(self, speed: int) -> None:
        """Set the speed."""
        self.replay.speed(speed)

    def action_replay_seek(self, seconds: float) -> None:
        """Seek by seconds."""
        self.replay.seek(seconds)

    def action_replay_go_to(self) -> None:
        """Ask for a time, then go there."""
        app = self.replay.app

        def chosen(text: str | None) -> None:
            if text:
                self.replay.go_to(text)

        app.push_screen(GoToScreen(), chosen)


class LocalReplayApp(_ReplayKeys, AllSmiApp):
    """The local TUI over a recording of one node."""

    BINDINGS = REPLAY_BINDINGS

    def __init__(self, recording: Recording, start: int = 0,
                 thresholds: AlertThresholds | None = None, theme: str = "dark") -> None:
        super().__init__(None, thresholds, theme)
        self.replay = ReplayDriver(self, recording, start, self._post_frame)

    def _post_frame(self, snapshot: Snapshot) -> None:
        assert isinstance(snapshot, NodeSnapshot)  # the recording's kind is "local"
        self.post_message(SnapshotUpdated(snapshot))

    def on_mount(self) -> None:
        """Start once AllSmiApp.on_mount (called after this one) has opened the screen."""
        self.call_after_refresh(self.replay.start)


class ClusterReplayApp(_ReplayKeys, ClusterApp):
    """The cluster TUI over a recording of a cluster."""

    BINDINGS = REPLAY_BINDINGS

    def __init__(self, recording: Recording, start: int = 0, label: str = "",
                 thresholds: AlertThresholds | None = None, theme: str = "dark") -> None:
        super().__init__(None, interval_s=recording.header.interval_s,
                         label=f"replay {label}", thresholds=thresholds, theme=theme)
        self.replay = ReplayDriver(self, recording, start, self._post_frame)

    def _post_frame(self, cluster: Snapshot) -> None:
        assert isinstance(cluster, ClusterSnapshot)  # the recording's kind is "cluster"
        self.post_message(ClusterUpdated(cluster))

    def on_mount(self) -> None:
        """Start once the app's own on_mount handlers have opened the screen."""
        self.call_after_refresh(self.replay.start)


def replay_app(recording: Recording, start: int = 0, label: str = "",
               thresholds: AlertThresholds | None = None, theme: str = "dark") -> App[None]:
    """The app for the recording's kind, starting at frame `start`."""
    if recording.header.kind == "local":
        return LocalReplayApp(recording, start, thresholds, theme)
    return ClusterReplayApp(recording, start, label, thresholds, theme)
