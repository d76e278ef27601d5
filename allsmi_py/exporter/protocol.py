"""uvicorn's httptools protocol with a header deadline, a header size cap and a guard slot.

uvicorn (0.30-0.55) times a connection out only between keep-alive requests: one that
never finishes its request head - or never sends a byte - is held forever, and httptools
buffers a head of any size (a 64 MiB header costs seconds of CPU and is answered 200).
Here each request head must be complete within `header_timeout_s` of its first byte (of
the accept, for the first request) and within `max_header_bytes`, or the connection is
closed (431 for the size). Every connection holds a slot in the server's Guard, which
enforces these deadlines and evicts the longest-idle connection when the cap is reached.
A streaming response (/events) holds its slot as busy for as long as it keeps sending,
through the `StreamSlot` each request finds in `scope["extensions"]`.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from allsmi_py.exporter.events import STREAM_KEY
from allsmi_py.exporter.guard import Guard, Limits

STREAM_SEND_BUFFER = 256 * 1024  # an event stream's kernel send buffer (Linux doubles it)
_431_BODY = b"request header too large\n"
REPLY_431 = (b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
             b"content-type: text/plain; charset=utf-8\r\n"
             b"content-length: " + str(len(_431_BODY)).encode() + b"\r\n"
             b"connection: close\r\n\r\n" + _431_BODY)


class GuardedHttpProtocol(HttpToolsProtocol):
    """One client connection: uvicorn's HTTP/1.1 handling inside the Guard's limits."""

    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any],
                 guard: Guard, limits: Limits, head_deadline: float) -> None:
        super().__init__(config=config, server_state=server_state, app_state=app_state)
        self.guard = guard
        self.limits = limits
        self.head_deadline = head_deadline  # for the first request; set per request after
        self.handshake: asyncio.Task[Any] | None = None  # until connection_made
        self.in_head = True  # reading a request head
        self.head_bytes = 0
        self.busy = False  # a head is complete and its response is not yet written
        self.streaming = False  # the response is an event stream: no end to wait for
        self.open = True

    def expire(self) -> None:
        """Close now: abort the transport, or cancel the TLS handshake that would make it."""
        if self.transport is not None:
            self.transport.abort()
        elif self.handshake is not None:
            self.handshake.cancel()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the first request's head deadline (after the TLS handshake, if any)."""
        super().connection_made(transport)
        self.handshake = None
        if self.scheme == "https":  # the handshake had its own deadline
            self.head_deadline = self.loop.time() + self.limits.header_timeout_s
        self.guard.idle(self, self.head_deadline)

    def connection_lost(self, exc: Exception | None) -> None:
        """Give the slot back."""
        self.open = False
        self.guard.forget(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Count head bytes; the first byte after a keep-alive rest starts a new head."""
        if not self.in_head and not self.busy:
            self.in_head = True
            self.head_bytes = 0
            self.guard.idle(self, self.loop.time() + self.limits.header_timeout_s)
        if self.in_head:
            # Only the head's own bytes count (not pipelined requests after it in this read),
            # and they are counted before parsing, so a head that arrives whole is caught too.
            end = data.find(b"\r\n\r\n")
            self.head_bytes += len(data) if end < 0 else end + 4
            if self.head_bytes > self.limits.max_header_bytes and self.open:
                self.refuse_head()
                return
        super().data_received(data)

    def refuse_head(self) -> None:
        """Answer 431 and close: the request head outgrew max_header_bytes."""
        self.in_head = False
        self.guard.forget(self)
        if not self.transport.is_closing():
            self.transport.write(REPLY_431)
            self.transport.close()

    def on_message_begin(self) -> None:
        """A pipelined request began in a read that finished the previous one."""
        super().on_message_begin()
        if not self.in_head and not self.busy:
            self.in_head = True
            self.head_bytes = 0

    def on_headers_complete(self) -> None:
        """The head is in: no head deadline now, but one for writing the response."""
        self.in_head = False
        self.busy = True
        if self.open:
            self.guard.busy(self, self.loop.time() + self.limits.response_timeout_s)
        self.scope["extensions"] = {STREAM_KEY: self}
        super().on_headers_complete()

    def may_stream(self) -> bool:
        """True when the Guard has room for one more event stream."""
        return self.guard.may_stream()

    def hold_stream(self, seconds: float) -> None:
        """A streaming response sent something: busy, and no timeout for `seconds` more."""
        if not self.streaming:
            self.streaming = True
            self._cap_send_buffer()
        if self.open:
            self.guard.stream(self, self.loop.time() + seconds)

    def _cap_send_buffer(self) -> None:
        # Linux grows a socket's send buffer up to tcp_wmem's max (4 MiB) for a client that
        # does not read: 200 such streams held 800 MiB of kernel memory and took 20 s to fill.
        # A fixed buffer bounds that and lets a slow reader's stall show at once.
        sock = self.transport.get_extra_info("socket") if self.transport else None
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, STREAM_SEND_BUFFER)
            except OSError:
                pass

    def drop_stream(self) -> None:
        """The stream's client stopped reading: close now, dropping what waits to be sent."""
        self.expire()

    def on_response_complete(self) -> None:
        """Rest between requests, youngest in the eviction order, until keep_alive_s."""
        pipelined = bool(self.pipeline)  # super() starts the next one
        self.streaming = False
        super().on_response_complete()
        if pipelined or not self.open or self.transport.is_closing():
            return
        self.busy = False
        self.guard.idle(self, self.loop.time() + self.limits.keep_alive_s)

    def shutdown(self) -> None:
        """Server shutdown: close an idle connection or a stream at once (TLS: no close_notify
        wait); a stream never ends by itself, so waiting for it would hold the exit forever."""
        if self.busy and not self.streaming:
            super().shutdown()
        else:
            self.expire()
