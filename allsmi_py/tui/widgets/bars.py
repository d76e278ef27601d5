"""Text gauges and sparklines drawn as Rich Text: cheap, and the same in every terminal."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from allsmi_py.tui.style import MUTED, fill_colour

SPARK_CHARS = "▁▂▃▄▅▆▇█"
FULL = "█"
EMPTY = "░"


def gauge(pct: float | None, width: int, colour: str | None = None) -> Text:
    """A bar `width` cells wide filled to `pct` percent (empty and muted when unknown)."""
    if pct is None:
        return Text(EMPTY * width, style=MUTED)
    filled = round(max(0.0, min(100.0, pct)) / 100.0 * width)
    text = Text(FULL * filled, style=colour or fill_colour(pct))
    text.append(EMPTY * (width - filled), style=MUTED)
    return text


def sparkline(values: Sequence[float | None], width: int, low: float = 0.0,
              high: float = 100.0, colour: str | None = None) -> Text:
    """The last `width` values as block characters scaled low..high; gaps are blanks."""
    recent = list(values)[-width:]
    span = (high - low) or 1.0
    chars = []
    for value in recent:
        if value is None:
            chars.append(" ")
            continue
        ratio = max(0.0, min(1.0, (value - low) / span))
        chars.append(SPARK_CHARS[round(ratio * (len(SPARK_CHARS) - 1))])
    line = " " * (width - len(recent)) + "".join(chars)
    last = next((v for v in reversed(recent) if v is not None), None)
    return Text(line, style=colour or fill_colour(None if last is None else
                                                  100.0 * (last - low) / span))
