"""What every monitoring screen shares: the minimum-size notice."""

from __future__ import annotations

from textual import events
from textual.screen import Screen
from textual.widgets import Static

MIN_WIDTH = 60
MIN_HEIGHT = 16


def too_small_text(width: int, height: int) -> str:
    """The notice shown instead of the view when the terminal is too small."""
    return (f"Terminal too small: {width}x{height}.\n"
            f"allsmi needs at least {MIN_WIDTH}x{MIN_HEIGHT} (80x24 or more is best).\n"
            "Enlarge the window, or press q to quit.")


class MonitorScreen(Screen[None]):
    """A screen whose content (in `#main`) gives way to a notice below MIN_WIDTH x MIN_HEIGHT."""

    def too_small_notice(self) -> Static:
        """The (hidden until needed) notice widget; put it in compose()."""
        return Static("", id="too-small")

    def on_resize(self, event: events.Resize) -> None:
        """Swap the view for the notice when the terminal gets too small, and back."""
        width, height = event.size.width, event.size.height
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        self.set_class(small, "-too-small")
        if small:
            self.query_one("#too-small", Static).update(too_small_text(width, height))
