"""The host process list (`H`): bounded however many processes the host runs, and every
psutil value that is not what it should be is left out, never shown or raised."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from allsmi_py.tui.host_processes import (
    HOST_PROCESS_LIMIT,
    MAX_TEXT_CHARS,
    read_host_processes,
    reading_of,
)


def _proc(pid: Any, **info: Any) -> SimpleNamespace:
    return SimpleNamespace(info={"pid": pid, **info})


def test_a_host_of_100k_processes_is_read_up_to_the_limit_and_says_so() -> None:
    pulled = [0]

    def huge() -> Iterator[SimpleNamespace]:
        for pid in range(100_000):
            pulled[0] += 1
            yield _proc(pid, ppid=max(0, pid - 1), name=f"p{pid}")

    listed = read_host_processes(source=huge)
    assert len(listed.processes) == HOST_PROCESS_LIMIT and listed.capped
    assert pulled[0] == HOST_PROCESS_LIMIT + 1  # the rest is never walked


def test_a_host_within_the_limit_is_not_capped() -> None:
    listed = read_host_processes(limit=5, source=lambda: [_proc(p) for p in range(5)])
    assert [p.pid for p in listed.processes] == [0, 1, 2, 3, 4] and not listed.capped


def test_a_readable_process_becomes_a_host_reading() -> None:
    reading = reading_of({"pid": 42, "ppid": 1, "name": "bash", "username": "alice",
                          "cmdline": ["bash", "-l"], "cpu_percent": 12.5,
                          "memory_info": SimpleNamespace(rss=4096), "create_time": 1.7e9})
    assert reading is not None
    assert (reading.pid, reading.ppid, reading.user, reading.command, reading.cpu_pct,
            reading.host_memory_bytes, reading.process_type) == (
        42, 1, "alice", "bash -l", 12.5, 4096, "host")
    assert reading.gpu_memory_bytes is None


def test_hostile_values_are_left_out() -> None:
    bad = reading_of({"pid": 7, "ppid": -3, "name": 5, "username": "x" * 1_000_000,
                      "cmdline": ["ok", None, 3, "y" * 10_000], "cpu_percent": float("nan"),
                      "memory_info": SimpleNamespace(rss=True), "create_time": float("inf")})
    assert bad is not None
    assert bad.ppid is None and bad.name is None and bad.cpu_pct is None
    assert bad.host_memory_bytes is None and bad.started_at_s is None
    assert bad.user is not None and len(bad.user) == MAX_TEXT_CHARS
    assert bad.command is not None and len(bad.command) == MAX_TEXT_CHARS
    assert bad.command.startswith("ok y")
    for pid in (-1, None, "12", True, 1.5):
        assert reading_of({"pid": pid}) is None
    # entries without an info dict (what an access-denied process could look like) are skipped
    odd = [SimpleNamespace(info=None), SimpleNamespace(), _proc(3)]
    assert [p.pid for p in read_host_processes(source=lambda: odd).processes] == [3]


def test_the_real_host_can_be_read() -> None:
    listed = read_host_processes(limit=50)
    assert 0 < len(listed.processes) <= 50
