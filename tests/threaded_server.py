"""A loopback test server on its own event loop in a thread, for commands that run asyncio.run."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar


class AsyncServer(Protocol):
    def start(self) -> Awaitable[None]: ...
    def stop(self) -> Awaitable[None]: ...


ServerT = TypeVar("ServerT", bound=AsyncServer)


@contextmanager
def serving_in_thread(server: ServerT) -> Iterator[ServerT]:
    """Start `server` on a loop of its own in a daemon thread; stop it and the loop after."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield server
    finally:
        # Cancel handlers still hanging (a stalled node), so stopping does not wait them out.
        for task in asyncio.all_tasks(loop):
            loop.call_soon_threadsafe(task.cancel)
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)  # type: ignore[arg-type]
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
