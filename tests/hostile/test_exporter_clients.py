"""Clients that attack the exporter's HTTP server (issue 14, items 6-9).

Each test runs the real server (uvicorn inside our Guard) on a loopback port in a thread,
with short limits, and attacks it with raw sockets while a scraper checks it still answers.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from allsmi_py.exporter.app import Auth, make_app
from allsmi_py.exporter.server import ExporterServer, Limits, make_server
from mock_server.http import HttpProtocol, Site, text_reply
from tests.allsmi_py.exporter.conftest import mock_snapshot
from tests.hostile.raw_clients import (
    SLOW_HEAD,
    STALLED_HELLO,
    ask,
    close_all,
    connect,
    get,
    openssl_available,
    self_signed_cert,
    send_quietly,
    still_open,
)
from tests.prometheus_util import run_api

SHORT = Limits(header_timeout_s=0.5, handshake_timeout_s=0.5, keep_alive_s=0.5,
               max_connections=100)
SWEEP_SLACK_S = 1.0  # a deadline is enforced at the next sweep, plus scheduling


@dataclass
class Running:
    """A server under test: its port, its state, and a client TLS context when it is HTTPS."""

    port: int
    server: ExporterServer
    context: ssl.SSLContext | None = None

    def wait_connections(self, count: int, timeout_s: float = 5.0) -> None:
        """Wait until the server holds exactly `count` connections."""
        deadline = time.monotonic() + timeout_s
        while len(self.server.guard) != count:
            assert time.monotonic() < deadline, f"{len(self.server.guard)} != {count}"
            time.sleep(0.01)


@contextmanager
def exporter(limits: Limits = SHORT, *, tls: tuple[Path, Path] | None = None,
             include_processes: bool = False, auth: Auth | None = None) -> Iterator[Running]:
    """Serve eight mock H100s on 127.0.0.1:<free port> until the block ends."""
    snapshot = mock_snapshot("h100:8")
    app = make_app(lambda: snapshot, include_processes=include_processes, auth=auth)
    sock = socket.create_server(("127.0.0.1", 0), backlog=2048)
    cert, key = (str(tls[0]), str(tls[1])) if tls else (None, None)
    server = make_server(app, cert, key, limits, log_config=None)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.01)
        context = ssl.create_default_context(cafile=str(tls[0])) if tls else None
        yield Running(sock.getsockname()[1], server, context)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
    assert not thread.is_alive()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate and key for 127.0.0.1."""
    if not openssl_available():
        pytest.skip("openssl CLI not installed")
    return self_signed_cert(tmp_path_factory.mktemp("tls"))


def test_an_idle_and_slowloris_flood_locks_no_scraper_out_and_is_reaped() -> None:
    with exporter() as running:
        idle = [connect(running.port) for _ in range(300)]
        slow = [connect(running.port) for _ in range(50)]
        try:
            for sock in slow:
                send_quietly(sock, SLOW_HEAD)
            statuses = []
            for _ in range(10):
                statuses.append(get(running.port)[0])
                for sock in slow:  # a byte at a time never extends a head's deadline
                    send_quietly(sock, b"a")
            assert statuses == [200] * 10
            assert len(running.server.guard) <= SHORT.max_connections
            assert running.server.guard.evicted >= 250
            left = still_open(idle + slow, SHORT.header_timeout_s + SWEEP_SLACK_S)
            assert not left, f"{len(left)} flood connections outlived the header timeout"
            running.wait_connections(0)
        finally:
            close_all(idle + slow)


def test_at_the_cap_a_newcomer_is_answered_and_the_longest_idle_is_dropped() -> None:
    limits = Limits(header_timeout_s=10, keep_alive_s=10, max_connections=20)
    with exporter(limits) as running:
        oldest = [connect(running.port) for _ in range(10)]
        running.wait_connections(10)
        scraper = connect(running.port)  # Prometheus' keep-alive connection
        younger: list[socket.socket] = []
        try:
            assert ask(scraper) == 200
            younger = [connect(running.port) for _ in range(9)]
            running.wait_connections(20)
            assert get(running.port)[0] == 200  # the 21st: the oldest idle one makes room
            assert ask(scraper) == 200  # used more recently than the oldest: kept
            assert len(still_open(oldest[:1], 1.0)) == 0
            assert len(still_open(oldest[1:] + younger, 0.2)) == 18
        finally:
            close_all([*oldest, scraper, *younger])


