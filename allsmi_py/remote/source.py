"""What every cluster source offers: one round on demand, a live picture, async with.

`poll_once` is one round over the whole cluster (`allsmi snapshot --hosts`). The view uses
`live` and `current` instead: `live` keeps the picture fresh in the background, `current`
reads the newest of it at each redraw, so a slow round or node never holds the screen. By
default `live` runs one round after another; ClusterPoller reads each node on its own
schedule (schedule.py).
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TypeVar

from allsmi_py.model import ClusterSnapshot

S = TypeVar("S", bound="RoundSource")


class RoundSource(ABC):
    """A source of ClusterSnapshots (direct scraping or a Prometheus server)."""

    _latest: ClusterSnapshot | None = None
    _round_since: float | None = None  # time.monotonic() the round in flight started
    _live_interval_s: float = 0.0

    @property
    def problems(self) -> tuple[str, ...]:
        """Trouble with the host list or the server, for the UI to show."""
        return ()

    @abstractmethod
    async def poll_once(self) -> ClusterSnapshot:
        """One round over the whole cluster; never raises for a node or server fault."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""

    async def rounds(self, interval_s: float) -> AsyncIterator[ClusterSnapshot]:
        """poll_once forever, one round starting every `interval_s` seconds at most."""
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            yield await self.poll_once()
            await asyncio.sleep(max(0.0, interval_s - (loop.time() - started)))

    async def live(self, interval_s: float) -> None:
        """Keep `current()` fresh forever: a round starts every `interval_s` at most."""
        self._live_interval_s = interval_s
        while True:
            started = time.monotonic()
            self._round_since = started
            try:
                self._latest = await self.poll_once()
            finally:
                self._round_since = None
            await asyncio.sleep(max(0.0, interval_s - (time.monotonic() - started)))

    @property
    def settled(self) -> bool:
        """True once `live` has a picture of every node (here: one round has finished)."""
        return self._latest is not None

    def current(self) -> ClusterSnapshot | None:
        """The newest picture `live` has (None before the first)."""
        return self._latest

    def live_problems(self) -> tuple[str, ...]:
        """A line while the round in flight has run past the interval."""
        since = self._round_since
        if since is None or self._latest is None:
            return ()
        age = time.monotonic() - since
        if age <= self._live_interval_s:
            return ()
        return (f"round running for {age:.1f} s: showing the one before",)

    async def __aenter__(self: S) -> S:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()
