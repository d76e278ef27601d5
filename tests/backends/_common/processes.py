"""Fake vendor tools as `python -c` scripts, and checks that what they started is gone."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest


def tool(body: str) -> list[str]:
    """argv of a fake tool running `body` with the interpreter running the tests."""
    return [sys.executable, "-c", body]


def spawn_sleeper(pid_file: Path, *, ignore_term: bool = False) -> str:
    """Script lines that start a 30 s grandchild holding stdout and write its pid to a file."""
    child = "import signal, time\n"
    if ignore_term:
        child += "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    child += "print('sleeper up', flush=True)\ntime.sleep(30)\n"
    return (
        "import subprocess, sys\n"
        f"child = subprocess.Popen([sys.executable, '-c', {child!r}])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
    )


class Peak:
    """The most Python memory allocated (bytes, all threads) inside `traced_peak()`."""

    bytes = 0


@contextlib.contextmanager
def traced_peak() -> Iterator[Peak]:
    """Measure the peak of Python allocations over the block, whoever started tracemalloc."""
    peak = Peak()
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    try:
        yield peak
    finally:
        peak.bytes = tracemalloc.get_traced_memory()[1] - baseline
        if started:
            tracemalloc.stop()


def is_gone(pid: int) -> bool:
    """True when `pid` no longer runs (a zombie waiting for its reaper counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def wait_gone(pid: int, within_s: float = 2.0) -> bool:
    """Poll until `pid` is gone, for at most `within_s` seconds (init reaps it, not us)."""
    deadline = time.monotonic() + within_s
    while not is_gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def read_pid(pid_file: Path, within_s: float = 5.0) -> int:
    """The pid a fake tool wrote, waiting for the file to be written."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            return int(pid_file.read_text())
        time.sleep(0.02)
    raise AssertionError(f"no pid in {pid_file}")


def grandchild_pid_file(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A file a fake tool writes its grandchild's pid to; a grandchild left alive is killed
    when the test ends, so a failing test leaves no 30 s sleeper behind."""
    path = tmp_path / "grandchild.pid"

    def kill_leftover() -> None:
        with contextlib.suppress(OSError, ValueError):
            pid = int(path.read_text())
            if not is_gone(pid):
                os.kill(pid, signal.SIGKILL)

    request.addfinalizer(kill_leftover)
    return path