@pytest.mark.parametrize("chunk", [64 * 1024, 1024 * 1024], ids=["64KiB-writes", "1MiB-writes"])
def test_a_request_head_past_16_kib_gets_431_or_is_closed_quickly(chunk: int) -> None:
    with exporter(Limits()) as running:
        started = time.monotonic()
        sock = connect(running.port)
        sock.settimeout(2)
        try:
            sent = send_quietly(sock, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ")
            for _ in range(64 * 1024 * 1024 // chunk):  # up to a 64 MiB header
                if not (sent := send_quietly(sock, b"a" * chunk)):
                    break
            try:
                reply = sock.recv(4096)
            except OSError:
                reply = b""
            assert reply == b"" or reply.startswith(b"HTTP/1.1 431"), reply[:80]
            assert not sent or reply.startswith(b"HTTP/1.1 431")
            assert time.monotonic() - started < 2
        finally:
            sock.close()
        status, _ = get(running.port, headers={"X-Fill": "a" * 15_000})  # under the cap
        assert status == 200


def test_a_whole_head_past_16_kib_in_one_read_gets_431() -> None:
    with exporter(Limits()) as running:
        sock = connect(running.port)
        sock.settimeout(2)
        try:
            sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000
                         + b"\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 431")
        finally:
            sock.close()


def test_a_keep_alive_connection_left_idle_is_closed() -> None:
    with exporter() as running:
        sock = connect(running.port)
        try:
            assert ask(sock) == 200
            assert not still_open([sock], SHORT.keep_alive_s + SWEEP_SLACK_S)
        finally:
            sock.close()


def test_tls_connections_that_never_finish_a_handshake_are_closed(
        tls_files: tuple[Path, Path]) -> None:
    limits = Limits(header_timeout_s=0.5, handshake_timeout_s=0.5, max_connections=1000)
    with exporter(limits, tls=tls_files) as running:
        silent = [connect(running.port) for _ in range(300)]
        stalled = [connect(running.port) for _ in range(30)]
        handshaken: list[socket.socket] = []
        try:
            for sock in stalled:
                send_quietly(sock, STALLED_HELLO)
            assert running.context is not None
            status, body = get(running.port, context=running.context)
            assert status == 200 and b"all_smi_gpu_utilization{" in body
            # Handshaken but silent: the head deadline takes over from the handshake's.
            raw = connect(running.port)
            handshaken = [running.context.wrap_socket(raw, server_hostname="127.0.0.1")]
            left = still_open(silent + stalled, limits.handshake_timeout_s + SWEEP_SLACK_S)
            assert not left, f"{len(left)} connections outlived the handshake timeout"
            assert not still_open([handshaken[0]], limits.header_timeout_s + SWEEP_SLACK_S)
            running.wait_connections(0)
            deadline = time.monotonic() + 2  # the failed handshakes' garbage is released
            while running.server.releaser.releases == 0:
                assert time.monotonic() < deadline, "memory never released after the flood"
                time.sleep(0.02)
        finally:
            close_all([*silent, *stalled, *handshaken])


def test_stalled_handshakes_past_the_cap_replace_the_oldest(
        tls_files: tuple[Path, Path]) -> None:
    limits = Limits(handshake_timeout_s=5, max_handshakes=8)
    with exporter(limits, tls=tls_files) as running:
        stalled = [connect(running.port) for _ in range(40)]
        try:
            for sock in stalled:
                send_quietly(sock, STALLED_HELLO)
            assert running.context is not None
            assert get(running.port, context=running.context)[0] == 200
            # All but the 8 youngest are dropped long before their 5 s handshake deadline.
            assert len(still_open(stalled, 1.0)) <= limits.max_handshakes
        finally:
            close_all(stalled)


def test_snapshot_leaves_processes_out_unless_asked() -> None:
    snapshot = mock_snapshot("h100:8")
    users = {p.user for d in snapshot.devices for p in d.processes if p.user}
    commands = {p.command for d in snapshot.devices for p in d.processes if p.command}
    assert users and commands
    with exporter() as running:
        status, body = get(running.port, "/snapshot")
    assert status == 200
    assert not any(device.get("processes") for device in json.loads(body)["devices"])
    assert not any(text.encode() in body for text in users | commands)
    with exporter(include_processes=True) as running:
        _, body = get(running.port, "/snapshot")
    assert all(text.encode() in body for text in users | commands)


def test_auth_holds_through_the_guarded_server() -> None:
    with exporter(auth=Auth(bearer_token="tok")) as running:
        assert get(running.port)[0] == 401
        assert get(running.port, "/snapshot", headers={"Authorization": "Bearer nope"})[0] == 401
        assert get(running.port, headers={"Authorization": "Bearer tok"})[0] == 200
        assert get(running.port, "/healthz")[0] == 200


def test_sigterm_exits_quickly_while_a_flood_is_held(tmp_path: Path) -> None:
    with run_api(["--mock", "h100:8"], tmp_path, wait_path="/-/ready") as api:
        idle = [connect(api.port) for _ in range(200)]
        slow = [connect(api.port) for _ in range(20)]
        try:
            for sock in slow:
                send_quietly(sock, SLOW_HEAD)
            assert get(api.port)[0] == 200
            started = time.monotonic()
            api.proc.send_signal(signal.SIGTERM)
            assert api.proc.wait(timeout=5) == 0  # a clean shutdown, not 143 (issue 15)
            assert time.monotonic() - started < 0.5
        finally:
            close_all(idle + slow)


async def test_a_mock_node_applies_the_same_limits() -> None:
    site = Site(lambda method, target, headers: text_reply(200, "ok\n"), max_connections=20,
                header_timeout_s=0.3, keep_alive_s=0.3)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: HttpProtocol(site), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def sweep() -> None:
        while True:
            await asyncio.sleep(0.05)
            site.sweep(loop.time())

    async def answer(writer: asyncio.StreamWriter, reader: asyncio.StreamReader,
                     request: bytes) -> bytes:
        writer.write(request)
        return await asyncio.wait_for(reader.read(4096), 2)

    sweeper = loop.create_task(sweep())
    flood = [await asyncio.open_connection("127.0.0.1", port) for _ in range(50)]
    try:
        for _, writer in flood[:10]:
            writer.write(SLOW_HEAD)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        flood.append((reader, writer))
        assert (await answer(writer, reader, b"GET / HTTP/1.1\r\n\r\n")).startswith(
            b"HTTP/1.1 200")
        assert len(site.guard) <= 20 and site.guard.evicted >= 30
        big = await answer(writer, reader, b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 65536)
        assert big.startswith(b"HTTP/1.1 431")
        ends = await asyncio.wait_for(asyncio.gather(*(r.read() for r, _ in flood[:-1])), 2)
        assert all(end == b"" for end in ends)  # evicted, or closed at the head deadline
    finally:
        sweeper.cancel()
        for _, writer in flood:
            writer.close()
        server.close()
        await server.wait_closed()
