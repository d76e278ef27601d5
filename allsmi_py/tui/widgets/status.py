"""What the device area says when there is nothing to show, or a backend is in trouble."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

from allsmi_py.model import NodeSnapshot
from allsmi_py.tui.style import ACCENT, LEVEL_STYLE, MUTED

MOCK_HINT = "allsmi local --mock h100:8"


def status_text(snapshot: NodeSnapshot | None) -> Text | None:
    """The message for this snapshot, or None when every device reads fine."""
    if snapshot is None:
        return Text("Reading this machine's devices…", style=MUTED)
    troubled = [b for b in snapshot.backends if b.state in ("error", "lost")]
    if snapshot.devices:
        if not troubled:
            return None
        out = Text()
        for status in troubled:
            out.append(f"{status.name}: {status.state}", style=LEVEL_STYLE["warn"])
            out.append(f" — {status.message}\n")
        out.rstrip()
        return out
    out = Text("No GPU or NPU found on this machine.\n", style=ACCENT)
    out.append("Host metrics are still shown above. What each backend found:\n")
    for status in snapshot.backends:
        style = LEVEL_STYLE["warn"] if status.state in ("error", "lost") else MUTED
        out.append(f"  {status.name:<12}", style=ACCENT)
        out.append(f"{status.state:<12}", style=style)
        out.append(f"{status.message or '-'}\n")
    if not snapshot.backends:
        out.append("  (no backend is installed)\n", style=MUTED)
    out.append("\nTo try the interface with simulated devices, run: ")
    out.append(MOCK_HINT, style=ACCENT)
    out.append("  (allsmi --list-mock lists the profiles)")
    return out


class StatusPanel(Widget):
    """Explains an empty device list or a failing backend; hidden when all is well."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text: Text | None = status_text(None)

    def show(self, snapshot: NodeSnapshot | None) -> None:
        """Update from a snapshot; hides itself when there is nothing to say."""
        text = status_text(snapshot)
        if text == self._text:
            return  # unchanged: spare the terminal a relayout every tick
        self._text = text
        self.set_class(text is None, "-quiet")
        self.refresh(layout=True)

    @property
    def message(self) -> str:
        """The text shown, as plain text (empty when hidden)."""
        return "" if self._text is None else self._text.plain

    def render(self) -> RenderableType:
        """The message."""
        return self._text or Text("")
