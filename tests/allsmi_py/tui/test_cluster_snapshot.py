"""SVG snapshot of the cluster view: 12 seeded mock nodes, one down, fixed clock and time zone."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from textual.pilot import Pilot

from allsmi_py.tui.cluster_app import ClusterApp
from allsmi_py.tui.messages import ClusterUpdated
from tests.allsmi_py.tui.cluster_factories import cluster_rounds


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The header prints local time; pin the zone so the screenshot is the same everywhere."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _feed(nodes: int) -> Callable[[Pilot[None]], object]:
    rounds = list(cluster_rounds(nodes, "h100:8", rounds=12, seed=3, down={4},
                                 specs={9: "rngd:4", 10: "rngd:4", 11: "m3max"}))

    async def run_before(pilot: Pilot[None]) -> None:
        for cluster in rounds:
            pilot.app.post_message(ClusterUpdated(cluster, ("hosts.txt line 13: 'node-x:99999': "
                                                            "port out of range",)))
            await pilot.pause()
        pilot.app.clear_notifications()
        await pilot.pause()
    return run_before


def test_cluster_view_with_a_lost_node(snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(ClusterApp(label="hostfile hosts.txt"), terminal_size=(120, 40),
                        run_before=_feed(12))
