"""One cell per node, coloured by utilization, on the line API: 1000+ nodes in a few lines."""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from allsmi_py.model import ClusterNode
from allsmi_py.tui.cluster_model import GridCell, node_cell
from allsmi_py.tui.cluster_rows import node_name

# Two cells per node while that keeps the grid within this many lines; then one.
ROOMY_LINES = 4
Cell = GridCell


class NodeGrid(ScrollView, can_focus=True):
    """The node grid: arrows move the cursor, Enter or a click picks a node."""

    BINDINGS = [
        Binding("left", "move(-1)", show=False), Binding("right", "move(1)", show=False),
        Binding("up", "move_line(-1)", show=False), Binding("down", "move_line(1)", show=False),
        Binding("enter", "pick", "Node detail", show=False),
    ]

    class Picked(Message):
        """A node was picked (position in the ClusterSnapshot)."""

        def __init__(self, position: int) -> None:
            super().__init__()
            self.position = position

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.nodes: Sequence[ClusterNode] = ()
        self._cells: Sequence[Cell] = ()
        self.cursor = 0
        self._styles: dict[str, Style] = {}  # a cell style (or cursor + style) over the base
        self._styles_base: Style | None = None

    def show(self, nodes: Sequence[ClusterNode], cells: Sequence[Cell] | None = None) -> None:
        """Draw these nodes, with their cells when derived already (else computed here)."""
        self.nodes = nodes
        self._cells = cells if cells is not None else [node_cell(n) for n in nodes]
        self.cursor = max(0, min(self.cursor, len(nodes) - 1))
        self._resize_virtual()
        self.refresh()

    @property
    def cell_width(self) -> int:
        """Cells per node: 2 (glyph and gap) while the grid is short, else 1."""
        width = max(1, self.size.width)
        return 2 if len(self._cells) <= (width // 2) * ROOMY_LINES else 1

    @property
    def per_line(self) -> int:
        """Nodes on one line."""
        return max(1, self.size.width // self.cell_width)

    def _resize_virtual(self) -> None:
        lines = -(-len(self._cells) // self.per_line) if self._cells else 1
        self.virtual_size = Size(self.size.width, lines)

    def on_resize(self, event: events.Resize) -> None:
        """Re-flow the cells for the new width."""
        self._resize_virtual()

    def render_line(self, y: int) -> Strip:
        """One line of cells: one segment per run of cells of the same colour.

        At 1024 nodes a segment per cell cost the UI ~14 ms a round (every segment goes
        through each line filter); runs of one colour are a few dozen segments a line.
        """
        base = self.rich_style
        styles = self._styles
        if self._styles_base != base:
            styles.clear()
            self._styles_base = base
        per_line, cw = self.per_line, self.cell_width
        start = (int(self.scroll_y) + y) * per_line
        end = min(start + per_line, len(self._cells))
        cursor = self.cursor if self.has_focus else -1
        pad = " " * (cw - 1)
        segments = []
        run: list[str] = []
        run_key: str | None = None
        for pos in range(start, end):
            cell = self._cells[pos]
            key = cell.style if pos != cursor else "\0cursor " + cell.style
            if key != run_key and run:
                segments.append(Segment("".join(run), self._style(run_key, base)))
                run = []
            run_key = key
            run.append(cell.glyph + pad)
        if run:
            segments.append(Segment("".join(run), self._style(run_key, base)))
        return Strip(segments).extend_cell_length(self.size.width, base)

    def _style(self, key: str | None, base: Style) -> Style:
        style = self._styles.get(key or "")
        if style is None:
            text = key or ""
            cursor = text.startswith("\0cursor ")
            style = base + Style.parse(text.removeprefix("\0cursor "))
            if cursor:
                style += Style(reverse=True)
            self._styles[key or ""] = style
        return style

    def action_move(self, delta: int) -> None:
        """Move the cursor along the grid."""
        if not self._cells:
            return
        self.cursor = max(0, min(len(self._cells) - 1, self.cursor + delta))
        line = self.cursor // self.per_line
        self.scroll_to_region_line(line)
        self.refresh()

    def action_move_line(self, delta: int) -> None:
        """Move the cursor one line up or down."""
        self.action_move(delta * self.per_line)

    def scroll_to_region_line(self, line: int) -> None:
        """Scroll so that grid line `line` is visible."""
        if line < self.scroll_y:
            self.scroll_to(y=line, animate=False)
        elif line >= self.scroll_y + self.size.height:
            self.scroll_to(y=line - self.size.height + 1, animate=False)

    def action_pick(self) -> None:
        """Open the node under the cursor."""
        if self._cells:
            self.post_message(self.Picked(self.cursor))

    def on_click(self, event: events.Click) -> None:
        """A click picks the node under the pointer."""
        pos = (int(self.scroll_y) + event.y) * self.per_line + event.x // self.cell_width
        if 0 <= pos < len(self._cells) and event.x < self.per_line * self.cell_width:
            self.cursor = pos
            self.refresh()
            self.action_pick()

    def tooltip_for(self, pos: int) -> str:
        """The name of the node at a position (for the status line)."""
        return node_name(self.nodes[pos]) if 0 <= pos < len(self.nodes) else ""

    def on_focus(self) -> None:
        """Show the cursor."""
        self.refresh()

    def on_blur(self) -> None:
        """Hide the cursor."""
        self.refresh()
