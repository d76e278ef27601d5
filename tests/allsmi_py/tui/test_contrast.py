"""Text on a device card reads at WCAG AA (4.5:1) in every theme, in colour and under NO_COLOR.

The rendered path: the real app under the pilot, NO_COLOR set the way a user sets it (Textual
reads it when the app is built), and the colours of the segments the compositor would send to
the terminal, after Textual's own filters (ANSI to truecolour, monochrome for NO_COLOR).
"""

from __future__ import annotations

import pytest
from textual.color import Color

from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.messages import SnapshotUpdated
from allsmi_py.tui.style import DARK_THEME, LIGHT_THEME, PALETTES
from allsmi_py.tui.widgets.devices import DeviceCard
from tests.allsmi_py.tui.factories import device, snapshot

AA_TEXT = 4.5
BOX_DRAWING = range(0x2500, 0x2580)  # card borders: lines, not text


def _channel(value: int) -> float:
    srgb = value / 255
    return srgb / 12.92 if srgb <= 0.04045 else ((srgb + 0.055) / 1.055) ** 2.4


def luminance(colour: Color) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    return (0.2126 * _channel(colour.r) + 0.7152 * _channel(colour.g)
            + 0.0722 * _channel(colour.b))


def contrast(a: Color, b: Color) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_matches_wcag_reference_values() -> None:
    black, white = Color.parse("#000000"), Color.parse("#ffffff")
    assert contrast(black, white) == pytest.approx(21.0)
    assert contrast(Color.parse("#767676"), white) == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("theme", [DARK_THEME, LIGHT_THEME])
def test_every_palette_colour_reads_on_its_theme_background_in_colour_and_grey(
        theme: str) -> None:
    background = Color.parse({DARK_THEME: "#121212", LIGHT_THEME: "#e0e0e0"}[theme])
    for name, shade in PALETTES[theme].items():
        colour = Color.parse(shade)
        assert contrast(colour, background) >= AA_TEXT, (theme, name)
        assert contrast(colour.monochrome, background.monochrome) >= AA_TEXT, (theme, name)


# Every rung of the ladders: idle, ok, busy, full; temperature ok, warn, critical; N/A; lost.
BUSY_AND_IDLE = (
    device(0, utilization_pct=95.0, power_w=290.0, temperature_c=60.0),
    device(1, utilization_pct=70.0, power_w=200.0, temperature_c=87.0),
    device(2, utilization_pct=40.0, power_w=100.0, temperature_c=95.0),
    device(3, utilization_pct=10.0, power_w=20.0, temperature_c=None, fan_pct=None),
    device(4, utilization_pct=None, power_w=None, memory_used_bytes=None),
    device(5, state="lost", problems=("fell off the bus",)),
)


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
@pytest.mark.parametrize("setting", ["dark", "light"])
async def test_device_card_text_meets_aa_contrast(
        monkeypatch: pytest.MonkeyPatch, setting: str, no_color: bool) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    app = AllSmiApp(theme=setting)
    failures: dict[tuple[str, str], float] = {}
    async with app.run_test(size=(120, 50)) as pilot:
        app.post_message(SnapshotUpdated(snapshot(*BUSY_AND_IDLE)))
        await pilot.pause()
        await pilot.pause()
        strips = app.screen._compositor.render_strips()
        cards = list(app.screen.query(DeviceCard))
        assert len(cards) == len(BUSY_AND_IDLE)
        for card in cards:
            region = card.region
            for y in range(region.y, region.bottom):
                for seg in strips[y].crop(region.x, region.right):
                    text = "".join(ch for ch in seg.text if ord(ch) not in BOX_DRAWING)
                    if not text.strip() or seg.style is None:
                        continue
                    assert seg.style.color is not None and seg.style.bgcolor is not None
                    fore = Color.from_rich_color(seg.style.color)
                    back = Color.from_rich_color(seg.style.bgcolor)
                    ratio = contrast(fore, back)
                    if ratio < AA_TEXT:
                        failures[(text.strip()[:16], str(seg.style))] = round(ratio, 2)
    assert not failures
