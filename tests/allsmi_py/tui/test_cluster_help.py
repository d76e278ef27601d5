"""The help screen lists the keys of the view it opens over; the cluster screen draws the
rows the derive thread prepared instead of sorting again."""

from __future__ import annotations

import io

from textual.widgets import Static

from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.cluster_app import ClusterApp
from allsmi_py.tui.screens.cluster import ClusterScreen
from allsmi_py.tui.screens.help import HelpScreen
from allsmi_py.tui.widgets.device_table import DeviceTable
from tests.allsmi_py.tui.cluster_factories import cluster_rounds


def _help_plain(app: AllSmiApp) -> str:
    from rich.console import Console

    assert isinstance(app.screen, HelpScreen)
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(app.screen.query_one("#help-text", Static).content)
    return console.export_text()


async def test_help_from_the_cluster_view_lists_the_cluster_keys() -> None:
    app = ClusterApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.ingest(next(iter(cluster_rounds(4, "h100:2", rounds=1))))
        await pilot.press("question_mark")
        text = _help_plain(app)
        for expected in ("sort devices by utilization", "sort devices by temperature",
                         "sort devices by power draw", "mute or unmute alert toasts",
                         "util>50", "temp>=80", "[  ]", "open that node in the Node tab",
                         "Users tab",
                         "in the Node tab: scroll", "top / bottom of the Node tab"):
            assert expected in text, expected
        assert "processes" not in text.split("Node grid")[0].replace("process data", "")
        assert "help: cluster view" in str(app.screen.query_one("#help-panel").border_title)
        await pilot.press("h")
        assert isinstance(app.screen, ClusterScreen)


async def test_help_from_the_local_view_lists_the_local_keys() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("h")
        text = _help_plain(app)
        assert "sort processes by GPU memory" in text and "sort devices by" not in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_the_screen_draws_the_derived_rows_and_sorts_again_only_on_a_key() -> None:
    rounds = iter(cluster_rounds(5, "h100:4", rounds=3, seed=4))
    app = ClusterApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.ingest(next(rounds))
        await pilot.pause()
        table = app.screen.query_one("#device-table", DeviceTable)
        assert app.state is not None and table.rows is app.state.shown
        await pilot.press("u")  # sorted here, at once, for the round on screen
        utils = [r.device.utilization_pct for r in table.rows]
        assert utils == sorted(utils, reverse=True)
        await app.ingest(next(rounds))  # derived for the new params in the derive thread
        await pilot.pause()
        assert app.state.params.sort_key == "util" and table.rows is app.state.shown
