"""An in-process aiohttp server of simulated nodes, each under its own path prefix, with faults.

Stands in for the mock server in the remote tests: `/<node>/snapshot` and `/<node>/metrics`.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import NodeSnapshot
from backends.mock.backend import MockBackend

MODES = ("json", "text", "allsmi", "timeout", "slow", "500", "truncated", "garbage", "huge",
         "huge_chunked", "flap", "auth")


def node_snapshot(name: str, spec: str = "h100:8", seed: int = 1) -> NodeSnapshot:
    """A realistic snapshot of one simulated node."""
    devices = MockBackend(spec=spec, seed=seed, node=name).read()
    return NodeSnapshot(hostname=name, taken_at_s=time.time(), devices=tuple(devices))


def allsmi_schema1(snapshot: NodeSnapshot) -> dict[str, object]:
    """all-smi's own /snapshot document (inventory section 7): not ours."""
    return {"schema": 1, "timestamp": "2025-01-01T00:00:00Z", "hostname": snapshot.hostname,
            "gpus": [{"uuid": d.uuid, "name": d.name, "utilization": d.utilization_pct}
                     for d in snapshot.devices]}


@dataclass
class FaultNode:
    """One simulated node and how it misbehaves."""

    name: str
    mode: str = "json"
    snapshot: NodeSnapshot = field(init=False)
    hits: int = 0

    def __post_init__(self) -> None:
        self.snapshot = node_snapshot(self.name)
        self.json_body = json.dumps(self.snapshot.to_dict()).encode()
        self.text_body = render_prometheus(self.snapshot).encode()


class FaultServer:
    """Serves FaultNodes on 127.0.0.1; `target(name)` is the host spec of a node."""

    def __init__(self, nodes: dict[str, str], *, hang_s: float = 30.0, slow_s: float = 0.3,
                 huge_bytes: int = 2_000_000, token: str = "sesame") -> None:
        self.nodes = {name: FaultNode(name, mode) for name, mode in nodes.items()}
        self.hang_s, self.slow_s, self.huge_bytes, self.token = hang_s, slow_s, huge_bytes, token
        self.port = 0
        self._runner: web.AppRunner | None = None
        self.dead_port = _free_port()

    def target(self, name: str) -> str:
        """URL of a node; a 'down' node points at a port nobody listens on."""
        if self.nodes[name].mode == "down":
            return f"http://127.0.0.1:{self.dead_port}/{name}"
        return f"http://127.0.0.1:{self.port}/{name}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{node}/{endpoint}", self._handle)
        # Handlers still hanging (timeout mode) are cancelled at stop, not waited out.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        node = self.nodes[request.match_info["node"]]
        endpoint = request.match_info["endpoint"]
        node.hits += 1
        mode = node.mode
        if mode == "flap":
            mode = "json" if node.hits % 4 in (1, 2) else "500"
        body, kind = (node.json_body, "application/json") if endpoint == "snapshot" else (
            node.text_body, "text/plain; version=0.0.4")
        return await _RESPONDERS[mode](self, request, node, endpoint, body, kind)


async def _ok(s: FaultServer, r: web.Request, n: FaultNode, ep: str, body: bytes,
              kind: str) -> web.StreamResponse:
    return web.Response(body=body, content_type=kind.split(";")[0])


async def _text_only(s: FaultServer, r: web.Request, n: FaultNode, ep: str, body: bytes,
                     kind: str) -> web.StreamResponse:
    if ep == "snapshot":
        return web.Response(status=404, text="not found")
    return await _ok(s, r, n, ep, body, kind)


async def _allsmi(s: FaultServer, r: web.Request, n: FaultNode, ep: str, body: bytes,
                  kind: str) -> web.StreamResponse:
    if ep == "snapshot":
        return web.json_response(allsmi_schema1(n.snapshot))
    return await _ok(s, r, n, ep, body, kind)


async def _hang(s: FaultServer, r: web.Request, n: FaultNode, ep: str, body: bytes,
                kind: str) -> web.StreamResponse:
    await asyncio.sleep(s.hang_s)
    return await _ok(s, r, n, ep, body, kind)


async def _slow(s: FaultServer, r: web.Request, n: FaultNode, ep: str, body: bytes,
                kind: str) -> web.StreamResponse:
    await asyncio.sleep(s.slow_s)
    return await _ok(s, r, n, ep, body, kind)


async def _error(s: FaultServer, r: web.Request, n: FaultNode, ep: str, body: bytes,
                 kind: str) -> web.StreamResponse:
    return web.Response(status=500, text="internal error")


async def _truncated(s: FaultServer, r: web.Request, n: FaultNode, ep: str, body: bytes,
                     kind: str) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": kind})
    resp.content_length = len(body)
    await resp.prepare(r)
    await resp.write(body[: len(body) // 3])
    assert r.transport is not None
    r.transport.close()
    return resp


async def _garbage(s: FaultServer, r: web.Request, n: FaultNode, ep: str, body: bytes,
                   kind: str) -> web.StreamResponse:
    rng = random.Random(n.hits)
    return web.Response(body=bytes(rng.randrange(256) for _ in range(4096)),
                        content_type="text/plain")


async def _huge(s: FaultServer, r: web.Request, n: FaultNode, ep: str, body: bytes,
                kind: str) -> web.StreamResponse:
    return web.Response(body=b"#" * s.huge_bytes, content_type="text/plain")


async def _huge_chunked(s: FaultServer, r: web.Request, n: FaultNode, ep: str, body: bytes,
                        kind: str) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
    resp.enable_chunked_encoding()
    await resp.prepare(r)
    chunk = b"#" * 65536
    try:
        for _ in range(s.huge_bytes // len(chunk) + 1):
            await resp.write(chunk)
    except (ConnectionResetError, ConnectionError):
        pass
    return resp


async def _auth(s: FaultServer, r: web.Request, n: FaultNode, ep: str, body: bytes,
                kind: str) -> web.StreamResponse:
    if r.headers.get("Authorization") != f"Bearer {s.token}":
        return web.Response(status=401, text="unauthorized")
    return await _ok(s, r, n, ep, body, kind)


_RESPONDERS: dict[str, Callable[..., object]] = {
    "json": _ok, "text": _text_only, "allsmi": _allsmi, "timeout": _hang, "slow": _slow,
    "500": _error, "truncated": _truncated, "garbage": _garbage, "huge": _huge,
    "huge_chunked": _huge_chunked, "flap": _ok, "auth": _auth,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
