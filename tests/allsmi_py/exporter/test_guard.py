"""The Guard's cap, eviction order and deadlines, and when memory is released."""

from __future__ import annotations

import gc

import pytest

from allsmi_py.exporter import memory
from allsmi_py.exporter.guard import Guard, Limits


class Conn:
    """A connection that records being closed."""

    def __init__(self, name: str, closed: list[str]) -> None:
        self.name, self.closed = name, closed

    def expire(self) -> None:
        self.closed.append(self.name)


def test_at_the_cap_the_longest_idle_goes_and_busy_ones_stay() -> None:
    closed: list[str] = []
    guard = Guard(3)
    a, b, c = Conn("a", closed), Conn("b", closed), Conn("c", closed)
    guard.idle(a, 100)
    guard.idle(b, 100)
    guard.busy(c, 100)
    guard.idle(a, 100)  # a finished a request: now the youngest idle one
    assert guard.make_room() and closed == ["b"] and len(guard) == 2
    guard.busy(a, 100)
    guard.idle(Conn("d", closed), 100)
    assert guard.make_room() and closed == ["b", "d"]
    guard.idle(Conn("e", closed), 100)
    guard.busy(next(iter(guard._idle)), 100)  # every slot writing a response
    assert not guard.make_room() and len(guard) == 3
    assert guard.evicted == 2


def test_streams_hold_at_most_half_the_cap_and_are_never_evicted() -> None:
    closed: list[str] = []
    guard = Guard(4)
    streams = [Conn(f"s{i}", closed) for i in range(2)]
    assert guard.may_stream()
    guard.stream(streams[0], 100)
    guard.stream(streams[1], 100)
    assert not guard.may_stream()  # the other half stays for scrapers
    guard.idle(Conn("a", closed), 100)
    guard.idle(Conn("b", closed), 100)
    assert guard.make_room() and closed == ["a"]  # a newcomer evicts idle ones, not streams
    guard.sweep(200)  # a stream that stopped sending is closed at its deadline
    assert set(closed) == {"a", "b", "s0", "s1"} and guard.may_stream() and len(guard) == 0


def test_sweep_closes_only_those_past_their_deadline() -> None:
    closed: list[str] = []
    guard = Guard(10)
    guard.idle(Conn("slow head", closed), 5.0)
    guard.idle(Conn("fresh", closed), 50.0)
    guard.busy(Conn("stuck reader", closed), 6.0)
    assert guard.sweep(10.0) == 2
    assert sorted(closed) == ["slow head", "stuck reader"] and len(guard) == 1
    guard.expire_idle()
    assert closed[-1] == "fresh" and len(guard) == 0


def test_limits_must_be_positive_and_sweep_a_quarter_of_the_shortest() -> None:
    with pytest.raises(ValueError, match="max_header_bytes"):
        Limits(max_header_bytes=0)
    assert Limits().sweep_every_s == 1.0
    assert Limits(header_timeout_s=0.5, handshake_timeout_s=2).sweep_every_s == 0.125


def test_memory_is_collected_while_handshakes_fail_and_released_once_quiet(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def collect() -> int:
        calls.append("collect")
        return 0

    def trim(pad: int) -> int:
        calls.append("trim")
        return 1

    monkeypatch.setattr(gc, "collect", collect)
    monkeypatch.setattr(memory, "malloc_trim", trim)
    releaser = memory.Releaser()
    releaser.after_sweep(0.0, failures=0, connections=5)
    assert calls == []  # nothing happened: nothing to do
    releaser.after_sweep(1.0, failures=10, connections=64)
    releaser.after_sweep(1.5, failures=20, connections=64)  # within a second: no second one
    assert calls == ["collect"]
    releaser.after_sweep(2.0, failures=20, connections=1)  # quiet: release once
    releaser.after_sweep(3.0, failures=20, connections=1)
    assert calls == ["collect", "collect", "trim"] and releaser.releases == 1
    releaser.after_sweep(4.0, failures=20, connections=900)
    releaser.after_sweep(5.0, failures=20, connections=900 - memory.DROP_WORTH_RELEASING)
    assert releaser.releases == 2  # an idle flood that went away
