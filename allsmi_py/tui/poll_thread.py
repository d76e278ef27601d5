"""Cluster rounds on their own event loop, in a daemon thread, apart from Textual's loop.

Decoding a round's bodies is CPU work in many short pieces; on Textual's loop they queue in
front of key presses. Measured with 1024 mock nodes x 8 GPUs (a 10 ms heartbeat on the UI
loop while rounds ran): p99 loop lag 74 ms (JSON) and 120 ms (text) with the poller on the
loop, 12.5 ms and 28 ms with it here. The GIL still shares the CPU; it hands it over every
few ms instead of after a whole queue of callbacks.

A source that offers `live` (every RoundSource) is read live: its `live` task keeps the
picture fresh and the thread hands `current()` over every interval, whatever is slow (issue
15). A source with only `poll_once` is polled round after round.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Protocol

from allsmi_py.model import ClusterSnapshot
from allsmi_py.remote.source import RoundSource

STOP_WAIT_S = 2.0
SETTLE_POLL_S = 0.05  # how often the first picture is looked for before the first interval


class ClusterSource(Protocol):
    """What the view polls: a ClusterPoller or a PrometheusSource."""

    @property
    def problems(self) -> tuple[str, ...]:
        """Trouble with the host list or the server, for the UI to show."""

    async def poll_once(self) -> ClusterSnapshot:
        """One round over the cluster; never raises for network trouble."""

    async def close(self) -> None:
        """Release connections."""


class PollThread:
    """Hands `source`'s newest picture to `deliver` (in this thread) every `interval_s`.

    `report` gets the text of a round that raised. The source is closed on this thread's
    loop when the thread ends, whether by `stop()` or by a callback raising.
    """

    def __init__(self, source: ClusterSource, interval_s: float,
                 deliver: Callable[[ClusterSnapshot, tuple[str, ...]], None],
                 report: Callable[[str], None]) -> None:
        self.source = source
        self.interval_s = interval_s
        self._deliver = deliver
        self._report = report
        self._stopping = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._run, name="allsmi-poller", daemon=True)

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    @property
    def alive(self) -> bool:
        """True while the thread runs."""
        return self._thread.is_alive()

    def stop(self, wait_s: float = STOP_WAIT_S) -> None:
        """Cancel the round in flight, close the source, and wait up to `wait_s` for that."""
        self._stopping.set()
        loop, task = self._loop, self._task
        if loop is not None and task is not None:
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:
                pass  # the loop has just closed: the thread is ending anyway
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(wait_s)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        try:
            # stop() may have looked for the task before it was set: look at the flag after.
            if not self._stopping.is_set():
                if isinstance(self.source, RoundSource):
                    await self._live(self.source)
                else:
                    await self._rounds()
        except asyncio.CancelledError:
            pass
        finally:
            await self.source.close()

    async def _rounds(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            started = loop.time()
            try:
                cluster = await self.source.poll_once()
            except Exception as exc:  # noqa: BLE001 - a source bug must not end the view
                self._report(f"cluster round failed: {exc}")
            else:
                self._deliver(cluster, tuple(self.source.problems))
            await asyncio.sleep(max(0.05, self.interval_s - (loop.time() - started)))

    async def _live(self, source: RoundSource) -> None:
        loop = asyncio.get_running_loop()
        live = loop.create_task(source.live(self.interval_s))
        try:
            started = loop.time()
            # The first picture as soon as every node has answered once, else at the
            # first interval with what there is; then one every interval.
            while not source.settled and loop.time() - started < self.interval_s:
                await asyncio.sleep(SETTLE_POLL_S)
                if live.done():
                    break
            next_tick = loop.time()
            while not self._stopping.is_set():
                if live.done():
                    error = live.exception()
                    self._report(f"cluster polling failed: {error}")
                    await asyncio.sleep(self.interval_s)
                    live = loop.create_task(source.live(self.interval_s))
                picture = source.current()
                if picture is not None:
                    self._deliver(picture, tuple(source.problems) + source.live_problems())
                next_tick += self.interval_s
                now = loop.time()
                if next_tick < now:  # a delivery overran: skip the missed ticks
                    next_tick = now + self.interval_s
                await asyncio.sleep(next_tick - now)
        finally:
            live.cancel()
            await asyncio.gather(live, return_exceptions=True)
