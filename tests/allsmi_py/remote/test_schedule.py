"""Every node on its own schedule: a stalled node never holds the picture of the others."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from allsmi_py.model import ClusterNode, ClusterSnapshot
from allsmi_py.remote.poller import ClusterPoller
from tests.allsmi_py.remote.faults import FaultServer

INTERVAL_S = 0.2


@pytest.fixture
async def server() -> AsyncIterator[FaultServer]:
    srv = FaultServer({"a": "json", "b": "text", "hang": "timeout", "c": "json"}, hang_s=30.0)
    await srv.start()
    yield srv
    await srv.stop()


def _by_address(cluster: ClusterSnapshot) -> dict[str, ClusterNode]:
    return {node.status.address.rsplit("/", 1)[-1]: node for node in cluster.nodes}


async def _wait_until(poller: ClusterPoller, condition: object, seconds: float = 10.0) -> \
        ClusterSnapshot:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        cluster = poller.current()
        if cluster is not None and condition(_by_address(cluster)):  # type: ignore[operator]
            return cluster
        await asyncio.sleep(0.02)
    raise AssertionError(f"not reached: {poller.current()}")


async def test_healthy_nodes_stay_fresh_while_one_node_hangs(server: FaultServer) -> None:
    poller = ClusterPoller([server.target(n) for n in ("a", "b", "hang")], timeout_s=3.0)
    live = asyncio.create_task(poller.live(INTERVAL_S))
    try:
        await _wait_until(poller, lambda nodes: nodes["a"].is_live and nodes["b"].is_live)
        assert not poller.settled  # the hanging node has not answered once
        hits = server.nodes["a"].hits
        cluster = await _wait_until(
            poller, lambda nodes: nodes["hang"].status.state == "slow"
            and server.nodes["a"].hits >= hits + 3)
        nodes = _by_address(cluster)
        assert nodes["hang"].snapshot is None
        assert "no first answer after" in (nodes["hang"].status.error or "")
        for name in ("a", "b"):  # read again and again while the other node hangs
            assert nodes[name].is_live
            last_ok = nodes[name].status.last_ok_at_s
            assert last_ok is not None and cluster.taken_at_s - last_ok < 2.0
        # Its own timeout, not anyone else's, ends the hanging read.
        cluster = await _wait_until(poller, lambda nodes: nodes["hang"].status.state == "timeout")
        assert poller.settled
        assert [n.status.address for n in cluster.nodes] == \
            [server.target(n) for n in ("a", "b", "hang")]
    finally:
        live.cancel()
        await asyncio.gather(live, return_exceptions=True)
        await poller.close()


async def test_a_node_that_stops_answering_is_slow_with_its_last_snapshot(
        server: FaultServer) -> None:
    poller = ClusterPoller([server.target("a"), server.target("c")], timeout_s=5.0)
    live = asyncio.create_task(poller.live(INTERVAL_S))
    try:
        before = await _wait_until(poller, lambda nodes: nodes["c"].is_live)
        server.nodes["c"].mode = "timeout"
        cluster = await _wait_until(poller, lambda nodes: nodes["c"].status.state == "slow")
        c = _by_address(cluster)["c"]
        assert c.snapshot is not None  # the last good picture stays, marked not live
        assert c.snapshot.hostname == _by_address(before)["c"].snapshot.hostname  # type: ignore[union-attr]
        assert (c.status.error or "").startswith("no answer for")
        assert c.stale_age_s(cluster.taken_at_s) is not None
        assert _by_address(cluster)["a"].is_live
        server.nodes["c"].mode = "json"
    finally:
        live.cancel()
        await asyncio.gather(live, return_exceptions=True)
        await poller.close()


async def test_nodes_added_to_and_removed_from_the_hostfile_follow(
        server: FaultServer, tmp_path: Path) -> None:
    hostfile = tmp_path / "hosts.txt"
    hostfile.write_text(server.target("a") + "\n")
    poller = ClusterPoller(hostfile=str(hostfile), timeout_s=2.0)
    live = asyncio.create_task(poller.live(INTERVAL_S))
    try:
        await _wait_until(poller, lambda nodes: set(nodes) == {"a"} and nodes["a"].is_live)
        hostfile.write_text(server.target("c") + "\n" + server.target("b") + "\n")
        cluster = await _wait_until(poller, lambda nodes: set(nodes) == {"b", "c"}
                                    and nodes["b"].is_live and nodes["c"].is_live)
        assert [n.status.address.rsplit("/", 1)[-1] for n in cluster.nodes] == ["c", "b"]
        hits = server.nodes["a"].hits
        await asyncio.sleep(4 * INTERVAL_S)
        assert server.nodes["a"].hits == hits  # its task is gone, not just hidden
    finally:
        live.cancel()
        await asyncio.gather(live, return_exceptions=True)
        await poller.close()


async def test_cancelling_live_cancels_every_read_in_flight(server: FaultServer) -> None:
    poller = ClusterPoller([server.target("hang"), server.target("a")], timeout_s=30.0)
    live = asyncio.create_task(poller.live(INTERVAL_S))
    await _wait_until(poller, lambda nodes: nodes["a"].is_live)
    live.cancel()
    started = time.monotonic()
    await asyncio.gather(live, return_exceptions=True)
    assert time.monotonic() - started < 5.0  # not the 30 s the hanging read would take
    hits = server.nodes["a"].hits
    await asyncio.sleep(3 * INTERVAL_S)
    assert server.nodes["a"].hits == hits
    await poller.close()
