"""A lean HTTP/1.1 server protocol: keep-alive, GET/HEAD, cached replies, injected faults.

Why not the exporter's ASGI app under uvicorn: measured here, a full ASGI stack costs
several times the CPU per request of writing pre-built bytes from an asyncio.Protocol, and
a node that must refuse connections needs its own listening socket it can close and reopen.
The bodies are still the exporter's: `node.py` renders them with its renderer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 1024 * 1024
HANG_MAX_S = 600.0  # a "timeout" node holds a connection at most this long
STREAM_CHUNK = b"# allsmi-mock: oversized body padding " + b"x" * 985 + b"\n"
STREAM_BLOCK = STREAM_CHUNK * 64  # 64 KiB per write


@dataclass(frozen=True, slots=True)
class Reply:
    """What to send: status line and headers (no Connection, no blank line), body, and how."""

    head: bytes
    body: bytes
    mode: str = "full"  # full | hang | truncate | stream
    delay_s: float = 0.0
    stream_bytes: int = 0


def make_reply(
    status: int, body: bytes, content_type: str, extra: tuple[tuple[str, str], ...] = ()
) -> Reply:
    """A complete reply with Content-Type and Content-Length."""
    lines = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        f"content-type: {content_type}",
        f"content-length: {len(body)}",
    ]
    lines += [f"{name}: {value}" for name, value in extra]
    return Reply(("\r\n".join(lines) + "\r\n").encode("latin-1"), body)


def make_raw_reply(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> Reply:
    """A reply from an ASGI-style status and header list (Content-Length included by the app)."""
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}".encode("latin-1")]
    lines += [name + b": " + value for name, value in headers]
    return Reply(b"\r\n".join(lines) + b"\r\n", body)


def text_reply(status: int, text: str) -> Reply:
    """A short plain-text reply (errors, admin messages)."""
    return make_reply(status, text.encode(), "text/plain; charset=utf-8")


Handler = Callable[[str, str, dict[str, str]], Reply]


class Site:
    """One listening address: its request handler and its open connections."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections: set[HttpProtocol] = set()

    def close_connections(self) -> None:
        """Drop every open connection (a node going down)."""
        for protocol in list(self.connections):
            protocol.abort()

    def close_idle(self, now: float, idle_s: float) -> None:
        """Close keep-alive connections unused for idle_s seconds."""
        for protocol in list(self.connections):
            if protocol.idle_since is not None and now - protocol.idle_since > idle_s:
                protocol.abort()


class HttpProtocol(asyncio.Protocol):
    """One client connection: parse request heads, answer them in order."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.busy = False  # a delayed, hanging or streaming reply owns the connection
        self.paused = False
        self.stream_left = 0
        self.keep_alive = True
        self.idle_since: float | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Register the connection with its site."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.idle_since = self.loop.time()
        self.site.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection and any pending timer."""
        self.site.connections.discard(self)
        if self.timer is not None:
            self.timer.cancel()
        self.transport = None

    def abort(self) -> None:
        """Close now, without flushing."""
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        """Buffer bytes and answer every complete request head."""
        self.buffer += data
        self.idle_since = None
        if not self.busy:
            self._answer_buffered()

    def pause_writing(self) -> None:
        """The client reads slower than we write: stop streaming."""
        self.paused = True

    def resume_writing(self) -> None:
        """The client caught up: go on streaming."""
        self.paused = False
        if self.stream_left:
            self._stream()

    def _answer_buffered(self) -> None:
        while self.transport is not None and not self.busy and not self.transport.is_closing():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD_BYTES:
                    self._send_error(431, "request header too large\n")
                elif not self.buffer:
                    self.idle_since = self.loop.time()
                return
            request = self._parse_head(bytes(self.buffer[:end]))
            if request is None:
                return
            method, target, headers, body_length = request
            if len(self.buffer) < end + 4 + body_length:
                return  # wait for the (ignored) request body
            del self.buffer[: end + 4 + body_length]
            self._send(self.site.handler(method, target, headers), method == "HEAD")

    def _parse_head(self, head: bytes) -> tuple[str, str, dict[str, str], int] | None:
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self._send_error(400, "malformed request line\n")
            return None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                self._send_error(400, "malformed header line\n")
                return None
            headers[name.strip().lower()] = value.strip()
        if "transfer-encoding" in headers:
            self._send_error(501, "chunked request bodies are not supported\n")
            return None
        length_text = headers.get("content-length", "0")
        if not length_text.isdigit() or int(length_text) > MAX_BODY_BYTES:
            self._send_error(413, "request body too large or malformed Content-Length\n")
            return None
        connection = headers.get("connection", "").lower()
        self.keep_alive = "close" not in connection and (
            parts[2] == "HTTP/1.1" or "keep-alive" in connection
        )
        return parts[0], parts[1], headers, int(length_text)

    def _send_error(self, status: int, text: str) -> None:
        self.keep_alive = False
        self._send(text_reply(status, text), head_only=False)

    def _send(self, reply: Reply, head_only: bool) -> None:
        if reply.mode == "hang":
            self.busy = True
            self.timer = self.loop.call_later(HANG_MAX_S, self.abort)
        elif reply.delay_s > 0:
            self.busy = True
            self.timer = self.loop.call_later(reply.delay_s, self._finish_delayed, reply, head_only)
        else:
            self._write(reply, head_only)

    def _finish_delayed(self, reply: Reply, head_only: bool) -> None:
        self.timer = None
        self.busy = False
        self._write(reply, head_only)
        self._answer_buffered()

    def _write(self, reply: Reply, head_only: bool) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        connection = (
            b"connection: keep-alive\r\n\r\n" if self.keep_alive else b"connection: close\r\n\r\n"
        )
        if reply.mode == "stream":
            transport.write(reply.head + connection)
            self.busy = True
            self.stream_left = 0 if head_only else reply.stream_bytes
            self._stream()
            return
        if head_only:
            transport.write(reply.head + connection)
        elif reply.mode == "truncate":
            transport.write(reply.head + connection + reply.body[: len(reply.body) // 2])
            transport.close()
            return
        else:
            transport.writelines((reply.head, connection, reply.body))
        if not self.keep_alive:
            transport.close()

    def _stream(self) -> None:
        transport = self.transport
        while transport is not None and self.stream_left and not self.paused:
            block = (
                STREAM_BLOCK
                if self.stream_left >= len(STREAM_BLOCK)
                else STREAM_BLOCK[: self.stream_left]
            )
            transport.write(block)
            self.stream_left -= len(block)
        if transport is not None and not self.stream_left:
            self.busy = False
            if self.keep_alive:
                self._answer_buffered()
            else:
                transport.close()
