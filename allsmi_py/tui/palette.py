"""Draws style.py's named colours in the theme's readable shades (`style.PALETTES`).

style.py names colours ("red", "grey50") so that code off the UI thread can style text without
Textual. This line filter runs before Textual's own (ANSI to truecolour, NO_COLOR's grey), so
every widget, Rich Text or line API, gets the shade chosen for the theme on screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter
from textual.theme import Theme

from allsmi_py.tui.style import DARK_THEME, LIGHT_THEME, PALETTES


class PaletteFilter(LineFilter):
    """Swaps the foreground of a segment whose colour is named in `palette`."""

    def __init__(self, palette: Mapping[str, str]) -> None:
        super().__init__()
        self._shades = {name: Style(color=RichColor.parse(shade))
                        for name, shade in palette.items()}
        self._swap = lru_cache(maxsize=1024)(self._swap_style)

    def _swap_style(self, style: Style) -> Style:
        colour = style.color
        shade = None if colour is None else self._shades.get(colour.name)
        return style if shade is None else style + shade

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        """The segments with their named colours swapped (background is not used)."""
        swap = self._swap
        return [Segment(text, None if style is None else swap(style), control)
                for text, style, control in segments]


_FILTERS = {theme: PaletteFilter(palette) for theme, palette in PALETTES.items()}


def palette_filter(theme: Theme) -> PaletteFilter:
    """The filter for this theme; another theme takes the dark or the light one."""
    return _FILTERS.get(theme.name) or _FILTERS[DARK_THEME if theme.dark else LIGHT_THEME]
