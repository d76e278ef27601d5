"""The top line: tool, host, time of the reading, runtime badge, version."""

from __future__ import annotations

import time

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.widget import Widget

from allsmi_py.model import NodeSnapshot
from allsmi_py.tui.style import ACCENT, MUTED, RUNTIME_BADGE


def header_text(snapshot: NodeSnapshot | None) -> tuple[Text, Text]:
    """(left, right) parts of the header for a snapshot (or for 'waiting')."""
    left = Text("allsmi-py", style=ACCENT)
    if snapshot is None:
        left.append("  reading this machine…", style=MUTED)
        return left, Text("")
    left.append(f"  {snapshot.hostname}  ")
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(snapshot.taken_at_s))
    left.append(stamp, style=MUTED)
    runtime = snapshot.host.runtime_environment if snapshot.host else None
    if runtime:
        left.append("  ")
        left.append(f" {runtime} ", style=RUNTIME_BADGE)
    count = len(snapshot.devices)
    right = Text(f"{count} device{'s' if count != 1 else ''}  ", style=MUTED)
    right.append(f"v{snapshot.version or '?'}")
    return left, right


class HeaderBar(Widget):
    """One line at the top of every screen."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._snapshot: NodeSnapshot | None = None

    def show(self, snapshot: NodeSnapshot) -> None:
        """Draw this snapshot."""
        self._snapshot = snapshot
        self.refresh()

    def render(self) -> RenderableType:
        """Left and right parts on one line."""
        left, right = header_text(self._snapshot)
        grid = Table.grid(expand=True)
        grid.add_column(no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        grid.add_row(left, right)
        return grid
