"""GET /events: the snapshot JSON as Server-Sent Events, as all-smi serves it (issue 21, item 3).

What we match in all-smi's `src/api/handlers/events.rs`: one `event: snapshot` frame per
new snapshot (`id:` its timestamp, `data:` the /snapshot JSON on one line); `?throttle=N`,
whole seconds between frames, clamped to at least the collection interval and at most a day
(0 or absent: the interval); `?heartbeat=N`, seconds between `: keep-alive` comments (0 or
absent: 30, at most a day); integers only, anything else is 400 as axum's `Query<u64>`
answers; `event: lag` with `{"dropped": n}` when frames were lost to a slow reader; a cap on
concurrent streams (256), past which a client gets 503 JSON with `retry-after: 5`;
`cache-control: no-store` and `x-accel-buffering: no`. all-smi's `?include=` filter is not.

Memory stays flat per client: a stream sends the newest snapshot only once its previous
frame has been taken by the transport (uvicorn waits for the write buffer to drain below
its high-water mark), so at most one frame waits for a slow reader; one that takes nothing
for `stall_s` is dropped. One poller per server watches `get_snapshot()` for all streams,
and each snapshot's frame is rendered once however many streams send it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl

from allsmi_py.model import NodeSnapshot

log = logging.getLogger(__name__)

EVENT_STREAM = "text/event-stream"
DEFAULT_HEARTBEAT_S = 30  # all-smi's: under the 60 s / 75 s idle timeouts of nginx / haproxy
MAX_INTERVAL_S = 86_400
MAX_STREAMS = 256  # all-smi's ALL_SMI_API_MAX_SSE_SUBSCRIBERS default
STALL_S = 10.0  # a frame not taken by the client in this long drops it
CAP_LOG_EVERY_S = 60.0
KEEP_ALIVE = b": keep-alive\n\n"
ERROR_FRAME = b'event: error\ndata: {"error": "internal error"}\n\n'
STREAM_KEY = "allsmi.stream"  # scope["extensions"] entry our HTTP protocol provides
_MAX_QUERY_FIELDS = 16
_MAX_DIGITS = 20  # a u64, as all-smi's query parser takes


class StreamSlot(Protocol):
    """What the server lends a streaming response: its connection's place in the Guard."""

    def may_stream(self) -> bool:
        """True when the server has room for one more stream (at most half its connections)."""

    def hold_stream(self, seconds: float) -> None:
        """Keep the connection (busy, never evicted) for `seconds` more."""

    def drop_stream(self) -> None:
        """Close the connection now, discarding what it has not sent."""


class QueryError(ValueError):
    """A /events query parameter that is not a whole number of seconds."""


@dataclass(frozen=True, slots=True)
class EventOptions:
    """How /events streams: the collection interval (s) and limits per stream and server."""

    interval_s: float = 1.0
    max_streams: int = MAX_STREAMS
    stall_s: float = STALL_S

    def __post_init__(self) -> None:
        for name in ("interval_s", "max_streams", "stall_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)!r}")


@dataclass(frozen=True, slots=True)
class StreamParams:
    """One client's cadence: seconds between frames and between heartbeats."""

    throttle_s: float
    heartbeat_s: float


def _seconds(values: list[str], name: str) -> int | None:
    if not values:
        return None
    if len(values) > 1:
        raise QueryError(f"{name} given more than once")
    text = values[0]
    if not (0 < len(text) <= _MAX_DIGITS and text.isascii() and text.isdigit()):
        raise QueryError(f"{name} must be a whole number of seconds, not {text[:40]!r}")
    return int(text)


