"""Line-API widgets paint with a kept base style that still follows the theme and classes."""

from __future__ import annotations

from unittest import mock

from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.messages import SnapshotUpdated
from allsmi_py.tui.widgets.devices import DeviceCard
from allsmi_py.tui.widgets.processes import ProcessTable
from tests.allsmi_py.tui.factories import mock_snapshots


def _painted_background(widget: DeviceCard | ProcessTable, y: int) -> object:
    segment = widget.render_line(y)._segments[0]
    assert segment.style is not None
    return segment.style.bgcolor


async def test_redraws_keep_the_base_style_and_a_theme_switch_looks_it_up_again() -> None:
    snaps = mock_snapshots("h100:2", count=4, seed=3)
    app = AllSmiApp(theme="dark")
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(SnapshotUpdated(snaps[0]))
        await pilot.pause()
        card = app.screen.query(DeviceCard).first()
        table = app.screen.query_one("#processes", ProcessTable)
        card.render_line(0)
        table.render_line(1)
        with mock.patch.object(type(card), "rich_style",
                               new_callable=mock.PropertyMock) as looked_up:
            for snap in snaps[1:]:
                app.post_message(SnapshotUpdated(snap))
                await pilot.pause()
                card.render_line(0)
                table.render_line(1)
            assert looked_up.call_count == 0  # a snapshot repaints lines, not the style
        dark = _painted_background(card, 0), _painted_background(table, 1)
        app.action_toggle_theme()
        await pilot.pause()
        light = _painted_background(card, 0), _painted_background(table, 1)
        assert light == (card.rich_style.bgcolor, table.rich_style.bgcolor)
        assert light != dark


async def test_a_class_that_restyles_the_widget_is_painted_with_its_new_style() -> None:
    app = AllSmiApp(theme="dark")
    app.CSS = ".device-card.-probe { background: #123456; }"
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(SnapshotUpdated(mock_snapshots("h100:1", count=1, seed=3)[0]))
        await pilot.pause()
        card = app.screen.query_one(DeviceCard)
        before = _painted_background(card, 0)
        card.add_class("-probe")
        await pilot.pause()
        after = _painted_background(card, 0)
        assert after != before and after is not None and after.triplet == (0x12, 0x34, 0x56)
