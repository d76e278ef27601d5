"""Raw-socket clients that attack an HTTP server, and a self-signed certificate for TLS ones.

Shared by tests/hostile/test_exporter_clients.py and tests/benchmarks/bench_exporter_flood.py.
"""

from __future__ import annotations

import http.client
import selectors
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

SLOW_HEAD = b"GET /metrics HTTP/1.1\r\nHost: flood\r\nX-Slow: "
# The first bytes of a TLS record holding a ClientHello, then nothing: the handshake stalls.
STALLED_HELLO = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"


def connect(port: int) -> socket.socket:
    """A TCP connection to 127.0.0.1:port that sends nothing."""
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def send_quietly(sock: socket.socket, data: bytes) -> bool:
    """Send `data`; False when the server has closed the connection."""
    try:
        sock.sendall(data)
    except OSError:
        return False
    return True


def still_open(socks: Iterable[socket.socket], within_s: float) -> list[socket.socket]:
    """The sockets the server has not closed (EOF or reset) within `within_s` seconds."""
    pending = {sock.fileno(): sock for sock in socks}
    deadline = time.monotonic() + within_s
    with selectors.DefaultSelector() as selector:
        for sock in pending.values():
            selector.register(sock, selectors.EVENT_READ)
        while pending and (left := deadline - time.monotonic()) > 0:
            for key, _ in selector.select(timeout=left):
                sock = pending[key.fd]
                try:
                    data = sock.recv(65536)
                except (BlockingIOError, TimeoutError):
                    continue
                except OSError:
                    data = b""
                if not data:
                    selector.unregister(sock)
                    del pending[key.fd]
    return list(pending.values())


def ask(sock: socket.socket, path: str = "/healthz") -> int:
    """Send one GET on an open keep-alive connection; the status, after reading the body."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a reply")
        reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-body")
        body += chunk
    return int(head.split(b" ")[1])


def close_all(socks: Iterable[socket.socket]) -> None:
    """Close every socket."""
    for sock in socks:
        sock.close()


def get(port: int, path: str = "/metrics", *, context: ssl.SSLContext | None = None,
        headers: dict[str, str] | None = None, timeout_s: float = 2.0) -> tuple[int, bytes]:
    """(status, body) of one GET on a new connection (HTTPS with `context`)."""
    conn: http.client.HTTPConnection
    if context is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    else:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout_s,
                                           context=context)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def openssl_available() -> bool:
    """True when the openssl CLI is installed."""
    return shutil.which("openssl") is not None


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """(cert, key) PEM files for 127.0.0.1, made with the openssl CLI."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key
