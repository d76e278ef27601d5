"""The top line: tool, host, time of the reading, runtime badge; the node's energy, version."""

from __future__ import annotations

import time

from rich.cells import cell_len

from allsmi_py.model import NodeSnapshot
from allsmi_py.remote.aggregate import node_energy_j
from allsmi_py.tui.energy import energy_words
from allsmi_py.tui.style import ACCENT, MUTED, RUNTIME_BADGE
from allsmi_py.tui.widgets.bars import Line, LineWidget, Span, cut_spans


def header_spans(snapshot: NodeSnapshot | None) -> tuple[list[Span], list[Span]]:
    """(left, right) parts of the header for a snapshot (or for 'waiting')."""
    left: list[Span] = [("allsmi-py", "")]
    if snapshot is None:
        return [(text, f"{ACCENT} {style}") for text, style in
                [*left, ("  reading this machine…", MUTED)]], []
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(snapshot.taken_at_s))
    left += [(f"  {snapshot.hostname}  ", ""), (stamp, MUTED)]
    runtime = snapshot.host.runtime_environment if snapshot.host else None
    if runtime:
        left += [("  ", ""), (f" {runtime} ", RUNTIME_BADGE)]
    count = len(snapshot.devices)
    # The left part is all bold, the right part all muted (each on top of its own style).
    right = [(f"{count} device{'s' if count != 1 else ''}  v{snapshot.version or '?'}", MUTED)]
    energy = node_energy_j(snapshot)  # the node's total: its devices and CPU (issue 18)
    if energy is not None:
        right.insert(0, (f"Energy {energy_words(energy)}  ", MUTED))
    return [(text, f"{ACCENT} {style}".strip()) for text, style in left], right


def header_line(snapshot: NodeSnapshot | None, width: int) -> Line:
    """Left part, then the right part flush with the right edge; the left is cut first."""
    left, right = header_spans(snapshot)
    right_len = sum(cell_len(text) for text, _ in right)
    left = cut_spans(left, max(0, width - right_len))
    left_len = sum(cell_len(text) for text, _ in left)
    return (*left, (" " * max(0, width - left_len - right_len), ""), *right)


class HeaderBar(LineWidget):
    """One line at the top of every screen."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._snapshot: NodeSnapshot | None = None

    def show(self, snapshot: NodeSnapshot) -> None:
        """Draw this snapshot."""
        self._snapshot = snapshot
        self.redraw()

    def build(self, width: int) -> list[Line]:
        """Left and right parts on one line."""
        return [header_line(self._snapshot, width)]