def parse_params(query: bytes, interval_s: float) -> StreamParams:
    """?throttle= and ?heartbeat= resolved as all-smi does; QueryError for a bad value."""
    try:
        fields = parse_qsl(query.decode("latin-1"), keep_blank_values=True,
                           max_num_fields=_MAX_QUERY_FIELDS)
    except ValueError:
        raise QueryError("too many query parameters") from None
    throttle = _seconds([v for k, v in fields if k == "throttle"], "throttle")
    heartbeat = _seconds([v for k, v in fields if k == "heartbeat"], "heartbeat")
    floor = min(interval_s, MAX_INTERVAL_S)
    throttle_s = floor if not throttle else max(floor, min(throttle, MAX_INTERVAL_S))
    heartbeat_s = DEFAULT_HEARTBEAT_S if not heartbeat else min(heartbeat, MAX_INTERVAL_S)
    return StreamParams(float(throttle_s), float(heartbeat_s))


def snapshot_frame(snapshot: NodeSnapshot, body: bytes) -> bytes:
    """One `snapshot` event: its id is the snapshot's time, its data the compact JSON."""
    return b"event: snapshot\nid: %.3f\ndata: %s\n\n" % (snapshot.taken_at_s, body)


def lag_frame(dropped: int) -> bytes:
    """The `lag` event: how many snapshots went by while the client was not reading."""
    return b'event: lag\ndata: {"dropped": %d}\n\n' % dropped


class SnapshotWatch:
    """Numbers each new object `get_snapshot()` returns; one poller wakes every stream."""

    def __init__(self, get_snapshot: Callable[[], NodeSnapshot | None], poll_s: float) -> None:
        self.get_snapshot = get_snapshot
        self.poll_s = poll_s
        self.latest: NodeSnapshot | None = None
        self.seq = 0
        self.watchers = 0
        self.failing = False  # logged once until the source works again
        self._changed: asyncio.Future[None] | None = None  # one for every waiting stream
        self._task: asyncio.Task[None] | None = None

    def look(self) -> None:
        """Take the source's latest snapshot; wake the streams when it is a new one."""
        try:
            snapshot = self.get_snapshot()
        except Exception:  # noqa: BLE001 - as /snapshot's 500: the streams wait, nothing leaks
            if not self.failing:
                log.exception("the snapshot source failed; /events waits for it")
            self.failing = True
            return
        self.failing = False
        if snapshot is None or snapshot is self.latest:
            return
        self.latest, self.seq = snapshot, self.seq + 1
        if self._changed is not None:
            changed, self._changed = self._changed, self._changed.get_loop().create_future()
            changed.set_result(None)

    def join(self) -> None:
        """A stream starts watching (starts the poller on this loop for the first)."""
        self.watchers += 1
        loop = asyncio.get_running_loop()
        if self._changed is None:
            self._changed = loop.create_future()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._poll())

    def leave(self) -> None:
        """A stream stops watching (the last one stops the poller)."""
        self.watchers -= 1
        if self.watchers == 0 and self._task is not None:
            self._task.cancel()
            if self._changed is not None:
                self._changed.cancel()
            self._task, self._changed = None, None

    async def newer_than(self, seq: int, timeout_s: float, gone: asyncio.Future[None]) -> bool:
        """Wait up to `timeout_s` for a snapshot numbered above `seq`, or until `gone`; True
        when there is one."""
        self.look()
        if self.seq > seq:
            return True
        assert self._changed is not None, "join() first"
        await asyncio.wait((self._changed, gone), timeout=max(0.0, timeout_s),
                           return_when=asyncio.FIRST_COMPLETED)
        return self.seq > seq

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            self.look()


