"""The collector: parallel reads with a deadline, failures become statuses, latest wins."""

from __future__ import annotations

import threading
import time

import pytest

import allsmi_py.collector as collector_module
from allsmi_py.backend import Backend
from allsmi_py.collector import Collector
from allsmi_py.errors import BackendUnavailable
from allsmi_py.model import DeviceReading, HostReading, NodeSnapshot


def _device(backend: str, index: int = 0) -> DeviceReading:
    return DeviceReading(backend=backend, index=index, uuid=f"{backend}-{index}", name=backend)


class Healthy(Backend):
    name = "healthy"

    def __init__(self) -> None:
        self.reads = 0
        self.closed = False

    def read(self) -> list[DeviceReading]:
        self.reads += 1
        return [_device("healthy", 0), _device("healthy", 1)]

    def close(self) -> None:
        self.closed = True


class Hanging(Backend):
    name = "hanging"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def read(self) -> list[DeviceReading]:
        self.calls += 1
        self.release.wait(30)
        return [_device("hanging")]


class Raising(Backend):
    name = "raising"

    def read(self) -> list[DeviceReading]:
        raise RuntimeError("device fell off the bus")


class MissingDriver(Backend):
    name = "missing"

    def __init__(self) -> None:
        self.opens = 0

    def open(self) -> None:
        self.opens += 1
        raise BackendUnavailable("driver not loaded")

    def read(self) -> list[DeviceReading]:
        raise AssertionError("read must not be called when open failed")


class WrongType(Backend):
    name = "wrongtype"

    def read(self):  # type: ignore[no-untyped-def]
        return ["not a reading"]


def _status(snapshot: NodeSnapshot, name: str):  # type: ignore[no-untyped-def]
    return next(s for s in snapshot.backends if s.name == name)


def test_hanging_and_raising_backends_do_not_stop_the_others() -> None:
    healthy, hanging = Healthy(), Hanging()
    collector = Collector([healthy, hanging, Raising(), MissingDriver(), WrongType()],
                          deadline_s=0.3, hostname="n1")
    started = time.monotonic()
    snapshot = collector.tick()
    assert time.monotonic() - started < 1.5
    assert [d.uuid for d in snapshot.devices] == ["healthy-0", "healthy-1"]
    assert _status(snapshot, "healthy").state == "ok"
    assert _status(snapshot, "healthy").device_count == 2
    assert _status(snapshot, "hanging").state == "error"
    assert "timed out" in _status(snapshot, "hanging").message
    assert _status(snapshot, "raising").state == "error"
    assert "device fell off the bus" in _status(snapshot, "raising").message
    assert _status(snapshot, "missing").state == "unavailable"
    assert _status(snapshot, "missing").message == "driver not loaded"
    assert _status(snapshot, "wrongtype").state == "error"
    hanging.release.set()


def test_a_stuck_backend_is_not_asked_again_until_it_returns() -> None:
    hanging = Hanging()
    collector = Collector([hanging], deadline_s=0.1)
    collector.tick()
    collector.tick()
    assert hanging.calls == 1
    hanging.release.set()
    time.sleep(0.05)
    snapshot = collector.tick()  # the late result of the first read is used, then reads resume
    assert _status(snapshot, "hanging").state == "ok"
    collector.tick()
    assert hanging.calls == 2


def test_unavailable_backend_is_opened_once() -> None:
    missing = MissingDriver()
    collector = Collector([missing], deadline_s=0.2)
    for _ in range(3):
        snapshot = collector.tick()
    assert missing.opens == 1
    assert _status(snapshot, "missing").state == "unavailable"


def test_background_loop_publishes_to_subscribers_and_stops_promptly() -> None:
    healthy = Healthy()
    collector = Collector([healthy], interval_s=0.05, deadline_s=0.5,
                          host_reader=lambda: HostReading())
    seen: list[NodeSnapshot] = []
    got_three = threading.Event()

    def on_snapshot(snapshot: NodeSnapshot) -> None:
        seen.append(snapshot)
        if len(seen) >= 3:
            got_three.set()

    unsubscribe = collector.subscribe(on_snapshot)
    collector.start()
    assert got_three.wait(5)
    started = time.monotonic()
    collector.stop()
    assert time.monotonic() - started < 1.0
    assert healthy.closed
    assert collector.latest is not None and collector.latest.devices
    assert seen[0].host == HostReading()
    unsubscribe()


def test_a_subscriber_that_raises_does_not_stop_collection() -> None:
    collector = Collector([Healthy()], deadline_s=0.5)
    collector.subscribe(lambda s: (_ for _ in ()).throw(ValueError("consumer bug")))
    assert len(collector.tick().devices) == 2
    assert len(collector.tick().devices) == 2


def _reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("allsmi-read-")]


def _host() -> HostReading:
    return HostReading()


def test_every_tick_reads_on_the_same_reader_threads_and_close_ends_them() -> None:
    before = set(_reader_threads())
    healthy = Healthy()
    collector = Collector([healthy], host_reader=_host, deadline_s=1.0)
    seen: set[int] = set()
    for _ in range(20):
        collector.tick()
        seen |= {t.ident or 0 for t in set(_reader_threads()) - before}
    assert healthy.reads == 20
    assert len(seen) == 2  # one for the backend, one for the host: not 40
    collector.close()
    deadline = time.monotonic() + 2.0
    while set(_reader_threads()) - before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not set(_reader_threads()) - before
    assert len(collector.tick().devices) == 2  # reopened and read again after a close
    collector.close()


def test_a_stuck_read_keeps_its_reader_and_close_lets_it_end_when_the_read_returns() -> None:
    before = set(_reader_threads())
    hanging, healthy = Hanging(), Healthy()
    collector = Collector([hanging, healthy], deadline_s=0.1)
    for _ in range(3):
        snapshot = collector.tick()
    assert hanging.calls == 1 and healthy.reads == 3
    assert _status(snapshot, "healthy").state == "ok"
    collector.close()
    stuck = [t for t in set(_reader_threads()) - before if t.name == "allsmi-read-hanging"]
    assert stuck and all(t.is_alive() for t in stuck)
    hanging.release.set()
    for thread in stuck:
        thread.join(2.0)
    assert not any(t.is_alive() for t in stuck)


def test_a_reader_with_no_read_for_a_while_ends_and_the_next_tick_starts_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collector_module, "READER_IDLE_S", 0.05)
    before = set(_reader_threads())
    collector = Collector([Healthy()], deadline_s=1.0)
    collector.tick()
    deadline = time.monotonic() + 2.0
    while set(_reader_threads()) - before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not set(_reader_threads()) - before  # nobody closed it, yet no thread is left
    assert len(collector.tick().devices) == 2
