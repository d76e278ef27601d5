"""Serving the exporter app with uvicorn on a socket we bind ourselves, inside client limits.

Binding first turns "port in use" or "cannot bind" into one line and exit 2 instead of a
uvicorn log and a traceback; the TLS files are loaded once up front for the same reason.
uvicorn parses HTTP and runs the app; accepting, the TLS handshake and every per-client
limit (`Limits`: header and handshake deadlines, header size, keep-alive, a connection cap
that evicts the longest-idle connection) are ours - see guard.py, listener.py, protocol.py,
and memory.py for how a flood's memory is given back.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import socket
import ssl
from collections.abc import Iterator
from typing import Any

import uvicorn

from allsmi_py.errors import UsageError
from allsmi_py.exporter.app import ASGIApp
from allsmi_py.exporter.guard import Guard, Limits
from allsmi_py.exporter.listener import Listener
from allsmi_py.exporter.memory import Releaser
from allsmi_py.exporter.protocol import GuardedHttpProtocol

__all__ = ["ExporterServer", "Limits", "bind_socket", "check_tls", "make_server", "serve"]

LISTEN_BACKLOG = 2048
SPARE_FDS = 64  # stdio, the event loop, the listening socket, backend libraries' files


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port; UsageError naming the problem when it fails."""
    if not 1 <= port <= 65535:
        raise UsageError(f"--port must be between 1 and 65535, not {port}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this on Linux. Without it, the body (written after the
        # headers) waits for the client's delayed ACK: 40 ms per keep-alive request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(LISTEN_BACKLOG)
    except OSError as exc:
        sock.close()
        reason = "address already in use" if exc.errno == 98 else (exc.strerror or str(exc))
        raise UsageError(f"cannot listen on {host}:{port}: {reason} "
                         "(choose another --port or --bind)") from None
    sock.set_inheritable(True)
    return sock


def check_tls(cert: str | None, key: str | None) -> None:
    """Raise UsageError unless cert and key are both absent or both load as a TLS key pair."""
    if not cert and not key:
        return
    if not cert or not key:
        raise UsageError("TLS needs both --tls-cert and --tls-key")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"cannot load TLS certificate {cert} / key {key}: {exc}") from None


def connection_cap(wanted: int) -> int:
    """`wanted`, or fewer when the open-file limit cannot be raised to hold that many."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + SPARE_FDS
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, int(soft) - SPARE_FDS))


class ExporterServer(uvicorn.Server):
    """uvicorn's server loop and shutdown, with our own accept loop, protocol and Guard."""

    def __init__(self, config: uvicorn.Config, limits: Limits) -> None:
        super().__init__(config)
        self.limits = limits
        self.guard = Guard(connection_cap(limits.max_connections))
        self.listeners: list[Listener] = []
        self.releaser = Releaser()
        self._sweeper: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start accepting on `sockets` (required: we always bind our own)."""
        if not sockets:
            raise ValueError("ExporterServer serves only sockets bound beforehand")
        await self.lifespan.startup()
        config, state, app_state = self.config, self.server_state, self.lifespan.state
        ssl_context = config.ssl if config.is_ssl else None

        def make_protocol(head_deadline: float) -> GuardedHttpProtocol:
            return GuardedHttpProtocol(config, state, app_state, self.guard, self.limits,
                                       head_deadline)

        self.servers = []  # uvicorn's shutdown closes these; ours are the listeners
        for sock in sockets:
            # TLS is for TCP; a unix socket is guarded by its file mode (unix_socket.py).
            tls = None if sock.family == socket.AF_UNIX else ssl_context
            listener = Listener(sock, self.guard, self.limits, tls, make_protocol)
            listener.start()
            self.listeners.append(listener)
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        self.started = True

    async def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.limits.sweep_every_s)
            now = loop.time()
            self.guard.sweep(now)
            failures = sum(listener.failed_handshakes for listener in self.listeners)
            self.releaser.after_sweep(now, failures, len(self.guard))

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """uvicorn's SIGINT/SIGTERM handling, without re-raising the signal once shut down."""
        # uvicorn re-raises a caught signal after its graceful shutdown, so SIGTERM's default
        # action ends the process with 143 (SIGINT: KeyboardInterrupt, 130). Our shutdown is
        # complete by then: `allsmi api` exits 0 as all-smi's exporter does (issue 15).
        with super().capture_signals():
            try:
                yield
            finally:
                self._captured_signals.clear()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop accepting, close idle connections at once, then let uvicorn drain the rest."""
        for listener in self.listeners:
            listener.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
        self.guard.expire_idle()
        await super().shutdown(sockets=sockets)


def make_server(app: ASGIApp, tls_cert: str | None = None, tls_key: str | None = None,
                limits: Limits | None = None, **uvicorn_options: Any) -> ExporterServer:
    """An ExporterServer for `app`; run it with `.run(sockets=[sock])`."""
    limits = limits or Limits()
    config = uvicorn.Config(
        app,
        http="httptools",
        ws="none",
        loop="asyncio",  # the listener relies on add_reader and connect_accepted_socket
        lifespan="off",
        access_log=False,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
        # Ours is enforced by the Guard's sweep; uvicorn's own timer is only a backstop.
        timeout_keep_alive=int(limits.keep_alive_s) + 1,
        limit_concurrency=None,  # uvicorn would answer 503 to everyone; the Guard evicts
        ssl_certfile=tls_cert or None,
        ssl_keyfile=tls_key or None,
        **uvicorn_options,
    )
    return ExporterServer(config, limits)


def serve(app: ASGIApp, sockets: list[socket.socket], tls_cert: str | None = None,
          tls_key: str | None = None, limits: Limits | None = None) -> None:
    """Serve `app` on the bound sockets until SIGINT/SIGTERM (uvicorn, httptools, keep-alive).

    TCP and unix sockets share one Guard, so the connection cap covers both.
    """
    make_server(app, tls_cert, tls_key, limits).run(sockets=sockets)
