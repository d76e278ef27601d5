"""The cluster view's poller thread: rounds, errors, stopping, and a UI loop that stays free."""

from __future__ import annotations

import asyncio
import threading
import time

from allsmi_py.model import ClusterSnapshot
from allsmi_py.remote.source import RoundSource
from allsmi_py.tui.poll_thread import PollThread


class FakeSource:
    """Rounds on demand: each poll_once runs `work` (in the poller thread) and counts."""

    def __init__(self, work: object = None) -> None:
        self.rounds = 0
        self.work = work
        self.closed_on: threading.Thread | None = None
        self.loops: set[int] = set()

    @property
    def problems(self) -> tuple[str, ...]:
        return ("host line 3: bad port",)

    async def poll_once(self) -> ClusterSnapshot:
        self.loops.add(id(asyncio.get_running_loop()))
        self.rounds += 1
        if callable(self.work):
            await self.work(self.rounds)
        return ClusterSnapshot(taken_at_s=float(self.rounds), nodes=())

    async def close(self) -> None:
        self.closed_on = threading.current_thread()


def wait_for(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.01)
    raise AssertionError("condition not met")


def test_rounds_are_delivered_in_order_and_the_source_closed_on_its_thread() -> None:
    source = FakeSource()
    got: list[tuple[float, tuple[str, ...]]] = []
    poller = PollThread(source, 0.05, deliver=lambda c, p: got.append((c.taken_at_s, p)),
                        report=lambda text: None)
    poller.start()
    wait_for(lambda: len(got) >= 3)
    poller.stop()
    assert not poller.alive
    assert [t for t, _ in got[:3]] == [1.0, 2.0, 3.0]
    assert got[0][1] == ("host line 3: bad port",)
    assert source.closed_on is not None and source.closed_on.name == "allsmi-poller"
    assert len(source.loops) == 1  # one event loop for the life of the source


def test_a_failing_round_is_reported_and_polling_goes_on() -> None:
    async def fail_first(round_number: int) -> None:
        if round_number == 1:
            raise ValueError("bad body")

    source = FakeSource(fail_first)
    reports: list[str] = []
    delivered = threading.Event()
    poller = PollThread(source, 0.05, deliver=lambda c, p: delivered.set(),
                        report=reports.append)
    poller.start()
    assert delivered.wait(5)
    poller.stop()
    assert reports == ["cluster round failed: bad body"]


def test_stop_cancels_a_round_in_flight() -> None:
    started = threading.Event()

    async def hang(round_number: int) -> None:
        started.set()
        await asyncio.sleep(60)

    source = FakeSource(hang)
    poller = PollThread(source, 1.0, deliver=lambda c, p: None, report=lambda text: None)
    poller.start()
    assert started.wait(5)
    began = time.monotonic()
    poller.stop()
    assert time.monotonic() - began < 1.0
    assert not poller.alive and source.closed_on is not None


def test_stop_right_after_start_still_closes_the_source() -> None:
    source = FakeSource()
    poller = PollThread(source, 0.05, deliver=lambda c, p: None, report=lambda text: None)
    poller.start()
    poller.stop()
    wait_for(lambda: source.closed_on is not None)
    assert not poller.alive


def test_a_cpu_bound_round_does_not_hold_the_ui_loop() -> None:
    """A round that decodes for 0.8 s without awaiting (as a burst of bodies can) would hold
    an event loop it ran on for all of it; on its own thread the UI loop keeps ticking."""

    async def decode(round_number: int) -> None:
        end = time.perf_counter() + 0.8
        while time.perf_counter() < end:
            sum(range(200))

    busy = threading.Event()
    source = FakeSource(decode)
    poller = PollThread(source, 10.0, deliver=lambda c, p: busy.set(),
                        report=lambda text: None)

    async def ui_loop() -> float:
        poller.start()
        worst = 0.0
        while not busy.is_set():
            tick = time.perf_counter()
            await asyncio.sleep(0.01)
            worst = max(worst, time.perf_counter() - tick - 0.01)
        return worst

    try:
        worst_lag = asyncio.run(ui_loop())
    finally:
        poller.stop()
    assert worst_lag < 0.3, worst_lag


class HangingRounds(RoundSource):
    """A RoundSource whose second round never ends: the live view must keep ticking."""

    def __init__(self) -> None:
        self.rounds = 0

    async def poll_once(self) -> ClusterSnapshot:
        self.rounds += 1
        if self.rounds >= 2:
            await asyncio.sleep(60)
        return ClusterSnapshot(taken_at_s=float(self.rounds), nodes=())

    async def close(self) -> None:
        pass


def test_a_live_source_is_delivered_every_interval_while_its_round_hangs() -> None:
    source = HangingRounds()
    got: list[tuple[float, float, tuple[str, ...]]] = []
    poller = PollThread(source, 0.1, deliver=lambda c, p: got.append(
        (time.monotonic(), c.taken_at_s, p)), report=lambda text: None)
    poller.start()
    try:
        wait_for(lambda: len(got) >= 8 and got[-1][2] != ())
    finally:
        poller.stop()
    assert source.rounds == 2  # the second round is still running
    assert {taken for _, taken, _ in got} == {1.0}  # the newest picture: round one
    assert got[-1][2][0].startswith("round running for")
    gaps = [b[0] - a[0] for a, b in zip(got, got[1:], strict=False)]
    assert max(gaps) < 1.0  # a tick every 0.1 s, never held by the round in flight
