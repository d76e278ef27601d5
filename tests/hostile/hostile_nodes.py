"""A loopback server of nodes that attack the scraper through their HTTP answers.

Each node lives under `/<name>/` and answers both `/snapshot` and `/metrics` the same hostile
way; `healthy` answers honestly, so a test can check that the others cost it nothing.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Awaitable, Callable

from aiohttp import web

from allsmi_py.model import NodeSnapshot
from backends.mock.backend import MockBackend

MIB = 1 << 20


def compressed_zeros(decoded_bytes: int, wbits: int = 16 + zlib.MAX_WBITS) -> bytes:
    """`decoded_bytes` zeros, compressed a MiB at a time (gzip by default)."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(MIB)
    parts = [squeeze.compress(block) for _ in range(decoded_bytes // MIB)]
    parts.append(squeeze.compress(bytes(decoded_bytes % MIB)))
    parts.append(squeeze.flush())
    return b"".join(parts)


def compressed(body: bytes, wbits: int) -> bytes:
    squeeze = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return squeeze.compress(body) + squeeze.flush()


GZIP, ZLIB, RAW_DEFLATE = 16 + zlib.MAX_WBITS, zlib.MAX_WBITS, -zlib.MAX_WBITS

Handler = Callable[[web.Request, str], Awaitable[web.StreamResponse]]


class HostileServer:
    """Hostile and honest nodes on 127.0.0.1, on a port of its own (bound as port 0)."""

    def __init__(self, bomb_bytes: int = 64 * MIB) -> None:
        snapshot = NodeSnapshot(hostname="healthy", taken_at_s=time.time(),
                                devices=tuple(MockBackend(spec="h100:2", seed=3).read()))
        self.snapshot = snapshot
        self.json_body = json.dumps(snapshot.to_dict()).encode()
        self.bomb = compressed_zeros(bomb_bytes)
        self.port = 0
        self.other_origin = ""  # another server's node URL, for the cross-origin redirect
        self.handlers: dict[str, Handler] = {
            "healthy": self._plain, "gzip": self._encoded(GZIP, "gzip"),
            "deflate": self._encoded(ZLIB, "deflate"),
            "raw_deflate": self._encoded(RAW_DEFLATE, "deflate"),
            "bomb": self._bomb, "cut_gzip": self._cut_gzip, "brotli": self._unknown_encoding,
            "hop": self._redirect_same, "elsewhere": self._redirect_elsewhere,
            "loop": self._redirect_loop,
        }
        self._runner: web.AppRunner | None = None

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{node}/{endpoint}", self._route)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _route(self, request: web.Request) -> web.StreamResponse:
        return await self.handlers[request.match_info["node"]](
            request, request.match_info["endpoint"])

    async def _plain(self, request: web.Request, endpoint: str) -> web.StreamResponse:
        if endpoint != "snapshot":
            return web.Response(status=404)
        return web.Response(body=self.json_body, content_type="application/json")

    def _encoded(self, wbits: int, name: str) -> Handler:
        async def handler(request: web.Request, endpoint: str) -> web.StreamResponse:
            if endpoint != "snapshot":
                return web.Response(status=404)
            return web.Response(body=compressed(self.json_body, wbits), headers={
                "Content-Type": "application/json", "Content-Encoding": name})
        return handler

    async def _bomb(self, request: web.Request, endpoint: str) -> web.StreamResponse:
        return web.Response(body=self.bomb, headers={
            "Content-Type": "application/json", "Content-Encoding": "gzip"})

    async def _cut_gzip(self, request: web.Request, endpoint: str) -> web.StreamResponse:
        body = compressed(self.json_body, GZIP)
        return web.Response(body=body[: len(body) // 2], headers={
            "Content-Type": "application/json", "Content-Encoding": "gzip"})

    async def _unknown_encoding(self, request: web.Request, endpoint: str) -> web.StreamResponse:
        return web.Response(body=b"\x0b\x02\x80not really brotli", headers={
            "Content-Type": "application/json", "Content-Encoding": "br"})

    async def _redirect_same(self, request: web.Request, endpoint: str) -> web.StreamResponse:
        raise web.HTTPFound(f"/healthy/{endpoint}")

    async def _redirect_elsewhere(self, request: web.Request,
                                  endpoint: str) -> web.StreamResponse:
        raise web.HTTPTemporaryRedirect(f"{self.other_origin}/{endpoint}")

    async def _redirect_loop(self, request: web.Request, endpoint: str) -> web.StreamResponse:
        raise web.HTTPMovedPermanently(f"/loop/{endpoint}")
