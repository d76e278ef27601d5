"""Clients of /events, the exporter's Server-Sent Events stream, against the real server.

Each test serves a snapshot source on a loopback port in a thread (uvicorn inside our
Guard) and opens streams with raw sockets or http.client: slow readers, a thousand
subscribers, bad query values, clients that leave mid-frame, and missing credentials.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from allsmi_py.exporter.app import Auth, make_app
from allsmi_py.exporter.events import EventOptions
from allsmi_py.exporter.server import ExporterServer, Limits, make_server
from allsmi_py.model import NodeSnapshot
from tests.allsmi_py.exporter.conftest import mock_snapshot
from tests.hostile.raw_clients import close_all, connect, get
from tests.prometheus_util import run_api

FAST = EventOptions(interval_s=0.05, stall_s=0.5)
EVENTS_LOGGER = "allsmi_py.exporter.events"


class Changing:
    """A source that returns a new snapshot object (one second later) on every call."""

    def __init__(self, snapshot: NodeSnapshot) -> None:
        self.snapshot = snapshot
        self.calls = 0

    def __call__(self) -> NodeSnapshot:
        self.calls += 1
        return dataclasses.replace(self.snapshot,
                                   taken_at_s=self.snapshot.taken_at_s + self.calls)


@dataclass
class Running:
    """A server under test: its port and its state."""

    port: int
    server: ExporterServer

    def wait_connections(self, count: int, timeout_s: float = 10.0) -> None:
        """Wait until the server holds exactly `count` connections."""
        deadline = time.monotonic() + timeout_s
        while len(self.server.guard) != count:
            assert time.monotonic() < deadline, f"{len(self.server.guard)} != {count}"
            time.sleep(0.01)


@contextmanager
def events_server(source: Callable[[], NodeSnapshot | None], options: EventOptions = FAST, *,
                  auth: Auth | None = None, include_processes: bool = False,
                  limits: Limits | None = None) -> Iterator[Running]:
    """Serve `source` with /events on 127.0.0.1:<free port> until the block ends."""
    app = make_app(source, include_processes=include_processes, auth=auth, events=options)
    sock = socket.create_server(("127.0.0.1", 0), backlog=2048)
    server = make_server(app, None, None, limits or Limits(), log_config=None)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.01)
        yield Running(sock.getsockname()[1], server)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
    assert not thread.is_alive(), "the server did not stop with streams open"


def open_stream(port: int, path: str = "/events",
                headers: dict[str, str] | None = None) -> tuple[http.client.HTTPConnection,
                                                                http.client.HTTPResponse]:
    """A GET of `path` whose response is left unread."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path, headers=headers or {})
    return conn, conn.getresponse()


def next_event(response: http.client.HTTPResponse) -> dict[str, str]:
    """The fields of the next event (a comment is {"": text}), read up to its blank line."""
    fields: dict[str, str] = {}
    while True:
        line = response.readline()
        assert line, "the stream ended"
        if line == b"\n":
            return fields
        name, _, value = line.decode().rstrip("\n").partition(":")
        fields[name] = value.removeprefix(" ")


def test_a_stream_sends_snapshot_events_of_the_snapshot_json_then_heartbeats() -> None:
    snapshot = mock_snapshot("h100:8")
    with events_server(lambda: snapshot) as running:
        conn, response = open_stream(running.port, "/events?heartbeat=1")
        try:
            assert response.status == 200
            assert response.getheader("content-type") == "text/event-stream"
            assert response.getheader("cache-control") == "no-store"
            assert response.getheader("x-accel-buffering") == "no"
            event = next_event(response)
            assert event["event"] == "snapshot"
            assert event["id"] == f"{snapshot.taken_at_s:.3f}"
            assert event["data"].encode() == get(running.port, "/snapshot")[1]
            # The same snapshot is not sent twice: what follows is a heartbeat comment.
            assert next_event(response) == {"": "keep-alive"}
        finally:
            conn.close()


def test_each_new_snapshot_is_a_new_event() -> None:
    source = Changing(mock_snapshot("h100:1"))
    with events_server(source) as running:
        conn, response = open_stream(running.port, "/events?throttle=0")
        try:
            ids = [float(next_event(response)["id"]) for _ in range(3)]
            assert ids == sorted(ids) and len(set(ids)) == 3
        finally:
            conn.close()


