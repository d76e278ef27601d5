"""A virtual table on Textual's line API: it draws only the rows on screen, from a row list.

Replacing the rows is O(1) for the widget (a reference swap and a repaint of the visible
lines), so 8192 rows cost what 40 do; a DataTable of that size costs 230 ms per update.

On a terminal narrower than COMPACT_BELOW columns a table shows its compact columns (each
Column says whether it stays and how wide), so at 80x24 nothing that matters is cut (issue
15); ←/→ scroll a table that is still wider than its box.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.actions import SkipAction
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from allsmi_py.tui.style import HEADER
from allsmi_py.tui.widgets.bars import span_style
from allsmi_py.tui.widgets.kept_style import KeptStyle

RowT = TypeVar("RowT")
HEADER_STYLE = Style.parse(HEADER)
CURSOR_STYLE = Style(reverse=True)
Cell = tuple[str, str]  # (text, rich style)
COMPACT_BELOW = 100  # terminal columns
SCROLL_STEP = 8  # cells per ←/→


@dataclass(frozen=True, slots=True)
class Column:
    """A column: title, width in cells, right-aligned or not."""

    title: str
    width: int
    right: bool = False
    compact_width: int | None = None  # its width in the compact layout; 0: left out there

    def in_layout(self, compact: bool) -> Column | None:
        """This column as the layout shows it: narrower or left out when compact."""
        if not compact or self.compact_width is None:
            return self
        return Column(self.title, self.compact_width, self.right) if self.compact_width else None


def fit(text: str, column: Column) -> str:
    """`text` cut or padded to the column's width (one cell of gap after it)."""
    width = column.width
    if len(text) > width:
        text = text[: width - 1] + "…" if width > 1 else text[:width]
    return (text.rjust(width) if column.right else text.ljust(width)) + " "


