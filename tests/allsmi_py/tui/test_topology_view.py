"""The topology panel (local view, key o) and the Topology tab (cluster view) in the pilot."""

from __future__ import annotations

import io
from dataclasses import replace

from rich.console import Console
from textual.pilot import Pilot

from allsmi_py.model import ClusterNode, ClusterSnapshot
from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.cluster_app import ClusterApp
from allsmi_py.tui.messages import SnapshotUpdated
from allsmi_py.tui.screens.cluster import ClusterScreen
from allsmi_py.tui.screens.help import help_text
from allsmi_py.tui.screens.topology import TopologyScreen
from allsmi_py.tui.widgets.node_detail import NO_NODE
from allsmi_py.tui.widgets.topology import NO_TOPOLOGY, TopologyView
from backends.mock.backend import MockBackend
from tests.allsmi_py.tui.cluster_factories import cluster_rounds
from tests.allsmi_py.tui.factories import mock_snapshots


def _plain(renderable: object, width: int = 120) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def _drawn(view: TopologyView) -> str:
    return _plain(view.render())


async def _send(pilot: Pilot[None], snap: object) -> None:
    pilot.app.post_message(SnapshotUpdated(snap))  # type: ignore[arg-type]
    await pilot.pause()
    await pilot.pause()


async def test_o_opens_the_topology_panel_of_this_node_and_o_closes_it() -> None:
    snap = mock_snapshots("h100:8", count=1)[0]
    snap = replace(snap, topology=MockBackend("h100:8", seed=1).topology())
    app = AllSmiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await _send(pilot, snap)
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, TopologyScreen)
        text = _drawn(app.screen.query_one("#topology-view", TopologyView))
        assert "NUMA node 1  (CPUs 56-111,168-223)" in text
        assert "├─ PCIe switch switch0.0: GPU0, GPU1" in text
        assert "a pair shares NV18, 478 GB/s each way" in text
        panel = app.screen.query_one("#topology-panel")
        assert panel.max_scroll_x == 0  # 120 columns hold the matrix unwrapped
        assert "GPU7  NV18  NV18  NV18  NV18  NV18  NV18  NV18  X     56-111,168-223  1" in text
        await pilot.press("o")
        await pilot.pause()
        assert not isinstance(app.screen, TopologyScreen)


async def test_a_node_without_topology_says_so() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await _send(pilot, mock_snapshots("h100:2", count=1)[0])  # built without one
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, TopologyScreen)
        text = _drawn(app.screen.query_one("#topology-view", TopologyView))
        assert " ".join(text.split()) == NO_TOPOLOGY
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, TopologyScreen)


def _cluster_with_topology() -> ClusterSnapshot:
    """Two H100x8 nodes; the first knows its topology, the second (all-smi-like) does not."""
    cluster = next(iter(cluster_rounds(2, "h100:8", rounds=1, seed=1)))
    first, second = cluster.nodes
    assert first.snapshot is not None
    topology = MockBackend("h100:8", seed=1).topology()
    with_topology = ClusterNode(first.status, replace(first.snapshot, topology=topology))
    return replace(cluster, nodes=(with_topology, second))


async def test_the_cluster_topology_tab_shows_the_open_node() -> None:
    app = ClusterApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.ingest(_cluster_with_topology())
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ClusterScreen)
        view = screen.query_one("#topology-tab", TopologyView)
        await pilot.press("o")
        await pilot.pause()
        assert screen.query_one("#tabs").active == "tab-topology"  # type: ignore[attr-defined]
        assert " ".join(_drawn(view).split()) == NO_NODE
        screen.open_node(0)  # opens the Node tab
        await pilot.press("right_square_bracket", "right_square_bracket")  # Users, Topology
        await pilot.pause()
        assert screen.query_one("#tabs").active == "tab-topology"  # type: ignore[attr-defined]
        assert screen.query_one("#topology-scroll").has_focus
        text = _drawn(view)
        assert text.startswith("gpu-0001  8 devices · simulated")
        assert "GPU0  X     NV18" in text
        screen.open_node(1)
        await pilot.press("o")
        await pilot.pause()
        assert " ".join(_drawn(view).split()) == NO_TOPOLOGY
        await pilot.press("right_square_bracket")  # from the last tab back to the first
        await pilot.pause()
        assert screen.query_one("#tabs").active == "tab-all"  # type: ignore[attr-defined]


def test_help_names_the_topology_keys() -> None:
    assert "o topology: devices by NUMA node" in " ".join(_plain(help_text("local")).split())
    cluster = " ".join(_plain(help_text("cluster")).split())
    assert "next tab: All devices, Node, Users, Topology" in cluster
    assert "o Topology tab: the open node's" in cluster


async def test_at_80_columns_the_matrix_scrolls_sideways_unwrapped() -> None:
    app = ClusterApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.ingest(_cluster_with_topology())
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ClusterScreen)
        screen.open_node(0)
        await pilot.press("o")
        await pilot.pause()
        scroll = screen.query_one("#topology-scroll")
        assert scroll.max_scroll_x > 0  # the 84-column matrix, not wrapped
        await pilot.press("right")
        await pilot.pause()
        assert scroll.scroll_x == 1