def test_processes_stay_out_of_events_unless_the_exporter_serves_them() -> None:
    snapshot = mock_snapshot("h100:8")
    commands = {p.command for d in snapshot.devices for p in d.processes if p.command}
    assert commands
    for include in (False, True):
        with events_server(lambda: snapshot, include_processes=include) as running:
            conn, response = open_stream(running.port)
            try:
                data = json.loads(next_event(response)["data"])
            finally:
                conn.close()
        shown = {p["command"] for d in data["devices"] for p in d.get("processes", ())}
        assert (shown == commands) if include else not shown


@pytest.mark.parametrize("query", ["throttle=-1", "throttle=NaN", "throttle=nan",
                                   "throttle=1.5", "throttle=1e9", "throttle=", "throttle=abc",
                                   "throttle=1&throttle=2", "heartbeat=-5",
                                   "throttle=" + "9" * 21, "throttle=%EF%BC%91"])
def test_a_throttle_or_heartbeat_that_is_not_whole_seconds_is_400(query: str) -> None:
    snapshot = mock_snapshot("h100:1")
    with events_server(lambda: snapshot) as running:
        status, body = get(running.port, f"/events?{query}")
        assert status == 400
        assert body.count(b"\n") == 1 and b"seconds" in body or b"more than once" in body
        running.wait_connections(0)


@pytest.mark.parametrize("query", ["throttle=0", "throttle=99999999999999999999",
                                   "heartbeat=0", "heartbeat=86401", "unknown=1"])
def test_zero_and_huge_values_are_clamped_and_stream(query: str) -> None:
    snapshot = mock_snapshot("h100:1")
    with events_server(lambda: snapshot) as running:
        conn, response = open_stream(running.port, f"/events?{query}")
        try:
            assert response.status == 200
            assert next_event(response)["event"] == "snapshot"
        finally:
            conn.close()


def test_events_need_the_same_credentials_as_metrics() -> None:
    snapshot = mock_snapshot("h100:1")
    with events_server(lambda: snapshot, auth=Auth(bearer_token="tok")) as running:
        status, _ = get(running.port, "/events")
        assert status == 401
        assert get(running.port, "/events", headers={"Authorization": "Bearer no"})[0] == 401
        conn, response = open_stream(running.port, headers={"Authorization": "Bearer tok"})
        try:
            assert response.status == 200
            assert next_event(response)["event"] == "snapshot"
        finally:
            conn.close()


def test_a_reader_that_never_reads_is_dropped_and_scrapes_go_on() -> None:
    source = Changing(mock_snapshot("h100:64"))  # a few hundred KiB a frame, every 50 ms
    with events_server(source) as running:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", running.port))
        try:
            sock.sendall(b"GET /events?throttle=0 HTTP/1.1\r\nHost: x\r\n\r\n")
            running.wait_connections(1)
            assert get(running.port, "/metrics")[0] == 200
            # Its buffers fill, the next frame waits past stall_s, and the server lets it go.
            running.wait_connections(0)
            assert get(running.port, "/metrics")[0] == 200
        finally:
            sock.close()


def test_a_reader_that_pauses_is_told_how_many_snapshots_it_missed() -> None:
    source = Changing(mock_snapshot("h100:64"))
    with events_server(source, EventOptions(interval_s=0.05, stall_s=10)) as running:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", running.port))
        try:
            sock.sendall(b"GET /events?throttle=0 HTTP/1.0\r\n\r\n")
            time.sleep(1.5)  # its buffers fill; the next frame waits for it, snapshots go by
            sock.settimeout(5)
            seen = b""
            while b"event: lag\n" not in seen:
                chunk = sock.recv(1 << 20)
                assert chunk, "the stream ended without a lag event"
                seen = seen[-200_000:] + chunk
            lag = seen[seen.index(b"event: lag\n"):].split(b"\n\n", 1)[0]
            dropped = json.loads(lag.split(b"data: ", 1)[1])["dropped"]
            assert dropped >= 1
        finally:
            sock.close()


