"""`allsmi service status` asks /healthz of real loopback servers: plain, TLS, broken, silent."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from allsmi_py.service.health import probe_health
from tests.hostile.raw_clients import openssl_available, self_signed_cert


class _Healthz(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = b"ok\n" * 100_000  # longer than a probe reads
        self.send_response(200 if self.path == "/healthz" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@contextmanager
def _serving(context: ssl.SSLContext | None = None) -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Healthz)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def _raw_server(reply: bytes | None) -> Iterator[int]:
    """A listener that answers every connection with `reply` and closes (None: says nothing
    and keeps it open until the end)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            if reply is None:
                held.append(conn)
                continue
            conn.recv(4096)
            conn.sendall(reply)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()


def test_plain_exporter_answers() -> None:
    with _serving() as port:
        health = probe_health("127.0.0.1", port)
    assert health.healthy and health.line == f"http://127.0.0.1:{port}/healthz answers 200"


@pytest.mark.skipif(not openssl_available(), reason="openssl CLI not installed")
def test_tls_exporter_answers_over_https(tmp_path: Path) -> None:
    cert, key = self_signed_cert(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with _serving(context) as port:
        health = probe_health("127.0.0.1", port)
    assert health.healthy and health.line == f"https://127.0.0.1:{port}/healthz answers 200"


def test_nothing_listening() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    health = probe_health("127.0.0.1", port)
    assert not health.healthy and "does not answer" in health.line


@pytest.mark.parametrize("reply", [b"garbage\r\n\r\n", b"\x00" * 100, b"HTTP/1.1 999999 x\r\n"])
def test_a_non_http_reply_is_no_answer(reply: bytes) -> None:
    with _raw_server(reply) as port:
        health = probe_health("127.0.0.1", port)
    assert not health.healthy and "does not answer" in health.line
    assert len(health.line) < 400


def test_a_silent_server_times_out() -> None:
    with _raw_server(None) as port:
        health = probe_health("127.0.0.1", port, timeout_s=0.2)
    assert not health.healthy and "does not answer" in health.line


def test_ipv6_addresses_are_bracketed() -> None:
    with socket.socket(socket.AF_INET6) as unused:
        try:
            unused.bind(("::1", 0))
        except OSError:
            pytest.skip("no IPv6 loopback")
        port = unused.getsockname()[1]
    assert f"http://[::1]:{port}/healthz" in probe_health("::1", port).line
