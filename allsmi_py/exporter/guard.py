"""Who may hold a connection to a server, and for how long (issue 14, items 6-8).

Every accepted connection is an entry here until it closes, in one of two tables:

* idle - waiting for its first byte or TLS handshake, reading a request head, or resting
  between keep-alive requests. Ordered by when it last started something useful (accepted,
  began a request, finished a response): bytes trickled into a head do not count, so a
  slowloris stays as old as it was when it connected.
* busy - its request head is complete and its response is being written. An event stream
  (/events) stays busy while it keeps sending; at most half the cap may be streams, so
  however many subscribe, scrapers keep the other half.

Each entry carries a deadline; `sweep()` closes those past it. At the cap, a new connection
takes the place of the entry idle longest, so a flood of silent or slow connections can
delay a scraper by one eviction but never lock it out (uvicorn's `limit_concurrency` answers
503 instead, to everyone, for as long as the flood stays).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

HEADER_TIMEOUT_S = 5.0  # accept (or a keep-alive request's first byte) to a complete head
HANDSHAKE_TIMEOUT_S = 5.0  # accept to a finished TLS handshake
KEEP_ALIVE_S = 30.0  # longer than Prometheus' default 15 s scrape interval: connections stay
RESPONSE_TIMEOUT_S = 30.0  # a client that stops reading its response holds no slot longer
MAX_CONNECTIONS = 1024  # scrapers are few; the rest is a flood to evict from
MAX_HEADER_BYTES = 16 * 1024  # request line and headers; a scrape sends about 200 bytes
# A TLS handshake in progress holds asyncio's 256 KiB read buffer; a scraper's takes a few
# milliseconds, so a few dozen at once are plenty, and a stalled-ClientHello flood stays small.
MAX_HANDSHAKES = 64


@dataclass(frozen=True, slots=True)
class Limits:
    """How long and how much one client connection may take (seconds, bytes, connections)."""

    header_timeout_s: float = HEADER_TIMEOUT_S
    handshake_timeout_s: float = HANDSHAKE_TIMEOUT_S
    keep_alive_s: float = KEEP_ALIVE_S
    response_timeout_s: float = RESPONSE_TIMEOUT_S
    max_connections: int = MAX_CONNECTIONS
    max_header_bytes: int = MAX_HEADER_BYTES
    max_handshakes: int = MAX_HANDSHAKES

    def __post_init__(self) -> None:
        for name in ("header_timeout_s", "handshake_timeout_s", "keep_alive_s",
                     "response_timeout_s", "max_connections", "max_header_bytes",
                     "max_handshakes"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)!r}")

    @property
    def sweep_every_s(self) -> float:
        """How often deadlines are checked: a quarter of the shortest, at most once a second."""
        shortest = min(self.header_timeout_s, self.handshake_timeout_s, self.keep_alive_s)
        return min(1.0, max(0.02, shortest / 4))


class Entry(Protocol):
    """A guarded connection: something that can be closed on the spot."""

    def expire(self) -> None:
        """Close the connection now, without a reply."""


class Guard:
    """The connections of one server: a cap, an eviction order and deadlines."""

    def __init__(self, max_connections: int) -> None:
        self.max_connections = max_connections
        self._idle: dict[Entry, float] = {}  # entry -> deadline (loop time), oldest first
        self._busy: dict[Entry, float] = {}
        self._streams: set[Entry] = set()  # busy entries whose response is an event stream
        self.evicted = 0
        self.expired = 0

    def __len__(self) -> int:
        return len(self._idle) + len(self._busy)

    def idle(self, entry: Entry, deadline: float) -> None:
        """Mark `entry` idle from now (youngest in eviction order) until `deadline`."""
        self._busy.pop(entry, None)
        self._idle.pop(entry, None)
        self._idle[entry] = deadline

    def busy(self, entry: Entry, deadline: float) -> None:
        """Mark `entry` busy (not evictable) until `deadline`."""
        self._idle.pop(entry, None)
        self._busy[entry] = deadline

    def stream(self, entry: Entry, deadline: float) -> None:
        """Mark `entry` busy with an event stream until `deadline` (extended as it sends)."""
        self._streams.add(entry)
        self.busy(entry, deadline)

    def may_stream(self) -> bool:
        """True while another event stream fits (streams hold at most half the cap)."""
        return len(self._streams) < max(1, self.max_connections // 2)

    def forget(self, entry: Entry) -> None:
        """Drop `entry` (it closed); a no-op when it is not here."""
        self._idle.pop(entry, None)
        self._busy.pop(entry, None)
        self._streams.discard(entry)

    def is_known(self, entry: Entry) -> bool:
        """True while `entry` holds a slot."""
        return entry in self._idle or entry in self._busy

    def evict_oldest(self) -> bool:
        """Close the entry idle longest; False when every entry is busy."""
        if not self._idle:
            return False
        oldest = next(iter(self._idle))
        del self._idle[oldest]
        self.evicted += 1
        oldest.expire()
        return True

    def make_room(self) -> bool:
        """Evict until one more connection fits under the cap; False when none can be."""
        while len(self) >= self.max_connections:
            if not self.evict_oldest():
                return False
        return True

    def sweep(self, now: float) -> int:
        """Close every entry past its deadline; how many."""
        late = [e for e, deadline in self._idle.items() if deadline <= now]
        late += [e for e, deadline in self._busy.items() if deadline <= now]
        for entry in late:
            self.forget(entry)
            entry.expire()
        self.expired += len(late)
        return len(late)

    def expire_idle(self) -> None:
        """Close every idle entry (shutting down: nothing is in flight on them)."""
        entries, self._idle = list(self._idle), {}
        for entry in entries:
            entry.expire()
