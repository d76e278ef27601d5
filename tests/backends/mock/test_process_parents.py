"""Simulated parents: the earliest job of a user launches that user's jobs on other devices."""

from __future__ import annotations

from allsmi_py.model import DeviceReading, ProcessReading
from backends.mock.backend import MockBackend
from backends.mock.parents import INIT_PID, with_parents


def _device(index: int, *processes: ProcessReading) -> DeviceReading:
    return DeviceReading(backend="mock", index=index, uuid=f"u{index}", name="g",
                         processes=processes)


def test_the_earliest_job_of_a_user_is_the_parent_of_the_others() -> None:
    readings = with_parents([
        _device(0, ProcessReading(pid=20, user="alice", started_at_s=200.0)),
        _device(1, ProcessReading(pid=10, user="alice", started_at_s=100.0),
                ProcessReading(pid=30, user="bob", started_at_s=50.0)),
        _device(2, ProcessReading(pid=40, user="alice", started_at_s=None)),
        _device(3),
    ])
    ppids = {p.pid: p.ppid for d in readings for p in d.processes}
    assert ppids == {10: INIT_PID, 20: 10, 30: INIT_PID, 40: 10}
    assert readings[3].processes == ()


def test_the_mock_backend_shows_trees_and_every_process_has_a_parent() -> None:
    now = [0.0]
    backend = MockBackend(spec="h100:8", seed=3, clock=lambda: now[0], start_time_s=1.7e9)
    nested = 0
    for step in range(50):
        now[0] = step * 30.0
        readings = backend.read()
        by_pid = {p.pid: p for d in readings for p in d.processes}
        for proc in by_pid.values():
            assert proc.ppid is not None and proc.ppid != proc.pid
            if proc.ppid != INIT_PID:
                assert by_pid[proc.ppid].user == proc.user
                nested += 1
    assert nested
