"""The alert history panel: the latest transitions, newest first."""

from __future__ import annotations

import time
from collections.abc import Iterable

from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

from allsmi_py.alerts import AlertEvent
from allsmi_py.tui.style import LEVEL_STYLE, MUTED


def history_text(events: Iterable[AlertEvent]) -> Text:
    """One line per alert transition, newest first."""
    items = list(events)
    if not items:
        return Text("No alerts so far. Thresholds come from the [alerts] section of the config.",
                    style=MUTED)
    out = Text()
    for event in reversed(items):
        stamp = time.strftime("%H:%M:%S", time.localtime(event.at_s))
        out.append(f"{stamp}  ", style=MUTED)
        out.append(f"{event.level.upper():<8}", style=LEVEL_STYLE[event.level])
        out.append(event.describe() + "\n")
    out.rstrip()
    return out


class AlertPanel(Widget):
    """Alert history (toggled with `a`)."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._events: list[AlertEvent] = []

    def show(self, events: Iterable[AlertEvent]) -> None:
        """Draw these events."""
        events = list(events)
        if events != self._events:
            self._events = events
            self.refresh(layout=True)

    @property
    def message(self) -> str:
        """The text shown, as plain text."""
        return history_text(self._events).plain

    def render(self) -> RenderableType:
        """The history."""
        return history_text(self._events)
