"""The cluster view against a real mock cluster (a subprocess on 127.0.0.1): keys and contents."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from allsmi_py.remote.poller import ClusterPoller
from allsmi_py.tui.cluster_app import ClusterApp
from allsmi_py.tui.screens.cluster import ClusterScreen
from allsmi_py.tui.screens.help import HelpScreen
from allsmi_py.tui.widgets.cluster_overview import LostPanel
from allsmi_py.tui.widgets.device_table import DeviceTable, UsersTable
from allsmi_py.tui.widgets.node_detail import NodeDetail

NODES = 8
REPO = Path(__file__).resolve().parents[3]


class MockCluster:
    """A `python -m mock_server` subprocess and its admin API."""

    def __init__(self, process: subprocess.Popen[str], hostfile: Path, admin: str) -> None:
        self.process, self.hostfile, self.admin = process, hostfile, admin

    def call(self, method: str, path: str) -> object:
        """One admin request; the decoded JSON answer."""
        request = urllib.request.Request(f"{self.admin}{path}", method=method)
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - 127.0.0.1
            return json.loads(answer.read())

    def names(self) -> list[str]:
        """Node names in port order."""
        nodes = self.call("GET", "/-/mock/nodes")
        assert isinstance(nodes, dict)
        return [n["name"] for n in nodes["nodes"]]


@pytest.fixture(scope="module")
def mock_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockCluster]:
    """8 seeded nodes (h100:4 and rngd:2) with processes, an admin port; stopped afterwards."""
    folder = tmp_path_factory.mktemp("cluster")
    hostfile = folder / "hosts.txt"
    errors = (folder / "stderr.txt").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "--nodes", str(NODES), "--start-port", "0",
         "--hostfile", str(hostfile), "--seed", "11", "--mix", "h100:4=75%,rngd:2=25%",
         "--processes", "--interval", "0.5", "--admin-port", "0", "--bind", "127.0.0.1"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=errors, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the ready line; the process exits on bad input
        match = re.search(r"admin (http://127\.0\.0\.1:\d+)/-/mock/nodes", line)
        assert match, (line, (folder / "stderr.txt").read_text())
        yield MockCluster(process, hostfile, match.group(1))
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()
        errors.close()


async def until(pilot: Pilot[None], condition: Callable[[], bool], seconds: float = 15.0) -> None:
    """Await `condition` with bounded polling; fail after `seconds`."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"condition not met in {seconds} s")


def _app(cluster: MockCluster) -> ClusterApp:
    poller = ClusterPoller(hostfile=str(cluster.hostfile), timeout_s=1.0)
    return ClusterApp(poller, interval_s=0.3, label="test")


def _all_live(app: ClusterApp) -> bool:
    return app.state is not None and app.state.summary.nodes_live == NODES


async def test_sorting_the_device_table_by_key(mock_cluster: MockCluster) -> None:
    app = _app(mock_cluster)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _all_live(app))
        table = app.screen.query_one("#device-table", DeviceTable)
        assert len(table.rows) == 6 * 4 + 2 * 2
        assert [(r.node_pos, r.device.index) for r in table.rows] == sorted(
            (r.node_pos, r.device.index) for r in table.rows)
        for key, field in (("u", "utilization_pct"), ("t", "temperature_c"), ("p", "power_w")):
            await pilot.press(key)
            values = [getattr(r.device, field) for r in table.rows]
            known = [v for v in values if v is not None]
            assert known == sorted(known, reverse=True) and len(set(known)) > 1, key
            assert values[: len(known)] == known  # unreported values go last
            await pilot.press(key)
            values = [getattr(r.device, field) for r in table.rows]
            known = [v for v in values if v is not None]
            assert known == sorted(known), key
        await pilot.press("g")
        mem = [r.device.memory_used_pct for r in table.rows]
        assert mem == sorted(mem, reverse=True)  # type: ignore[type-var]
        assert "sort memory ↓" in str(table.border_title)


