"""Below 100 columns: the compact layout (nothing that matters cut) and sideways scrolling."""

from __future__ import annotations

import re
from dataclasses import replace

from textual.pilot import Pilot

from allsmi_py.model import ClusterSnapshot, NodeStatus
from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.cluster_app import ClusterApp
from allsmi_py.tui.messages import ClusterUpdated, SnapshotUpdated
from allsmi_py.tui.widgets.cluster_overview import ClusterHeader
from allsmi_py.tui.widgets.device_table import DeviceTable
from allsmi_py.tui.widgets.processes import ProcessTable
from tests.allsmi_py.tui.cluster_factories import cluster_rounds
from tests.allsmi_py.tui.factories import mock_snapshots


async def _local(pilot: Pilot[None]) -> ProcessTable:
    pilot.app.post_message(SnapshotUpdated(next(iter(mock_snapshots()))))
    await pilot.pause()
    await pilot.pause()
    return pilot.app.screen.query_one("#processes", ProcessTable)


def _header(table: ProcessTable | DeviceTable) -> str:
    return table.render_line(0).text


async def test_the_local_process_table_keeps_command_at_80_columns() -> None:
    app = AllSmiApp(None)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _local(pilot)
        assert table.compact
        header = _header(table)
        assert header.split()[:6] == ["PID", "USER", "DEV", "GPU-MEM", "▼", "GPU%"]
        assert "COMMAND" in header and "HOST-MEM" not in header
        assert table.current is not None
        command = table.current.process.command or ""
        assert command[:20] in table.render_line(1 + table.cursor).text


async def test_arrows_scroll_the_process_table_whatever_has_focus() -> None:
    app = AllSmiApp(None)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _local(pilot)
        assert app.focused is not table  # the device cards have it
        assert table.max_scroll_x > 0
        await pilot.press("right", "right")
        assert table.scroll_x == 16
        assert not _header(table).startswith("PID")  # the header goes along
        await pilot.press("left", "left", "left")
        assert table.scroll_x == 0


async def test_a_wide_terminal_gets_every_column_back() -> None:
    app = AllSmiApp(None)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _local(pilot)
        assert table.compact
        await pilot.resize_terminal(140, 40)
        await pilot.pause()
        assert not table.compact
        for title in ("CPU%", "HOST-MEM", "TIME", "COMMAND"):
            assert title in _header(table)


async def test_a_click_on_a_compact_header_sorts_by_the_column_shown_there() -> None:
    app = AllSmiApp(None)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _local(pilot)
        x = _header(table).index("GPU%")
        await pilot.click("#processes", offset=(x + 2, 1))  # +1 border, +1 padding
        assert table.sort_key == "gpu_util"


def _with_a_slow_node(cluster: ClusterSnapshot) -> ClusterSnapshot:
    first = cluster.nodes[0]
    slow = replace(first, status=NodeStatus(first.status.address, "slow", "no answer for 7 s",
                                            last_ok_at_s=cluster.taken_at_s - 7))
    return replace(cluster, nodes=(slow, *cluster.nodes[1:]))


async def test_the_cluster_table_at_80x24_has_every_reading_and_the_state_with_its_age() -> None:
    app = ClusterApp(None, interval_s=60)
    rounds = cluster_rounds(nodes=4, spec="h100:8", rounds=1)
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(ClusterUpdated(_with_a_slow_node(list(rounds)[-1])))
        for _ in range(100):
            await pilot.pause(0.02)
            if app.state is not None:
                break
        await pilot.pause()
        table = app.screen.query_one("#device-table", DeviceTable)
        assert table.compact and table.max_scroll_x == 0  # one line per device, all of it
        assert _header(table).split() == ["NODE", "#", "UTIL", "MEMORY", "MEM%", "TEMP",
                                          "POWER", "STATE"]
        first = table.render_line(1).text
        assert "°C" in first and "W" in first and "slow 7s" in first
        live = table.render_line(9).text.rstrip()  # the second node's first device
        assert live.endswith(("ok", "warn", "critical")), live
        header = app.screen.query_one("#header", ClusterHeader).message
        assert re.match(r"allsmi-py  \d\d:\d\d:\d\d  ·  .*alert", header), header