class LineTable(ScrollView, KeptStyle, Generic[RowT], can_focus=True):
    """Header on the first line, then rows; a cursor row; Enter chooses it."""

    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "PgUp", show=False),
        Binding("pagedown", "page(1)", "PgDn", show=False),
        Binding("home", "move(-1000000000)", "Top", show=False),
        Binding("end", "move(1000000000)", "End", show=False),
        Binding("enter", "choose", "Open", show=False),
        Binding("left", "scroll_columns(-1)", "Left", show=False),
        Binding("right", "scroll_columns(1)", "Right", show=False),
    ]
    COLUMNS: tuple[Column, ...] = ()

    class Chosen(Message):
        """Enter (or a click) on a row."""

        def __init__(self, table: LineTable[object], index: int) -> None:
            super().__init__()
            self.table = table
            self.index = index

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: Sequence[RowT] = ()
        self.cursor = 0
        self.compact = False
        # viewport line -> what render_line drew there: set_rows repaints only lines that differ
        self._drawn: dict[int, tuple[object, ...]] = {}
        # viewport line -> the row and cells set_rows made for it, for render_line to reuse
        self._made: dict[int, tuple[RowT, list[Cell]]] = {}
        self._layout(compact=False)

    def _layout(self, compact: bool) -> None:
        self.compact = compact
        # (position in cells(), column as shown) for every column the layout keeps
        self.shown_columns: list[tuple[int, Column]] = [
            (i, shown) for i, c in enumerate(self.COLUMNS)
            if (shown := c.in_layout(compact)) is not None]
        self._row_width = sum(c.width + 1 for _, c in self.shown_columns)
        self._header = "".join(fit(c.title, c) for _, c in self.shown_columns)

    def on_resize(self) -> None:
        """Take the compact layout on a narrow terminal, the full one otherwise."""
        compact = self.app.size.width < COMPACT_BELOW
        if compact != self.compact:
            self._layout(compact)
            self.virtual_size = Size(self._row_width, len(self.rows) + 1)
            self.refresh()

    def cells(self, row: RowT) -> list[Cell]:
        """The cells of one row, one per column."""
        raise NotImplementedError

    def set_rows(self, rows: Sequence[RowT]) -> None:
        """Show these rows (kept by reference); only the visible lines are drawn."""
        self.rows = rows
        self.cursor = max(0, min(self.cursor, len(rows) - 1))
        size = Size(self._row_width, len(rows) + 1)
        if size != self.virtual_size or not self._drawn:
            self._resize_rows(size)
            self.refresh()
            return
        # The header line is always repainted: a subclass may draw it from its own state.
        width = max(self.virtual_size.width, self.size.width)
        self._made.clear()
        self.refresh(Region(0, 0, width, 1),
                     *(Region(0, y, width, 1) for y in range(1, self.size.height)
                       if self._drawn.get(y) != self._line_key(y)))

    def _resize_rows(self, size: Size) -> None:
        """A new virtual size, laying the screen out again only when that can change it.

        Setting `virtual_size` lays the whole screen out again (milliseconds with eight device
        cards), yet a table whose height does not follow its rows needs only its scrollbars
        updated when just the row count changed (the local view's process table, every few
        ticks); a scrollbar that appears or goes still asks for a layout itself.
        """
        height = self.styles.height
        follows_rows = height is None or height.is_auto
        if self._drawn and size.width == self.virtual_size.width and not follows_rows:
            self.set_reactive(ScrollView.virtual_size, size)
            self._scroll_update(size)
        else:
            self.virtual_size = size

    def _line_key(self, y: int) -> tuple[object, ...]:
        """What decides how viewport line y (a row) looks: its cells, cursor, scroll, width."""
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y - 1
        if index >= len(self.rows):
            return (scroll_x, self.size.width)
        row = self.rows[index]
        cells = self.cells(row)
        self._made[y] = (row, cells)
        return (scroll_x, self.size.width, self.has_focus and index == self.cursor, tuple(cells))

    def _cells_at(self, y: int, row: RowT) -> list[Cell]:
        """The cells of `row` on viewport line y: those set_rows made, else made now."""
        made = self._made.pop(y, None)
        return made[1] if made is not None and made[0] is row else self.cells(row)

    @property
    def current(self) -> RowT | None:
        """The row under the cursor, if any."""
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def visible_rows(self) -> list[RowT]:
        """The rows on screen now, top to bottom."""
        top = int(self.scroll_y)
        return list(self.rows[top: top + max(0, self.size.height - 1)])

    def render_line(self, y: int) -> Strip:
        """Line y of the viewport: the header, or the row scrolled to it."""
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.base_style
        if y == 0:
            strip = Strip([Segment(self._header, base + HEADER_STYLE)])
        else:
            index = scroll_y + y - 1
            if index >= len(self.rows):
                self._drawn[y] = (scroll_x, width)
                return Strip.blank(width, base)
            cursor = self.has_focus and index == self.cursor
            row_base = base + CURSOR_STYLE if cursor else base
            cells = self._cells_at(y, self.rows[index])
            self._drawn[y] = (scroll_x, width, cursor, tuple(cells))
            segments = [Segment(fit(cells[position][0], column),
                                span_style(row_base, cells[position][1]))
                        for position, column in self.shown_columns]
            strip = Strip(segments)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def action_move(self, delta: int) -> None:
        """Move the cursor by `delta` rows and keep it on screen."""
        if not self.rows:
            return
        self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))
        page = max(1, self.size.height - 1)
        if self.cursor < self.scroll_y:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= self.scroll_y + page:
            self.scroll_to(y=self.cursor - page + 1, animate=False)
        self.refresh()

    def action_scroll_columns(self, direction: int) -> None:
        """Scroll a table wider than its box sideways (the header goes along)."""
        if self.max_scroll_x <= 0:
            raise SkipAction()  # the key goes on to the screen
        self.scroll_to(x=max(0, min(self.max_scroll_x, int(self.scroll_x)
                                    + direction * SCROLL_STEP)), animate=False)

    def action_page(self, direction: int) -> None:
        """Move the cursor one screen up or down."""
        self.action_move(direction * max(1, self.size.height - 1))

    def action_choose(self) -> None:
        """Tell the screen which row was chosen."""
        if self.rows:
            self.post_message(self.Chosen(self, self.cursor))  # type: ignore[arg-type]

    def on_click(self, event: events.Click) -> None:
        """A click on a row moves the cursor there; a double click chooses it."""
        index = int(self.scroll_y) + event.y - 1
        if event.y >= 1 and 0 <= index < len(self.rows):
            self.cursor = index
            self.refresh()
            if event.chain >= 2:
                self.action_choose()

    def on_focus(self) -> None:
        """Show the cursor."""
        self.refresh()

    def on_blur(self) -> None:
        """Hide the cursor."""
        self.refresh()
