"""Nodes that send a hostile topology in their /snapshot (issue 21 item 7).

Real loopback nodes, read by `allsmi snapshot --hosts ... --format json`: a topology with far
more devices than a node has (a matrix of a million pairs would follow) is dropped whole and
noted, links that name devices the topology does not list or paths we do not know are
dropped one by one, and the node and its devices are kept either way.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from allsmi_py.cli import main
from allsmi_py.topology import MAX_TOPOLOGY_DEVICES
from tests.hostile.hostile_nodes import HostileServer
from tests.threaded_server import serving_in_thread


def _with_topology(server: HostileServer, topology: dict[str, Any]) -> bytes:
    doc = server.snapshot.to_dict()
    doc["topology"] = topology
    return json.dumps(doc).encode()


def _oversized() -> dict[str, Any]:
    """5000 devices and 100 000 links: 3 MB, under the body cap, far over any node."""
    devices = [{"index": i} for i in range(5000)]
    links = [{"a": i % 5000, "b": (i * 7 + 1) % 5000, "path": "SYS"} for i in range(100_000)]
    return {"devices": devices, "links": links, "backend": "mock"}


def _bad_links() -> dict[str, Any]:
    return {"devices": [{"index": 0}, {"index": 1}], "backend": "mock", "links": [
        {"a": 0, "b": 1, "path": "NV", "nvlinks": 18},
        {"a": 1, "b": 0, "path": "SYS"},  # the same pair again
        {"a": 0, "b": 99, "path": "PIX"},  # a device it does not list
        {"a": 0, "b": 0, "path": "PIX"},  # a device with itself
        {"a": 1, "b": 0, "path": "QPI\u001b[2J"},  # a path we do not know
        {"a": 0, "b": 1, "path": "NV", "nvlinks": 100_000},  # more links than a GPU has
    ]}


@pytest.fixture
def served() -> Iterator[HostileServer]:
    server = HostileServer(bomb_bytes=1 << 20)
    bodies = {"oversized": _with_topology(server, _oversized()),
              "bad_links": _with_topology(server, _bad_links())}

    def node(body: bytes) -> Any:
        async def handler(request: web.Request, endpoint: str) -> web.StreamResponse:
            return web.Response(body=body, content_type="application/json")
        return handler

    server.handlers.update({name: node(body) for name, body in bodies.items()})
    with serving_in_thread(server):
        yield server
    gc.unfreeze()  # the command freezes the heap it started with


def _nodes(server: HostileServer, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    hosts = ",".join(server.url(n) for n in ("oversized", "bad_links", "healthy"))
    assert main(["snapshot", "--hosts", hosts, "--format", "json", "--timeout", "10"]) == 0
    doc = json.loads(capsys.readouterr().out)
    return {n["address"].rsplit("/", 1)[1]: n for n in doc["nodes"]}


def _note(snapshot: dict[str, Any]) -> str:
    (note,) = [b for b in snapshot.get("backends", []) if b["name"] == "remote"]
    return str(note["message"])


def test_an_oversized_topology_is_dropped_whole_and_the_node_kept(
        served: HostileServer, capsys: pytest.CaptureFixture[str]) -> None:
    nodes = _nodes(served, capsys)
    oversized = nodes["oversized"]
    assert (oversized["state"], oversized["source"]) == ("ok", "json")
    assert "topology" not in oversized["snapshot"]
    assert len(oversized["snapshot"]["devices"]) == 2
    assert "topology_devices 5000" in _note(oversized["snapshot"])
    assert MAX_TOPOLOGY_DEVICES < 5000


def test_bad_links_are_dropped_one_by_one(served: HostileServer,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    nodes = _nodes(served, capsys)
    topology = nodes["bad_links"]["snapshot"]["topology"]
    assert topology["links"] == [{"a": 0, "b": 1, "path": "NV", "nvlinks": 18}]
    assert "topology_links 5" in _note(nodes["bad_links"]["snapshot"])
    assert "topology" not in nodes["healthy"]["snapshot"]