def test_a_thousand_subscribers_are_capped_with_one_log_line(
        caplog: pytest.LogCaptureFixture) -> None:
    snapshot = mock_snapshot("h100:1")
    options = EventOptions(interval_s=0.05, max_streams=100)
    caplog.set_level(logging.WARNING, logger=EVENTS_LOGGER)
    with events_server(lambda: snapshot, options) as running:
        socks = [connect(running.port) for _ in range(1000)]
        try:
            for sock in socks:
                sock.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            statuses = [_status(sock) for sock in socks]
            assert statuses.count(200) == 100
            assert statuses.count(503) == 900
            # Streams are busy slots, capped apart from the connection cap: scrapes still fit.
            assert get(running.port, "/metrics")[0] == 200
            assert len(running.server.guard) <= 1001
        finally:
            close_all(socks)
        running.wait_connections(0)
        conn, response = open_stream(running.port)  # the slots are free again
        try:
            assert response.status == 200
        finally:
            conn.close()
    cap_lines = [r for r in caplog.records if r.name == EVENTS_LOGGER]
    assert len(cap_lines) == 1 and "cap of 100 streams" in cap_lines[0].getMessage()


def test_streams_never_take_more_than_half_the_connection_cap() -> None:
    snapshot = mock_snapshot("h100:1")
    with events_server(lambda: snapshot, limits=Limits(max_connections=40)) as running:
        socks = [connect(running.port) for _ in range(30)]
        try:
            for sock in socks:
                sock.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            statuses = [_status(sock) for sock in socks]
            assert (statuses.count(200), statuses.count(503)) == (20, 10)
            assert all(get(running.port, "/metrics")[0] == 200 for _ in range(5))
        finally:
            close_all(socks)


def test_a_refused_subscriber_gets_json_and_a_retry_after() -> None:
    snapshot = mock_snapshot("h100:1")
    with events_server(lambda: snapshot, EventOptions(interval_s=0.05, max_streams=1)) as run:
        conn, response = open_stream(run.port)
        try:
            assert response.status == 200
            refused = http.client.HTTPConnection("127.0.0.1", run.port, timeout=5)
            refused.request("GET", "/events")
            answer = refused.getresponse()
            assert answer.status == 503
            assert answer.getheader("retry-after") == "5"
            assert json.loads(answer.read())["error"] == "subscriber_cap_exceeded"
            refused.close()
        finally:
            conn.close()


def test_a_client_that_leaves_mid_event_frees_its_stream(
        caplog: pytest.LogCaptureFixture) -> None:
    source = Changing(mock_snapshot("h100:64"))
    caplog.set_level(logging.ERROR)
    with events_server(source, EventOptions(interval_s=0.05, max_streams=1)) as running:
        for _ in range(3):
            conn, response = open_stream(running.port, "/events?throttle=0")
            assert response.status == 200
            assert response.read(1000)  # part of the first frame, then gone
            conn.close()
            running.wait_connections(0)  # the only stream slot is free again
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_failing_source_logs_once_and_the_stream_resumes_when_it_works(
        caplog: pytest.LogCaptureFixture) -> None:
    snapshot = mock_snapshot("h100:1")
    broken = threading.Event()
    broken.set()

    def source() -> NodeSnapshot:
        if broken.is_set():
            raise RuntimeError("backend exploded")
        return snapshot

    caplog.set_level(logging.ERROR, logger=EVENTS_LOGGER)
    with events_server(source) as running:
        conn, response = open_stream(running.port, "/events?heartbeat=1")
        try:
            assert response.status == 200
            assert next_event(response) == {"": "keep-alive"}  # no frame while it fails
            broken.clear()
            assert next_event(response)["event"] == "snapshot"
        finally:
            conn.close()
    assert len([r for r in caplog.records if r.name == EVENTS_LOGGER]) == 1


def test_the_server_stops_at_once_with_streams_open() -> None:
    snapshot = mock_snapshot("h100:1")
    with events_server(lambda: snapshot) as running:
        streams = [open_stream(running.port) for _ in range(5)]
        for _, response in streams:
            assert next_event(response)["event"] == "snapshot"
    # events_server's exit asserts the server thread ended within its join timeout.
    for conn, _ in streams:
        conn.close()


def test_allsmi_api_streams_events_and_sigterm_ends_the_streams(tmp_path: Path) -> None:
    with run_api(["--mock", "h100:2", "--interval", "0.2"], tmp_path,
                 wait_path="/-/ready") as api:
        conn, response = open_stream(api.port, "/events?throttle=0")
        try:
            ids = [float(next_event(response)["id"]) for _ in range(2)]
            assert ids[1] > ids[0]  # one event per collection
            api.proc.send_signal(signal.SIGTERM)
            assert api.proc.wait(timeout=5) == 0
        finally:
            conn.close()


def _status(sock: socket.socket) -> int:
    head = b""
    while b"\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            return 0
        head += chunk
    return int(head.split(b" ", 2)[1])