class EventStreams:
    """Every /events stream of one app: the cap, the watch, and one client's loop."""

    def __init__(self, options: EventOptions, get_snapshot: Callable[[], NodeSnapshot | None],
                 render: Callable[[NodeSnapshot], bytes]) -> None:
        self.options = options
        self.render = render  # snapshot -> its frame, cached per snapshot by the app
        self.watch = SnapshotWatch(get_snapshot, max(0.05, min(0.5, options.interval_s / 4)))
        self.open = 0
        self.refused = 0
        self.dropped_slow = 0
        self._cap_logged_at: float | None = None

    def admit(self, scope: Any) -> bool:
        """Take a stream slot; False (logged at most once a minute) when all are taken."""
        slot: StreamSlot | None = scope.get("extensions", {}).get(STREAM_KEY)
        if self.open < self.options.max_streams and (slot is None or slot.may_stream()):
            self.open += 1
            return True
        self.refused += 1
        now = time.monotonic()
        if self._cap_logged_at is None or now - self._cap_logged_at >= CAP_LOG_EVERY_S:
            log.warning("/events is at its cap of %d streams (or half the server's "
                        "connections): refusing new ones with 503 (%d refused so far; logged "
                        "at most once a minute)", self.options.max_streams, self.refused)
            self._cap_logged_at = now
        return False

    async def stream(self, scope: Any, receive: Any, send: Any, params: StreamParams) -> None:
        """Send frames until the client goes, is too slow, or the server stops. admit() first."""
        slot: StreamSlot | None = scope.get("extensions", {}).get(STREAM_KEY)
        hold_s = params.heartbeat_s + self.options.stall_s
        self.watch.join()
        gone = asyncio.ensure_future(_disconnected(receive))
        client = _Client(self, send, slot, gone, hold_s)
        try:
            if slot is not None:
                slot.hold_stream(hold_s)
            start = {"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS}
            if await client.send(start):
                await self._frames(client, params)
        finally:
            gone.cancel()
            self.watch.leave()
            self.open -= 1

    async def _frames(self, client: _Client, params: StreamParams) -> None:
        watch = self.watch
        sent_seq = 0
        next_frame_at = 0.0
        next_beat_at = time.monotonic() + params.heartbeat_s
        while not client.gone.done():
            now = time.monotonic()
            if now < next_frame_at:  # throttled: nothing but heartbeats until then
                await asyncio.wait([client.gone], timeout=min(next_frame_at, next_beat_at) - now)
                fresh = False
            else:
                fresh = await watch.newer_than(sent_seq, next_beat_at - now, client.gone)
            if fresh and watch.latest is not None:
                seq, started = watch.seq, time.monotonic()
                if not await client.body(self._render(watch.latest)):
                    return
                # Snapshots that came and went while the client was still taking this frame.
                skipped = watch.seq - seq
                late = time.monotonic() - started >= params.throttle_s
                if skipped and late and not await client.body(lag_frame(skipped)):
                    return
                sent_seq, next_frame_at = seq, started + params.throttle_s
            elif time.monotonic() >= next_beat_at:
                if not await client.body(KEEP_ALIVE):
                    return
            else:
                continue
            next_beat_at = time.monotonic() + params.heartbeat_s

    def _render(self, snapshot: NodeSnapshot) -> bytes:
        try:
            return self.render(snapshot)
        except Exception:  # noqa: BLE001 - as /snapshot's 500: no traceback to the client
            log.exception("cannot render a snapshot for /events")
            return ERROR_FRAME


class _Client:
    """One stream's way out: sends with a stall deadline, holding its Guard slot meanwhile."""

    def __init__(self, streams: EventStreams, send: Any, slot: StreamSlot | None,
                 gone: asyncio.Future[None], hold_s: float) -> None:
        self.streams, self._send, self.slot, self.gone = streams, send, slot, gone
        self.hold_s = hold_s

    async def body(self, data: bytes) -> bool:
        """Send part of the body; False when the stream is over."""
        sent = await self.send({"type": "http.response.body", "body": data, "more_body": True})
        if sent and self.slot is not None:
            self.slot.hold_stream(self.hold_s)
        return sent

    async def send(self, message: dict[str, Any]) -> bool:
        """Send one message; False when the client went, or was dropped for not reading."""
        try:
            await asyncio.wait_for(self._send(message), self.streams.options.stall_s)
        except asyncio.TimeoutError:
            self.streams.dropped_slow += 1
            if self.slot is not None:
                self.slot.drop_stream()
            return False
        except OSError:  # the client went mid-frame
            return False
        return not self.gone.done()


STREAM_HEADERS = [(b"content-type", EVENT_STREAM.encode()), (b"cache-control", b"no-store"),
                  (b"x-accel-buffering", b"no")]


async def _disconnected(receive: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
