"""What every cluster source offers: one round on demand, rounds on a timer, async with."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TypeVar

from allsmi_py.model import ClusterSnapshot

S = TypeVar("S", bound="RoundSource")


class RoundSource(ABC):
    """A source of ClusterSnapshots (direct scraping or a Prometheus server)."""

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

    async def __aenter__(self: S) -> S:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()
