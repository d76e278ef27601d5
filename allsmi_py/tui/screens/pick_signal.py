"""A list of the signals a user sends most, to pick one for the selected process (`S`).

The pick goes on to the same confirmation as every other signal; any other signal is still
one `s` away, by name or number.
"""

from __future__ import annotations

import signal

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from allsmi_py.process_actions import SignalTarget

# (signal, what it asks of the process), in the order nvitop and htop users expect
CHOICES: tuple[tuple[signal.Signals, str], ...] = (
    (signal.SIGTERM, "ask it to end (what kill sends)"),
    (signal.SIGINT, "interrupt it, as Ctrl-C does"),
    (signal.SIGKILL, "end it at once: no clean-up"),
    (signal.SIGHUP, "hang up: many daemons reload on it"),
    (signal.SIGQUIT, "quit with a core dump"),
    (signal.SIGSTOP, "pause it"),
    (signal.SIGCONT, "resume it after a pause"),
    (signal.SIGUSR1, "user signal 1 (the program decides)"),
    (signal.SIGUSR2, "user signal 2 (the program decides)"),
)


class PickSignalScreen(ModalScreen[signal.Signals | None]):
    """The signals to choose from; dismisses with the one chosen, or None (Esc)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, target: SignalTarget) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        """One panel: the list, titled with the process."""
        with Vertical(id="pick-signal-panel"):
            yield OptionList(*(Option(f"{sig.name:<8} {int(sig):>2}  {meaning}", id=sig.name)
                               for sig, meaning in CHOICES), id="pick-signal-list")

    def on_mount(self) -> None:
        """Title the panel with the process it is for."""
        panel = self.query_one("#pick-signal-panel")
        panel.border_title = escape(f"signal to {self.target.describe()}")
        panel.border_subtitle = "↑↓ Enter: choose    Esc: cancel"

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter (or a click) on a signal: that one."""
        event.stop()
        self.dismiss(signal.Signals[str(event.option.id)])

    def action_cancel(self) -> None:
        """Close without a signal."""
        self.dismiss(None)
