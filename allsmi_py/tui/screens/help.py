"""The help screen: every key, and how to read the view."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, str], ...] = (
    ("q", "quit"),
    ("h  ?", "open or close this help"),
    ("Esc", "close help or the alert panel"),
    ("f", "processes: only those holding GPU memory / all"),
    ("g", "sort processes by GPU memory (again: reverse)"),
    ("u", "sort processes by GPU utilization"),
    ("c", "sort processes by CPU %"),
    ("m", "sort processes by host memory"),
    ("p", "sort processes by PID"),
    ("e", "sort processes by elapsed time"),
    ("n", "sort processes by user name"),
    ("click", "a column header sorts by it; clicking again reverses"),
    ("↑ ↓ PgUp PgDn", "move in the process table / scroll the devices"),
    ("Tab", "move focus between the device cards and the process table"),
    ("a  A", "show or hide the alert history"),
    ("T", "switch between dark and light theme"),
)

LEGEND = (
    "Gauges: green busy, orange above 60%, red above 80%. Temperatures turn orange 5 °C "
    "below the device's slowdown point and red 2 °C below shutdown (config [alerts] when the "
    "device does not say). A card with an orange or red frame has an alert; `a` lists them. "
    "N/A means the device does not report that value."
)


def help_text() -> Table:
    """The key table with the legend under it."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key, action in KEYS:
        table.add_row(key, action)
    table.add_row("", "")
    table.add_row("", Text(LEGEND))
    return table


class HelpScreen(ModalScreen[None]):
    """Keys and legend, over the current view."""

    BINDINGS = [
        Binding("escape,h,question_mark", "close", "Close help"),
        Binding("q", "app.quit", "Quit"),  # q quits from anywhere, as in all-smi
    ]

    def compose(self) -> ComposeResult:
        """One scrolling panel."""
        with VerticalScroll(id="help-panel"):
            yield Static(help_text(), id="help-text")

    def on_mount(self) -> None:
        """Title the panel."""
        self.query_one("#help-panel").border_title = "allsmi-py help"

    def action_close(self) -> None:
        """Back to the view."""
        self.dismiss(None)
