"""Ending a simulated process (the local view's signals in --mock): gone from the next reading."""

from __future__ import annotations

import signal

from allsmi_py.backend import Backend
from allsmi_py.collector import Collector
from allsmi_py.model import DeviceReading
from backends.mock.backend import MockBackend


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _busy_backend() -> tuple[MockBackend, FakeClock]:
    """A mock backend whose first reading has processes (seeded, so always the same)."""
    clock = FakeClock()
    for seed in range(50):
        backend = MockBackend(spec="h100:4", seed=seed, clock=clock, start_time_s=1.7e9)
        if sum(len(d.processes) for d in backend.readings()) >= 2:
            return backend, clock
    raise AssertionError("no seed under 50 gives a busy first reading")


def _pids(readings: list[DeviceReading]) -> set[int]:
    return {p.pid for d in readings for p in d.processes}


def test_an_ended_process_is_gone_from_the_next_reading_and_its_memory_freed() -> None:
    backend, clock = _busy_backend()
    first = backend.read()
    device = next(d for d in first if d.processes)
    victim = device.processes[0]
    assert backend.end_process(victim.pid, signal.SIGTERM)
    clock.now += 0.001  # the simulation barely moves: the memory drop is the ended job's
    after = backend.read()
    assert victim.pid not in _pids(after)
    assert _pids(after) >= _pids(first) - {victim.pid}  # the others run on
    same = next(d for d in after if d.uuid == device.uuid)
    assert same.memory_used_bytes is not None and device.memory_used_bytes is not None
    assert same.memory_used_bytes <= device.memory_used_bytes - (victim.gpu_memory_bytes or 0)


def test_asking_and_signals_that_leave_a_process_running_end_nothing() -> None:
    backend, _clock = _busy_backend()
    pid = next(iter(_pids(backend.readings())))
    assert backend.end_process(pid, 0)
    assert backend.end_process(pid, signal.SIGCONT)
    assert backend.end_process(pid, signal.SIGSTOP)
    assert pid in _pids(backend.readings())
    assert not backend.end_process(123_456_789, signal.SIGKILL)  # not a simulated pid


class RealProcesses(Backend, name="real-ish"):
    """A backend whose processes are this machine's (the default of the contract)."""

    def read(self) -> list[DeviceReading]:
        return []


def test_the_collector_asks_only_the_backend_that_listed_the_process() -> None:
    backend, _clock = _busy_backend()
    collector = Collector([backend, RealProcesses()], interval_s=1.0)
    try:
        pid = next(iter(_pids(list(collector.tick().devices))))
        assert collector.end_simulated_process("real-ish", pid, signal.SIGKILL) is None
        assert collector.end_simulated_process("nvidia", pid, signal.SIGKILL) is None
        assert collector.end_simulated_process("mock", pid, 0) is True
        assert collector.end_simulated_process("mock", pid, signal.SIGKILL) is True
        assert pid not in _pids(list(collector.tick().devices))
        assert collector.end_simulated_process("mock", pid, signal.SIGKILL) is False
    finally:
        collector.stop()