async def test_filter_keeps_only_matching_devices(mock_cluster: MockCluster) -> None:
    app = _app(mock_cluster)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _all_live(app))
        screen = app.screen
        assert isinstance(screen, ClusterScreen)
        table = screen.query_one("#device-table", DeviceTable)
        await pilot.press("slash", *"util>50", "enter")
        assert screen.query_filter.describe() == "util>50"
        assert table.has_focus and not screen.has_class("-filtering")
        assert app.state is not None
        expected = sum(1 for r in app.state.rows
                       if r.device.utilization_pct is not None and r.device.utilization_pct > 50)
        assert 0 < len(table.rows) == expected < len(app.state.rows)
        assert all((r.device.utilization_pct or 0) > 50 for r in table.rows)
        # Words match node and device names; a bad query says where, Esc leaves it.
        await pilot.press("slash", "ctrl+u", *"rngd", "enter")
        assert len(table.rows) == 2 * 2  # the two rngd:2 nodes of the mix
        assert all("rngd" in r.device.name.lower() for r in table.rows)
        await pilot.press("slash", "ctrl+u", *"temp>x")
        bar = screen.query_one("#filter")
        assert "parse error" in str(bar.border_subtitle) and "col 6" in str(bar.border_subtitle)
        await pilot.press("escape", "escape")
        assert screen.query_filter.empty and len(table.rows) == len(app.state.rows)


async def test_help_opens_and_closes(mock_cluster: MockCluster) -> None:
    app = _app(mock_cluster)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("h")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, ClusterScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("h")
        assert isinstance(app.screen, ClusterScreen)


async def test_lost_node_panel_follows_the_node(mock_cluster: MockCluster) -> None:
    victim = mock_cluster.names()[2]
    app = _app(mock_cluster)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: _all_live(app))
            lost = app.screen.query_one("#lost", LostPanel)
            assert not lost.display or lost.has_class("-none")
            mock_cluster.call("POST", f"/-/mock/node/{victim}/down")
            await until(pilot, lambda: victim in lost.message)
            assert lost.display and not lost.has_class("-none")
            assert "1 node" in str(lost.border_title)
            # The Node tab of the down node shows the CONNECTION LOST box with the error.
            screen = app.screen
            assert isinstance(screen, ClusterScreen)
            screen.open_node(2)
            await pilot.pause()
            detail = screen.query_one("#node-detail", NodeDetail)
            assert detail.node is not None and not detail.node.is_live
            assert detail.node.status.error
            mock_cluster.call("POST", f"/-/mock/node/{victim}/up")
            await until(pilot, lambda: lost.has_class("-none"))
            assert not lost.display and lost.message == ""
            await until(pilot, lambda: detail.node is not None and detail.node.is_live)
    finally:
        mock_cluster.call("POST", f"/-/mock/node/{victim}/up")


async def test_users_tab_by_namespace_then_pod_from_the_mock_cluster(
        mock_cluster: MockCluster) -> None:
    app = _app(mock_cluster)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _all_live(app))
        await pilot.press("w")  # opens the Users tab, by namespace
        users = app.screen.query_one("#users-table", UsersTable)
        await until(pilot, lambda: bool({u.user for u in users.rows}
                                        & {"ml-train", "inference", "default"}))
        await pilot.press("w")
        await until(pilot, lambda: any(u.user.startswith(("ml-train/", "inference/", "default/"))
                                       for u in users.rows))


async def test_users_tab_and_node_detail_from_the_table(mock_cluster: MockCluster) -> None:
    app = _app(mock_cluster)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _all_live(app))
        await pilot.press("V")
        users = app.screen.query_one("#users-table", UsersTable)
        await until(pilot, lambda: bool(users.rows))
        assert all(u.processes >= 1 and u.gpus for u in users.rows)
        held = [u.gpu_memory_bytes for u in users.rows]
        assert held == sorted(held, reverse=True)
        await pilot.press("left_square_bracket", "left_square_bracket")  # back to All devices
        table = app.screen.query_one("#device-table", DeviceTable)
        table.focus()
        await pilot.press("down", "down", "down", "down", "down", "enter")
        detail = app.screen.query_one("#node-detail", NodeDetail)
        assert detail.node is not None and table.current is not None
        assert detail.node.snapshot is not None
        assert detail.node.snapshot.hostname == table.current.node
