"""A driver's sentinel shows as N/A on the device card, never as 4294967295 (issue 19)."""

from __future__ import annotations

from allsmi_py.backend import Backend
from allsmi_py.collector import Collector
from allsmi_py.model import DeviceReading
from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.messages import SnapshotUpdated
from allsmi_py.tui.widgets.devices import DeviceCard
from tests.allsmi_py.tui.factories import HOST, device


class Sentinels(Backend, name="sentinels", vendor="test", requirements="none"):
    """One healthy GPU and one whose driver answers all-ones for its readings."""

    def read(self) -> list[DeviceReading]:
        return [device(0), device(1, utilization_pct=4294967295.0, temperature_c=0xFFFF_FFFF,
                                  power_w=4294967.295, fan_pct=65535.0,
                                  clock_graphics_mhz=0xFFFF_FFFF)]


def _text(card: DeviceCard) -> str:
    """The card's lines as drawn on screen."""
    return "\n".join(card.render_line(y).text for y in range(card.content_size.height))


async def test_sentinels_read_as_not_available_on_the_card() -> None:
    with Collector([Sentinels()], host_reader=lambda: HOST, deadline_s=10.0,
                   hostname="test-host") as collector:
        snap = collector.tick()
    app = AllSmiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(SnapshotUpdated(snap))
        await pilot.pause()
        await pilot.pause()
        healthy, poisoned = (_text(card) for card in app.screen.query(DeviceCard))
    assert "50%" in healthy and "60 °C" in healthy
    for sentinel in ("4294967295", "4294967", "65535", "4.29"):
        assert sentinel not in poisoned, sentinel
    assert "Temp N/A  Pwr N/A  Clk N/A  Fan N/A" in poisoned
    assert "  N/A  Mem " in poisoned  # utilization
