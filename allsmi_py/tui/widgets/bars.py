"""Gauges and sparklines as styled spans, and a widget drawn from such lines (line API).

A line is a tuple of spans, (text, Rich style string). Two frames compare as plain tuples,
so a `LineWidget` repaints only the lines that changed, and painting a line is one Strip with
no Rich layout pass: the local view redraws every 2 s and must stay under 2 % of a core.
`gauge` and `sparkline` also come as Rich Text for widgets that still render Text.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip

from allsmi_py.tui.style import MUTED, fill_colour
from allsmi_py.tui.widgets.kept_style import KeptStyle

SPARK_CHARS = "▁▂▃▄▅▆▇█"
FULL = "█"
EMPTY = "░"
ELLIPSIS = "…"

Span = tuple[str, str]
Line = tuple[Span, ...]


def gauge_spans(pct: float | None, width: int, colour: str | None = None) -> list[Span]:
    """A bar `width` cells wide filled to `pct` percent (empty and muted when unknown)."""
    if pct is None:
        return [(EMPTY * width, MUTED)]
    filled = round(max(0.0, min(100.0, pct)) / 100.0 * width)
    return [(FULL * filled, colour or fill_colour(pct)), (EMPTY * (width - filled), MUTED)]


def spark_span(values: Sequence[float | None], width: int, low: float = 0.0,
               high: float = 100.0, colour: str | None = None) -> Span:
    """The last `width` values as block characters scaled low..high; gaps are blanks."""
    recent = list(values)[-width:] if width > 0 else []
    span = (high - low) or 1.0
    top = len(SPARK_CHARS) - 1
    chars = []
    for value in recent:
        if value is None:
            chars.append(" ")
        else:
            chars.append(SPARK_CHARS[round(max(0.0, min(1.0, (value - low) / span)) * top)])
    line = " " * (width - len(recent)) + "".join(chars)
    last = next((v for v in reversed(recent) if v is not None), None)
    return line, colour or fill_colour(None if last is None else 100.0 * (last - low) / span)


def to_text(lines: Sequence[Sequence[Span]]) -> Text:
    """Lines of spans as one Rich Text (newline-separated)."""
    out = Text()
    for number, line in enumerate(lines):
        if number:
            out.append("\n")
        for text, style in line:
            out.append(text, style=style or None)
    return out


def gauge(pct: float | None, width: int, colour: str | None = None) -> Text:
    """`gauge_spans` as Rich Text."""
    return to_text([gauge_spans(pct, width, colour)])


def sparkline(values: Sequence[float | None], width: int, low: float = 0.0,
              high: float = 100.0, colour: str | None = None) -> Text:
    """`spark_span` as Rich Text."""
    return to_text([[spark_span(values, width, low, high, colour)]])


def cut_spans(spans: Sequence[Span], width: int) -> list[Span]:
    """Spans cut to `width` cells, ending in an ellipsis when something had to go."""
    if sum(cell_len(text) for text, _ in spans) <= width:
        return list(spans)
    out: list[Span] = []
    room = width - 1
    for text, style in spans:
        if room <= 0:
            break
        if cell_len(text) > room:
            text = set_cell_size(text, room)
        out.append((text, style))
        room -= cell_len(text)
    if width > 0:
        out.append((ELLIPSIS, out[-1][1] if out else ""))
    return out


@functools.lru_cache(maxsize=1024)
def span_style(base: Style, style: str) -> Style:
    """`style` (a Rich style string) on top of `base`; a line repeats a handful of them."""
    return base + Style.parse(style) if style else base


def line_strip(line: Line, width: int, base: Style) -> Strip:
    """One line as a Strip on `base`, cut to `width` cells with an ellipsis when too long."""
    strip = Strip([Segment(text, span_style(base, style)) for text, style in line if text])
    if strip.cell_length > width:
        strip = Strip.join([strip.crop(0, max(0, width - 1)),
                            Strip([Segment(ELLIPSIS, base)])]) if width else Strip([])
    return strip


class LineWidget(KeptStyle):
    """Draws the lines `build` returns; `redraw` repaints only the lines that changed."""

    def __init__(self, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines: list[Line] = []
        self._width = -1  # content width the lines were built for; -1: build on next paint

    def build(self, width: int) -> list[Line]:
        """The lines to show at this content width (from the data the widget holds)."""
        raise NotImplementedError

    @property
    def lines(self) -> list[Line]:
        """The lines shown (built now if they are out of date)."""
        width = self.content_size.width
        if width != self._width:
            self._lines, self._width = self.build(width), width
        return self._lines

    def line_count(self, width: int) -> int:
        """How many lines the widget has at this width (a layout pass asks on every key)."""
        return len(self._lines) if width == self._width else len(self.build(width))

    @property
    def plain(self) -> str:
        """What the widget shows, as plain text."""
        return "\n".join("".join(text for text, _ in line) for line in self.lines)

    def redraw(self) -> None:
        """Rebuild the lines from the widget's data and repaint the ones that differ."""
        width = self.content_size.width
        if width <= 0:
            self._width = -1  # not laid out yet: the first paint builds them
            self.refresh()
            return
        old, new = self._lines, self.build(width)
        self._lines = new
        if width != self._width or len(old) != len(new):
            self._width = width
            self.refresh()
            return
        changed = [Region(0, y, width, 1) for y, (a, b) in enumerate(zip(old, new, strict=True))
                   if a != b]
        if changed:
            self.refresh(*changed)

    def render_line(self, y: int) -> Strip:
        """Line y of the content."""
        lines = self.lines
        if y >= len(lines):
            return Strip([])
        return line_strip(lines[y], self.content_size.width, self.base_style)

    def on_resize(self) -> None:
        """Lines depend on the width: build them again."""
        self._width = -1
        self.refresh()
