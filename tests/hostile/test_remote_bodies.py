"""Nodes that attack the scraper with their bodies and redirects (issue 14, items 2 and 3)."""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator

import pytest

from allsmi_py.model import ClusterNode
from allsmi_py.remote.poller import ClusterPoller
from tests.hostile.hostile_nodes import MIB, HostileServer

CAP = 1_000_000


@pytest.fixture
async def servers() -> AsyncIterator[tuple[HostileServer, HostileServer]]:
    first, second = HostileServer(), HostileServer(bomb_bytes=MIB)
    await first.start()
    await second.start()
    first.other_origin = second.url("healthy")
    yield first, second
    await first.stop()
    await second.stop()


async def _poll(server: HostileServer, *names: str) -> dict[str, ClusterNode]:
    async with ClusterPoller([server.url(n) for n in names], timeout_s=5.0,
                             max_body_bytes=CAP) as poller:
        cluster = await poller.poll_once()
    by_url = {server.url(n): n for n in names}
    return {by_url[node.status.address]: node for node in cluster.nodes}


async def test_a_gzip_bomb_stops_at_the_decoded_cap_without_inflating(
        servers: tuple[HostileServer, HostileServer]) -> None:
    server, _ = servers
    assert len(server.bomb) < CAP  # the compressed body passes a cap on Content-Length
    tracemalloc.start()
    try:
        nodes = await _poll(server, "bomb", "healthy")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert nodes["bomb"].status.state == "too_large", nodes["bomb"].status
    assert "decoded body exceeds" in (nodes["bomb"].status.error or "")
    assert nodes["healthy"].status.state == "ok"
    # 64 MiB inflated whole would show here; reading stops a step past the 1 MB cap.
    assert peak < 12 * MIB, f"peak {peak / MIB:.1f} MiB"


@pytest.mark.parametrize("name", ["gzip", "deflate", "raw_deflate"])
async def test_honest_compressed_bodies_read_as_the_plain_one(
        servers: tuple[HostileServer, HostileServer], name: str) -> None:
    server, _ = servers
    nodes = await _poll(server, name, "healthy")
    assert nodes[name].status.state == "ok", nodes[name].status
    assert nodes[name].status.source == "json"
    decoded, plain = nodes[name].snapshot, nodes["healthy"].snapshot
    assert decoded is not None and plain is not None
    assert decoded.devices == plain.devices


@pytest.mark.parametrize(("name", "words"), [
    ("cut_gzip", "cut short"), ("brotli", "unsupported Content-Encoding 'br'")])
async def test_broken_or_unknown_encodings_are_bad_payload(
        servers: tuple[HostileServer, HostileServer], name: str, words: str) -> None:
    server, _ = servers
    nodes = await _poll(server, name, "healthy")
    assert nodes[name].status.state == "bad_payload", nodes[name].status
    assert words in (nodes[name].status.error or "")
    assert nodes["healthy"].status.state == "ok"


async def test_a_redirect_within_the_node_is_followed(
        servers: tuple[HostileServer, HostileServer]) -> None:
    server, _ = servers
    nodes = await _poll(server, "hop")
    assert nodes["hop"].status.state == "ok", nodes["hop"].status
    assert nodes["hop"].snapshot is not None and len(nodes["hop"].snapshot.devices) == 2


async def test_a_redirect_to_another_origin_is_refused_not_shown_as_this_node(
        servers: tuple[HostileServer, HostileServer]) -> None:
    server, other = servers
    nodes = await _poll(server, "elsewhere")
    status = nodes["elsewhere"].status
    assert status.state == "http_error", status
    assert status.http_status == 307
    assert f"another origin (http://127.0.0.1:{other.port})" in (status.error or "")
    assert nodes["elsewhere"].snapshot is None


async def test_a_redirect_loop_ends_after_a_few_hops(
        servers: tuple[HostileServer, HostileServer]) -> None:
    server, _ = servers
    nodes = await _poll(server, "loop", "healthy")
    assert nodes["loop"].status.state == "http_error"
    assert "more than 3 redirects" in (nodes["loop"].status.error or "")
    assert nodes["healthy"].status.state == "ok"
