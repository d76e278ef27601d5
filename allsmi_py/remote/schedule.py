"""Every node on its own schedule: the cluster view never waits for its slowest node.

A round (`ClusterPoller.poll_once`) ends when its last node answers or the deadline passes,
so one stalled node held the picture of every other node for the whole timeout (issue 15:
the header clock stepped every 5 s, the timeout, instead of every 2 s, the interval). Here
each node is read in a task of its own, every `interval_s` with jitter so that a thousand
nodes do not stay in lockstep; its answer replaces its row when it lands, and `current()`
builds the newest picture at any moment. A node whose read has run past the interval is
shown as `slow`, its last snapshot kept, until its own timeout says `timeout`.
"""

from __future__ import annotations

import asyncio
import random
import time
from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from allsmi_py.model import ClusterNode, ClusterSnapshot, NodeStatus
from allsmi_py.remote.source import RoundSource

JITTER = 0.1  # each period is interval_s x U(1 - JITTER, 1): never longer than the interval
WAITING = "waiting"  # NodeStatus state before a node's first answer
SLOW = "slow"  # NodeStatus state of a node whose read has run past the interval


class Watched(Protocol):
    """A node as the schedule needs it: a key and an address to show (hosts.Target, SSH)."""

    @property
    def address(self) -> str: ...  # noqa: D102

    @property
    def base_url(self) -> str: ...  # noqa: D102


T_contra = TypeVar("T_contra", bound=Watched, contravariant=True)


class NodeReader(Protocol[T_contra]):
    """What reads one node (client.ScrapeClient over HTTP, ssh_source.SshReader)."""

    async def fetch(self, target: T_contra) -> ClusterNode: ...  # noqa: D102

    def forget_except(self, keep: set[str]) -> None: ...  # noqa: D102


@dataclass(slots=True)
class _Slot:
    """One watched node: its newest answer and the read in flight, if any."""

    target: Watched
    task: asyncio.Task[None] | None = None
    latest: ClusterNode | None = None
    reading_since: float | None = None  # loop time the read in flight started


class NodeSchedule:
    """Reads each target every `interval_s` (with jitter) in its own task; never raises."""

    def __init__(self, client: NodeReader[Any], targets: Callable[[], Sequence[Watched]], *,
                 interval_s: float, concurrency: int,
                 refresh: Callable[[], bool] = lambda: False,
                 rng: random.Random | None = None) -> None:
        """`targets()` is the current node list; `refresh()` says when it has changed."""
        self._client = client
        self._targets = targets
        self._refresh = refresh
        self.interval_s = interval_s
        self._semaphore = asyncio.Semaphore(max(1, concurrency))
        self._rng = rng or random.Random()
        self._slots: dict[str, _Slot] = {}  # by base URL, in the order of the node list

    @property
    def settled(self) -> bool:
        """True once every node has answered (or failed) at least once."""
        return all(slot.latest is not None for slot in self._slots.values())

    async def run(self) -> None:
        """Watch the node list (re-read every interval) and keep one task per node."""
        try:
            self._sync(self._targets())
            while True:
                await asyncio.sleep(self.interval_s)
                if self._refresh():
                    self._sync(self._targets())
        finally:
            tasks = [s.task for s in self._slots.values() if s.task is not None]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks)

    def current(self) -> ClusterSnapshot:
        """The newest answer of every node, in node-list order, as one ClusterSnapshot."""
        now = asyncio.get_running_loop().time()
        return ClusterSnapshot(taken_at_s=time.time(),
                               nodes=tuple(self._shown(slot, now) for slot in self._slots.values()))

    def _sync(self, targets: Sequence[Watched]) -> None:
        wanted = {t.base_url: t for t in targets}
        for key in [k for k in self._slots if k not in wanted]:
            slot = self._slots.pop(key)
            if slot.task is not None:
                slot.task.cancel()
        self._client.forget_except(set(wanted))
        slots: dict[str, _Slot] = {}
        for key, target in wanted.items():
            old = self._slots.get(key)
            if old is not None and old.target == target:
                slots[key] = old
                continue
            if old is not None and old.task is not None:
                old.task.cancel()
            slot = slots[key] = _Slot(target)
            slot.task = asyncio.create_task(self._watch(slot))
        self._slots = slots

    async def _watch(self, slot: _Slot) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            async with self._semaphore:
                slot.reading_since = loop.time()
                try:
                    slot.latest = await self._client.fetch(slot.target)
                finally:
                    slot.reading_since = None
            period = self.interval_s * self._rng.uniform(1 - JITTER, 1.0)
            # A node that failed waits a full period after its failure, so a stalled node
            # costs one request in flight per timeout, not back-to-back retries.
            due = started + period if slot.latest.is_live else loop.time() + period
            await asyncio.sleep(max(0.0, due - loop.time()))

    def _shown(self, slot: _Slot, now: float) -> ClusterNode:
        latest, since = slot.latest, slot.reading_since
        overdue = since is not None and now - since > self.interval_s
        if latest is not None and (not overdue or not latest.is_live):
            return latest  # a failure stays shown as what it was while the retry runs
        address = slot.target.address
        if latest is None:
            if not overdue:
                return ClusterNode(NodeStatus(address=address, state=WAITING,
                                              error="first read in progress"))
            assert since is not None
            return ClusterNode(NodeStatus(address=address, state=SLOW,
                                          error=f"no first answer after {now - since:.0f} s"))
        assert since is not None
        status = latest.status
        return ClusterNode(NodeStatus(address=address, state=SLOW,
                                      error=f"no answer for {now - since:.0f} s",
                                      last_ok_at_s=status.last_ok_at_s, source=status.source),
                           latest.snapshot)


class ScheduledSource(RoundSource):
    """A RoundSource whose live mode reads every node on its own NodeSchedule."""

    _schedule: NodeSchedule | None = None

    @abstractmethod
    def new_schedule(self, interval_s: float) -> NodeSchedule:
        """The schedule `live` runs: this source's reader, node list and concurrency."""

    async def live(self, interval_s: float) -> None:
        """Read each node every `interval_s` (with jitter) on its own; runs until cancelled."""
        self._schedule = self.new_schedule(interval_s)
        await self._schedule.run()

    @property
    def settled(self) -> bool:
        """True once every node has answered (or failed) at least once under `live`."""
        return self._schedule is not None and self._schedule.settled

    def current(self) -> ClusterSnapshot | None:
        """The newest answer of every node (None before `live` has started)."""
        return self._schedule.current() if self._schedule is not None else None

    def live_problems(self) -> tuple[str, ...]:
        """Slow nodes are shown in their rows, not as problems."""
        return ()
