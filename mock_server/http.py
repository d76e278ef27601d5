"""A lean HTTP/1.1 server protocol: keep-alive, GET/HEAD, cached replies, injected faults.

Why not the exporter's ASGI app under uvicorn: measured here, a full ASGI stack costs
several times the CPU per request of writing pre-built bytes from an asyncio.Protocol, and
a node that must refuse connections needs its own listening socket it can close and reopen.
The bodies are still the exporter's: `node.py` renders them with its renderer.

Client limits are the exporter's (issue 14): each node's connections hold slots in a Guard
(allsmi_py.exporter.guard) with a cap that evicts the longest-idle one, a head must be
complete within HEADER_TIMEOUT_S of its first byte and within MAX_HEAD_BYTES (else 431),
and a keep-alive connection rests at most KEEP_ALIVE_S. A reply a fault delays or holds is
exempt: the fault decides how long it takes.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from allsmi_py.exporter.guard import Guard

MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 1024 * 1024
HANG_MAX_S = 600.0  # a "timeout" node holds a connection at most this long
HEADER_TIMEOUT_S = 5.0  # accept (or a keep-alive request's first byte) to a complete head
KEEP_ALIVE_S = 75.0  # longer than any scrape interval a test or a dashboard uses
MAX_CONNECTIONS_PER_NODE = 128  # a scraper holds one or two; limits.py budgets the files
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
    """One listening address: its request handler, its open connections and their Guard."""

    def __init__(self, handler: Handler, max_connections: int = MAX_CONNECTIONS_PER_NODE,
                 header_timeout_s: float = HEADER_TIMEOUT_S,
                 keep_alive_s: float = KEEP_ALIVE_S) -> None:
        self.handler = handler
        self.connections: set[HttpProtocol] = set()
        self.guard = Guard(max_connections)
        self.header_timeout_s = header_timeout_s
        self.keep_alive_s = keep_alive_s

    def close_connections(self) -> None:
        """Drop every open connection (a node going down)."""
        for protocol in list(self.connections):
            protocol.abort()

    def sweep(self, now: float) -> None:
        """Close connections past their deadline: a head too slow, a rest too long."""
        self.guard.sweep(now)


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
        self.state = ""  # head | busy | rest
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Register the connection with its site, making room under its cap."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if not self.site.guard.make_room():
            transport.abort()  # every slot is answering: refuse the newcomer
            return
        self.site.connections.add(self)
        self._enter("head")

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection and any pending timer."""
        self.site.connections.discard(self)
        self.site.guard.forget(self)
        if self.timer is not None:
            self.timer.cancel()
        self.transport = None

    def expire(self) -> None:
        """Close now (evicted, or past a deadline)."""
        self.abort()

    def _enter(self, state: str) -> None:
        if state == self.state or self.transport is None:
            return
        self.state = state
        guard, now = self.site.guard, self.loop.time()
        if state == "head":  # a byte trickled in later does not extend this
            guard.idle(self, now + self.site.header_timeout_s)
        elif state == "rest":
            guard.idle(self, now + self.site.keep_alive_s)
        else:
            guard.busy(self, math.inf)

    def abort(self) -> None:
        """Close now, without flushing."""
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        """Buffer bytes and answer every complete request head."""
        self.buffer += data
        if not self.busy:
            self._enter("head")
            self._answer_buffered()
        elif len(self.buffer) > MAX_HEAD_BYTES + MAX_BODY_BYTES:
            self.abort()  # sending on and on while a fault holds the reply

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
            end = self.buffer.find(b"\r\n\r\n", 0, MAX_HEAD_BYTES + 4)
            if end < 0:
                if len(self.buffer) > MAX_HEAD_BYTES:
                    self._send_error(431, "request header too large\n")
                else:
                    self._enter("head" if self.buffer else "rest")
                return
            request = self._parse_head(bytes(self.buffer[:end]))
            if request is None:
                return
            method, target, headers, body_length = request
            if len(self.buffer) < end + 4 + body_length:
                return  # wait for the (ignored) request body
            del self.buffer[: end + 4 + body_length]
            self._enter("rest")  # answered: the next head, if any, gets its own deadline
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
        if reply.mode != "full" or reply.delay_s > 0:
            self._enter("busy")
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
