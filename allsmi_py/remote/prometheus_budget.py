"""What is left of a round's bytes and seconds, handed to each optional part in turn.

A part gets the bytes still unspent (`prometheus_http.ALLOWANCE`, which its reads count
down; past it the part fails with OverBudget and is dropped) and the seconds still unspent.
A part still running when its seconds are up (or started when none were left) is not
cancelled but carried: the next round
with the same request takes its answer when it has come (Prometheus often needs longer than
one round for a query over every process of a large cluster), instead of asking again and
never seeing one. A part carried from an earlier round and still running is not waited for
again: it has shown itself slower than a round, and would take every round's seconds. A
dropped part shows last round's copy; the status line names it.
A part that outlived its round rests, once answered, for as long as it took before it is
asked again (`resting`): a query that takes Prometheus 15 s is not to keep it busy for good.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, TypeVar

from allsmi_py.remote.prometheus_http import ALLOWANCE, Allowance, OverBudget, PrometheusFailure

T = TypeVar("T")


class Carried:
    """Parts left running by earlier rounds, name -> (request key, task, when it started,
    when it ended once it has), and the slow ones resting after their answer, name ->
    (request key, until when)."""

    def __init__(self) -> None:
        self.tasks: dict[str, tuple[Hashable, asyncio.Task[Any], float, list[float]]] = {}
        self.rests: dict[str, tuple[Hashable, float]] = {}

    def carry(self, name: str, key: Hashable, task: asyncio.Task[Any], started: float) -> None:
        """Keep `task` for a later round; when it ends is noted (its rest is as long)."""
        ended: list[float] = []
        self.tasks[name] = (key, task, started, ended)
        task.add_done_callback(lambda _task: ended.append(time.monotonic()))

    def key_of(self, name: str) -> Hashable | None:
        """The request key of part `name` if an earlier round left it running."""
        held = self.tasks.get(name)
        return None if held is None else held[0]

    def resting(self, name: str, key: Hashable) -> bool:
        """True while part `name`, slower than a round when last asked for `key`, rests."""
        rest = self.rests.get(name)
        return rest is not None and rest[0] == key and time.monotonic() < rest[1]

    def cancel(self) -> None:
        """Stop every part still running (the source is closing)."""
        for _key, task, _started, _ended in self.tasks.values():
            task.cancel()
        self.tasks.clear()


class RoundBudget:
    """One round's allowance: `part` runs an optional part within what is left."""

    def __init__(self, budget_bytes: int, budget_s: float, spent: Callable[[], int],
                 carried: Carried) -> None:
        self.budget_bytes = budget_bytes
        self.deadline = time.monotonic() + budget_s
        self.started_at = time.monotonic()
        self.spent = spent  # bytes this round has taken so far
        self.carried = carried
        self.dropped: list[str] = []
        self.resting: list[str] = []  # slow parts not asked this round (Carried.resting)
        self.problems: list[str] = []

    async def part(self, name: str, key: Hashable,
                   start: Callable[[], Coroutine[Any, Any, T]]) -> T | None:
        """The part's answer; None (and why noted) when it is dropped, failed or carried."""
        held = self.carried.tasks.pop(name, None)
        task: asyncio.Task[Any] | None = None
        started = time.monotonic()
        if held is not None:
            if held[0] == key:
                _, task, started, ended = held
                if not task.done():  # slower than a round already: not waited for again
                    self.carried.tasks[name] = held
                    self.dropped.append(name)
                    return None
                finished = ended[0] if ended else time.monotonic()
                self.carried.rests[name] = (key, finished + (finished - started))
            else:
                held[1].cancel()  # the screen asks for something else now
        if task is None:
            if self.carried.resting(name, key):
                self.resting.append(name)
                return None
            bytes_left = self.budget_bytes - self.spent()
            if bytes_left <= 0:
                self.dropped.append(name)
                return None
            # Out of seconds, it still starts, to be carried: one round late, not never (on
            # a slow server the essentials alone may take the whole round).
            task = asyncio.ensure_future(within(bytes_left, start))
        seconds_left = self.deadline - time.monotonic()
        if not task.done() and seconds_left > 0:
            await asyncio.wait({task}, timeout=seconds_left)
        if not task.done():
            self.carried.carry(name, key, task, started)
            self.dropped.append(name)
            return None
        outcome: T | None = self._outcome(name, task)
        return outcome

    def _outcome(self, name: str, task: asyncio.Task[Any]) -> Any:
        if task.cancelled():
            self.dropped.append(name)
            return None
        error = task.exception()
        if isinstance(error, OverBudget):
            self.dropped.append(name)
        elif isinstance(error, PrometheusFailure | asyncio.TimeoutError):
            self.problems.append(f"prometheus {name}: {error}")
        elif error is not None:
            raise error
        else:
            return task.result()
        return None


async def within(bytes_left: int, start: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """`start()` awaited with `bytes_left` for all its reads (and its child tasks')."""
    ALLOWANCE.set(Allowance(bytes_left, bytes_left))  # this task's context only
    return await start()
