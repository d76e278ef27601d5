"""The cluster view in Prometheus mode: grid, the page of device rows, users, the cost line.

Against a loopback server speaking Prometheus' HTTP API (tests/hostile/fake_prometheus_api):
the screen tells the source what it shows (sort key, open tab), and the source asks for
only that; the footer line shows the round's bytes and seconds against its budget.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.widgets import Static, TabbedContent

from allsmi_py.remote.prometheus_aggregate import PrometheusAggregateSource
from allsmi_py.tui.cluster_app import ClusterApp
from allsmi_py.tui.widgets.device_table import DeviceTable, UsersTable
from tests.allsmi_py.tui.test_cluster_view import until
from tests.hostile.fake_prometheus_api import FakePrometheusApi
from tests.threaded_server import serving_in_thread


@pytest.fixture
def fake() -> Iterator[FakePrometheusApi]:
    with serving_in_thread(FakePrometheusApi()) as server:
        yield server


async def test_grid_page_users_and_the_budget_line(fake: FakePrometheusApi) -> None:
    source = PrometheusAggregateSource(fake.url, timeout_s=5, page_rows=6)
    app = ClusterApp(source, interval_s=0.2, label="prometheus test")
    async with app.run_test(size=(140, 45)) as pilot:
        await until(pilot, lambda: app.state is not None and app.state.summary.nodes_live == 3)
        state = app.state
        assert state is not None
        assert len(state.cells) == 4 and state.down[0].status.address == "10.0.0.9:9090"
        table = app.screen.query_one("#device-table", DeviceTable)
        assert len(table.rows) == 6  # node order: the first nodes' devices, one page
        assert [r.node for r in table.rows] == ["node-0"] * 6
        line = app.screen.query_one("#source-line", Static)
        assert line.display
        text = str(line.render())
        assert text.startswith("prometheus: ") and " of 2.0 MB 1 s" in text
        assert "page 6 of 24 devices (node order)" in text
        await pilot.press("u")  # sort by utilization: the next round asks topk
        await until(pilot, lambda: any(f.get("query", "").startswith("topk(6, ")
                                       for f in fake.forms))
        await until(pilot, lambda: app.state is not None and "top by utilization"
                    in app.state.source_line)
        await pilot.press("enter")  # the first row's node opens: the next round reads it whole
        opened = app.detail_address
        assert opened is not None
        await until(pilot, lambda: any(f'instance="{opened}"' in f.get("query", "")
                                       for f in fake.forms))
        await until(pilot, lambda: app.state is not None and any(
            n.status.address == opened and n.snapshot is not None
            and len(n.snapshot.devices) == 8 for n in app.state.cluster.nodes))
        assert app.screen.query_one("#tabs", TabbedContent).active == "tab-node"
        await pilot.press("V")  # the Users tab: the next round asks the users' sums
        await until(pilot, lambda: app.state is not None and app.state.users is not None
                    and bool(app.state.users[0]))
        await pilot.pause(0.1)
        users = app.screen.query_one("#users-table", UsersTable)
        (alice,) = users.rows
        assert (alice.user, len(alice.nodes), len(alice.gpus), alice.processes) == (
            "alice", 2, 2, 3)
        assert alice.top_command == "python train.py"
