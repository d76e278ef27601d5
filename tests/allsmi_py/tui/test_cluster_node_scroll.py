"""The Node tab scrolls from the keyboard (issue 15 item 2): Enter on a device row focuses it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from textual.containers import VerticalScroll
from textual.pilot import Pilot

from allsmi_py.tui.cluster_app import ClusterApp
from allsmi_py.tui.screens.cluster import ClusterScreen
from allsmi_py.tui.widgets.device_table import DeviceTable
from allsmi_py.tui.widgets.node_grid import NodeGrid
from tests.allsmi_py.tui.cluster_factories import cluster_rounds


@asynccontextmanager
async def two_nodes_of_eight() -> AsyncIterator[tuple[Pilot[None], ClusterScreen]]:
    """The cluster view at 100x30 with two nodes of eight H100s, after one round."""
    app = ClusterApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.ingest(next(iter(cluster_rounds(2, "h100:8", rounds=1, seed=1))))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ClusterScreen)
        yield pilot, screen


async def test_enter_on_a_row_opens_the_node_and_its_keys_scroll_it() -> None:
    async with two_nodes_of_eight() as (pilot, screen):
        assert screen.query_one("#device-table", DeviceTable).has_focus
        await pilot.press("enter")
        await pilot.pause()
        scroll = screen.query_one("#node-scroll", VerticalScroll)
        assert scroll.has_focus
        assert scroll.max_scroll_y > 0  # 8 GPUs and the processes do not fit in 30 lines
        await pilot.press("down")
        await pilot.pause()
        assert scroll.scroll_y == 1
        await pilot.press("pagedown")
        await pilot.pause()
        assert scroll.scroll_y > 1 + scroll.scrollable_content_region.height / 2
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y
        await pilot.press("up")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y - 1
        await pilot.press("home")
        await pilot.pause()
        assert scroll.scroll_y == 0


async def test_tab_reaches_the_node_tab_content() -> None:
    async with two_nodes_of_eight() as (pilot, screen):
        await pilot.press("right_square_bracket")  # the Node tab from the device table
        await pilot.pause()
        scroll = screen.query_one("#node-scroll", VerticalScroll)
        assert scroll.has_focus  # the hidden table does not keep the keys
        screen.open_node(1)
        await pilot.pause()
        screen.query_one("#grid", NodeGrid).focus()
        await pilot.pause()
        presses = 0
        while not scroll.has_focus and presses < 4:
            await pilot.press("tab")
            presses += 1
        assert scroll.has_focus
        await pilot.press("pagedown")
        await pilot.pause()
        assert scroll.scroll_y > 0


async def test_another_node_opens_at_its_top() -> None:
    async with two_nodes_of_eight() as (pilot, screen):
        screen.open_node(0)
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        scroll = screen.query_one("#node-scroll", VerticalScroll)
        assert scroll.scroll_y > 0
        screen.open_node(1)
        await pilot.pause()
        assert scroll.scroll_y == 0
