"""/events pieces that need no server: query values, frames, the stream cap, routing."""

from __future__ import annotations

import logging

import httpx
import pytest

from allsmi_py.exporter.app import make_app
from allsmi_py.exporter.events import (
    DEFAULT_HEARTBEAT_S,
    MAX_INTERVAL_S,
    EventOptions,
    EventStreams,
    QueryError,
    lag_frame,
    parse_params,
    snapshot_frame,
)

from .conftest import mock_snapshot


@pytest.mark.parametrize(("query", "interval_s", "throttle_s", "heartbeat_s"), [
    (b"", 2.0, 2.0, DEFAULT_HEARTBEAT_S),
    (b"throttle=0", 2.0, 2.0, DEFAULT_HEARTBEAT_S),
    (b"throttle=1", 2.0, 2.0, DEFAULT_HEARTBEAT_S),  # never faster than the collector
    (b"throttle=5&heartbeat=7", 2.0, 5.0, 7.0),
    (b"throttle=99999999999999999999", 2.0, MAX_INTERVAL_S, DEFAULT_HEARTBEAT_S),
    (b"heartbeat=0", 0.5, 0.5, DEFAULT_HEARTBEAT_S),
    (b"heartbeat=100000", 0.5, 0.5, MAX_INTERVAL_S),
    (b"include=gpus&other=x", 1.0, 1.0, DEFAULT_HEARTBEAT_S),  # unknown names are ignored
])
def test_throttle_and_heartbeat_resolve_as_all_smi_does(
        query: bytes, interval_s: float, throttle_s: float, heartbeat_s: float) -> None:
    params = parse_params(query, interval_s)
    assert (params.throttle_s, params.heartbeat_s) == (throttle_s, heartbeat_s)


@pytest.mark.parametrize("query", [b"throttle=-1", b"throttle=NaN", b"throttle=inf",
                                   b"throttle=2.5", b"throttle=", b"throttle=0x10",
                                   b"throttle=1&throttle=1", b"heartbeat=%FF",
                                   b"throttle=" + b"1" * 21, b"&".join([b"a=1"] * 17)])
def test_values_other_than_whole_seconds_are_refused(query: bytes) -> None:
    with pytest.raises(QueryError):
        parse_params(query, 1.0)


def test_a_snapshot_frame_is_one_event_with_the_json_on_one_line() -> None:
    snapshot = mock_snapshot("h100:2")
    body = snapshot.to_json()
    frame = snapshot_frame(snapshot, body)
    assert frame == b"event: snapshot\nid: 1800000000.000\ndata: " + body + b"\n\n"
    assert frame.count(b"\n") == 4
    assert lag_frame(3) == b'event: lag\ndata: {"dropped": 3}\n\n'


def test_the_cap_refuses_past_max_streams_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    streams = EventStreams(EventOptions(max_streams=2), lambda: None, lambda s: b"")
    caplog.set_level(logging.WARNING, logger="allsmi_py.exporter.events")
    assert [streams.admit({}) for _ in range(50)] == [True, True] + [False] * 48
    assert streams.refused == 48
    assert len(caplog.records) == 1
    streams.open -= 1  # a stream ended
    assert streams.admit({})


@pytest.mark.parametrize("name", ["interval_s", "max_streams", "stall_s"])
def test_options_must_be_positive(name: str) -> None:
    with pytest.raises(ValueError, match=name):
        EventOptions(**{name: 0})


async def test_events_is_served_only_when_asked_and_answers_head_and_bad_queries() -> None:
    snapshot = mock_snapshot("h100:1")
    off = make_app(lambda: snapshot)
    on = make_app(lambda: snapshot, events=EventOptions())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=off),
                                 base_url="http://node") as client:
        assert (await client.get("/events")).status_code == 404
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=on),
                                 base_url="http://node") as client:
        head = await client.head("/events")
        assert head.status_code == 200
        assert head.headers["content-type"] == "text/event-stream"
        assert (await client.post("/events")).status_code == 405
        bad = await client.get("/events?throttle=-1")
        assert bad.status_code == 400 and bad.text.endswith("\n")
