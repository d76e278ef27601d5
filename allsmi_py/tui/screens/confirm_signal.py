"""The confirmation before a signal: names the pid, user, command and signal; y/Enter sends."""

from __future__ import annotations

import signal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from allsmi_py.process_actions import SignalTarget, printable

MAX_COMMAND_CHARS = 300  # a command line can be megabytes; the dialog shows its start


def confirm_text(target: SignalTarget, sig: signal.Signals) -> Text:
    """The question: which signal, to which pid, of which user, running what."""
    p = target.process
    command = printable(p.command or p.name or "?", MAX_COMMAND_CHARS)
    text = Text()
    text.append(f"Send {sig.name} ({int(sig)}) to pid {p.pid}?\n\n", style="bold")
    text.append(f"user     {printable(p.user or 'unknown', 64)}\n")
    text.append(f"command  {command}\n\n")
    text.append("y / Enter: send    n / Esc: cancel")
    return text


class ConfirmSignalScreen(ModalScreen[bool]):
    """Asks before a signal is sent; dismisses with True (send) or False (cancel)."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Send"),
        Binding("n,escape", "answer(False)", "Cancel"),
    ]

    def __init__(self, target: SignalTarget, sig: signal.Signals) -> None:
        super().__init__()
        self.target = target
        self.signal = sig

    def compose(self) -> ComposeResult:
        """One panel with the question."""
        with Vertical(id="confirm-signal-panel"):
            yield Static(confirm_text(self.target, self.signal), id="confirm-signal-text")

    def on_mount(self) -> None:
        """Title the panel with the signal."""
        self.query_one("#confirm-signal-panel").border_title = f"{self.signal.name}?"

    def action_answer(self, send: bool) -> None:
        """Close with the answer."""
        self.dismiss(send)
