"""A widget's Rich style looked up once, not on every line it paints.

`rich_style` walks every ancestor's styles (about 20 us); a line-API widget that asked on
every line of every frame spent an eighth of the local view's frame there (issue 17).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.style import Style
from textual.geometry import Region
from textual.widget import Widget

if TYPE_CHECKING:
    from typing_extensions import Self  # typing's own from Python 3.11


class KeptStyle(Widget):
    """Keeps `rich_style` as `base_style` until the widget's styles change (a class, the
    theme: Textual calls `notify_style_update`) or it is repainted whole."""

    _kept_style: Style | None = None

    @property
    def base_style(self) -> Style:
        """The widget's Rich style (background, colour, text style), as painted now."""
        style = self._kept_style
        if style is None:
            style = self._kept_style = self.rich_style
        return style

    def notify_style_update(self) -> None:
        """Styles changed: look the style up again on the next paint."""
        self._kept_style = None
        super().notify_style_update()

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Self:
        """A whole repaint looks the style up again; a repaint of some lines keeps it."""
        if not regions:
            self._kept_style = None
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
