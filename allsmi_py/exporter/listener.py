"""Accepting by hand, so a connection costs almost nothing until it speaks (issue 14, item 8).

asyncio's `create_server(ssl=...)`, which uvicorn uses, wraps every accepted socket at once
in an SSLProtocol with a 256 KiB read buffer and a 60 s handshake timeout: 3000 connections
that never sent a ClientHello took the exporter from 35 to 953 MiB, and the heap kept it
after they closed. Here an accepted socket waits in the selector as a socket and a deadline
until it is readable; only then is it handed to `loop.connect_accepted_socket` (with TLS,
for what is left of `handshake_timeout_s`). A waiting socket holds a Guard slot like any
connection, so the cap and the eviction order cover it. At most `max_handshakes` TLS
handshakes run at once; a new one replaces the oldest.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import ssl
import sys
from collections.abc import Callable
from typing import Any

from allsmi_py.exporter.guard import Guard, Limits
from allsmi_py.exporter.protocol import GuardedHttpProtocol

ACCEPT_BATCH = 128  # accepts per readable event, as asyncio's own accept loop does
ACCEPT_PAUSE_S = 0.1  # out of file descriptors with nothing to evict: try again after this
_OUT_OF_FILES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_MIN_HANDSHAKE_S = 0.05

log = logging.getLogger(__name__)

MakeProtocol = Callable[[float], GuardedHttpProtocol]  # head deadline -> protocol


class _Waiting:
    """An accepted socket that has not sent a byte yet."""

    __slots__ = ("accepted_at", "fd", "listener", "sock")

    def __init__(self, listener: Listener, sock: socket.socket, accepted_at: float) -> None:
        self.listener, self.sock, self.accepted_at = listener, sock, accepted_at
        self.fd = sock.fileno()

    def expire(self) -> None:
        """Close the socket (evicted, or its deadline passed)."""
        self.listener.loop.remove_reader(self.fd)
        self.sock.close()

    def readable(self) -> None:
        """Its first bytes (or its end) arrived: hand it over, or close it."""
        self.listener.loop.remove_reader(self.fd)
        self.listener.guard.forget(self)
        try:
            first = self.sock.recv(1, socket.MSG_PEEK)
        except OSError:
            first = b""
        if first:
            self.listener.hand_over(self.sock, self.accepted_at)
        else:
            self.sock.close()


class Listener:
    """One listening socket served through a Guard, plain or TLS."""

    def __init__(self, sock: socket.socket, guard: Guard, limits: Limits,
                 ssl_context: ssl.SSLContext | None, make_protocol: MakeProtocol) -> None:
        self.sock = sock
        self.guard = guard
        self.limits = limits
        self.ssl_context = ssl_context
        self.make_protocol = make_protocol
        self.loop = asyncio.get_running_loop()
        self.closed = False
        self.failed_handshakes = 0  # their garbage is collected: see memory.py
        self._connecting: dict[asyncio.Task[Any], GuardedHttpProtocol] = {}  # oldest first
        self._resume: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Accept connections from now on."""
        self.sock.setblocking(False)
        self.loop.add_reader(self.sock.fileno(), self._accept)

    def close(self) -> None:
        """Stop accepting; the connections stay (the server closes or drains them)."""
        if not self.closed:
            self.closed = True
            if self._resume is not None:
                self._resume.cancel()
            self.loop.remove_reader(self.sock.fileno())
            for task in list(self._connecting):
                task.cancel()

    def _accept(self) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno == errno.ECONNABORTED:
                    continue  # the client gave up while queued
                if exc.errno in _OUT_OF_FILES and self.guard.evict_oldest():
                    return  # still readable: accept again once the evicted file is closed
                log.warning("accept failed (%s); pausing for %.1f s", exc, ACCEPT_PAUSE_S)
                self._pause()
                return
            if not self.guard.make_room():
                conn.close()  # every slot is writing a response: refuse the newcomer
                continue
            conn.setblocking(False)
            now = self.loop.time()
            waiting = _Waiting(self, conn, now)
            self.loop.add_reader(waiting.fd, waiting.readable)
            wait_s = self.limits.handshake_timeout_s if self.ssl_context else \
                self.limits.header_timeout_s
            self.guard.idle(waiting, now + wait_s)

    def _pause(self) -> None:
        self.loop.remove_reader(self.sock.fileno())
        self._resume = self.loop.call_later(ACCEPT_PAUSE_S, self._unpause)

    def _unpause(self) -> None:
        self._resume = None
        if not self.closed:
            self.loop.add_reader(self.sock.fileno(), self._accept)

    def hand_over(self, sock: socket.socket, accepted_at: float) -> None:
        """Make a transport and HTTP protocol for a socket that has spoken (TLS: handshake)."""
        if self.closed:
            sock.close()
            return
        limits = self.limits
        protocol = self.make_protocol(accepted_at + limits.header_timeout_s)
        if self.ssl_context is None:
            deadline = accepted_at + limits.header_timeout_s
            connect = self.loop.connect_accepted_socket(lambda: protocol, sock)
        else:
            deadline = accepted_at + limits.handshake_timeout_s
            options: dict[str, Any] = {
                "ssl": self.ssl_context,
                "ssl_handshake_timeout": max(_MIN_HANDSHAKE_S, deadline - self.loop.time())}
            if sys.version_info >= (3, 11):  # close_notify waits 30 s by default
                options["ssl_shutdown_timeout"] = limits.handshake_timeout_s
            connect = self.loop.connect_accepted_socket(lambda: protocol, sock, **options)
        while self.ssl_context is not None and len(self._connecting) >= limits.max_handshakes:
            oldest = next(iter(self._connecting))  # each holds a 256 KiB buffer: cap them
            del self._connecting[oldest]
            oldest.cancel()
        task = self.loop.create_task(connect)
        protocol.handshake = task
        self._connecting[task] = protocol
        self.guard.idle(protocol, deadline + _MIN_HANDSHAKE_S)
        task.add_done_callback(lambda done: self._handed_over(done, protocol, sock))

    def _handed_over(self, task: asyncio.Task[Any], protocol: GuardedHttpProtocol,
                     sock: socket.socket) -> None:
        self._connecting.pop(task, None)
        if not task.cancelled():
            task.exception()  # a failed handshake: asyncio has closed the socket already
        if protocol.transport is None:  # never connected: cancelled, timed out, or refused
            protocol.handshake = None
            protocol.parser = None  # the parser <-> protocol cycle, gone without the collector
            self.guard.forget(protocol)
            sock.close()
            self.failed_handshakes += 1
