"""What is left of a round's bytes and seconds, handed to each optional part in turn.

A part gets the bytes still unspent (`prometheus_http.ALLOWANCE`, which its reads count
down; past it the part fails with OverBudget and is dropped) and the seconds still unspent.
A part still running when its seconds are up (or started when none were left) is not
cancelled but carried: the next round
with the same request takes its answer when it has come (Prometheus often needs longer than
one round for a query over every process of a large cluster), instead of asking again and
never seeing one. A part carried from an earlier round and still running is not waited for
again: it has shown itself slower than a round, and would take every round's seconds. A
dropped part shows last round's copy; the status line names it. A part asked with
`wait=False` (what changes slowly) runs in the background from the start: a later round
takes its answer, and until then it is neither waited for nor counted as dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, TypeVar

from allsmi_py.remote.prometheus_http import ALLOWANCE, Allowance, OverBudget, PrometheusFailure

T = TypeVar("T")


class Carried:
    """Parts left running by earlier rounds: name -> (request key, task)."""

    def __init__(self) -> None:
        self.tasks: dict[str, tuple[Hashable, asyncio.Task[Any]]] = {}

    def cancel(self) -> None:
        """Stop every part still running (the source is closing)."""
        for _key, task in self.tasks.values():
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
        self.problems: list[str] = []

    async def part(self, name: str, key: Hashable,
                   start: Callable[[], Coroutine[Any, Any, T]], *,
                   wait: bool = True) -> T | None:
        """The part's answer; None (and why noted) when it is dropped, failed or carried."""
        held = self.carried.tasks.pop(name, None)
        task: asyncio.Task[Any] | None = None
        if held is not None:
            if held[0] == key:
                task = held[1]
                if not task.done():  # slower than a round already: not waited for again
                    self.carried.tasks[name] = held
                    if wait:
                        self.dropped.append(name)
                    return None
            else:
                held[1].cancel()  # the screen asks for something else now
        if task is None:
            bytes_left = self.budget_bytes - self.spent()
            if bytes_left <= 0:
                self.dropped.append(name)
                return None
            # Out of seconds, it still starts, to be carried: one round late, not never (on
            # a slow server the essentials alone may take the whole round).
            task = asyncio.ensure_future(within(bytes_left, start))
        seconds_left = self.deadline - time.monotonic()
        if wait and not task.done() and seconds_left > 0:
            await asyncio.wait({task}, timeout=seconds_left)
        if not task.done():
            self.carried.tasks[name] = (key, task)
            if wait:
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
