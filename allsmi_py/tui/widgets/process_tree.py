"""The process table's tree view: rows ordered parent before children, with tree glyphs.

Parents come from `ProcessReading.ppid`. A row whose parent is not in the table is a root.
Siblings keep the order they arrive in (the table's sort). A cycle of ppids (a corrupt or
hostile reading) cannot hide rows: what no root reaches is drawn from its first row in sort
order, as a root, so every row is drawn exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from allsmi_py.model import ProcessReading

MAX_DRAWN_DEPTH = 12  # deeper rows are drawn at this depth after a "…" (a chain stays readable)
BRANCH, LAST, PIPE, BLANK = "├─ ", "└─ ", "│  ", "   "
DEEPER = "… "


class HasProcess(Protocol):
    """A table row: what the tree needs of it."""

    @property
    def process(self) -> ProcessReading:
        """The process the row shows."""


RowT = TypeVar("RowT", bound=HasProcess)


def tree_order(rows: Sequence[RowT]) -> list[tuple[RowT, str]]:
    """`rows` parent first, each with the glyphs to draw before its command."""
    first_row_of: dict[int, int] = {}
    for position, row in enumerate(rows):
        first_row_of.setdefault(row.process.pid, position)
    children: dict[int, list[int]] = {}
    roots: list[int] = []
    for position, row in enumerate(rows):
        ppid = row.process.ppid
        parent = first_row_of.get(ppid) if ppid is not None else None
        if parent is None or parent == position:
            roots.append(position)
        else:
            children.setdefault(parent, []).append(position)
    out: list[tuple[RowT, str]] = []
    drawn = [False] * len(rows)
    for start in [*roots, *range(len(rows))]:
        if not drawn[start]:
            _walk(rows, start, children, drawn, out)
    return out


def _walk(rows: Sequence[RowT], start: int, children: dict[int, list[int]],
          drawn: list[bool], out: list[tuple[RowT, str]]) -> None:
    """Depth-first from `start`, without recursion (a chain can be as long as the table)."""
    # (row, glyphs of the ancestors' columns, is it the last of its siblings, depth)
    stack: list[tuple[int, str, bool | None, int]] = [(start, "", None, 0)]
    while stack:
        position, above, last, depth = stack.pop()
        if drawn[position]:
            continue
        drawn[position] = True
        if last is None:
            glyphs, below = "", ""
        elif depth > MAX_DRAWN_DEPTH:
            glyphs, below = above + DEEPER, above
        else:
            glyphs = above + (LAST if last else BRANCH)
            below = above + (BLANK if last else PIPE)
        out.append((rows[position], glyphs))
        kids = [k for k in children.get(position, ()) if not drawn[k]]
        for number in reversed(range(len(kids))):
            stack.append((kids[number], below, number == len(kids) - 1, depth + 1))
