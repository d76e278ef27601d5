"""The replay's position bar: playing or paused, speed, frame time, a track, frame count."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from allsmi_py.recording.player import Playhead
from allsmi_py.recording.timespec import format_time

MIN_TRACK = 10


def bar_text(playhead: Playhead, width: int) -> Text:
    """One line: '▶ x2  2026-12-04 02:20:00 ━━━━●──── 03:20:00  frame 12/360'."""
    state = "⏸ paused" if playhead.paused else ("■ end" if playhead.at_end else "▶ playing")
    left = f" {state} x{playhead.speed}  {format_time(playhead.time_s)} "
    right = f" {format_time(playhead.times[-1])[11:]}  frame {playhead.index + 1}/" \
            f"{len(playhead.times)} "
    track = max(MIN_TRACK, width - len(left) - len(right))
    done = round(playhead.fraction * (track - 1))
    text = Text(left, style="bold")
    text.append("━" * done, style="bold")
    text.append("●", style="bold")
    text.append("─" * (track - 1 - done), style="dim")
    text.append(right)
    return text


class ReplayBar(Widget):
    """Draws the playhead it is given; `show` after every move."""

    DEFAULT_CSS = """
    ReplayBar {
        height: 1;
        background: $primary-background;
    }
    """

    def __init__(self, playhead: Playhead) -> None:
        super().__init__(id="replay-bar")
        self.playhead = playhead

    def show(self) -> None:
        """Redraw after the playhead moved, paused or changed speed."""
        self.refresh()

    def render(self) -> Text:
        """The bar at this widget's width."""
        return bar_text(self.playhead, self.size.width)
