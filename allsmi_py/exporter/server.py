"""Serving the exporter app with uvicorn on a socket we bind ourselves.

Binding first turns "port in use" or "cannot bind" into one line and exit 2 instead of a
uvicorn log and a traceback; the TLS files are loaded once up front for the same reason.
"""

from __future__ import annotations

import socket
import ssl

import uvicorn

from allsmi_py.errors import UsageError
from allsmi_py.exporter.app import ASGIApp

# uvicorn answers 503 beyond this many connections+requests, so a flood of idle or
# slowloris connections cannot exhaust file descriptors; scrapes are short and few.
LIMIT_CONCURRENCY = 1024
KEEP_ALIVE_S = 30  # longer than Prometheus' default 15 s scrape interval, so connections stay


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
        sock.listen(2048)
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


def serve(app: ASGIApp, sock: socket.socket, tls_cert: str | None = None,
          tls_key: str | None = None) -> None:
    """Serve `app` on the bound socket until SIGINT/SIGTERM (uvicorn, httptools, keep-alive)."""
    config = uvicorn.Config(
        app,
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=KEEP_ALIVE_S,
        limit_concurrency=LIMIT_CONCURRENCY,
        ssl_certfile=tls_cert or None,
        ssl_keyfile=tls_key or None,
    )
    uvicorn.Server(config).run(sockets=[sock])
