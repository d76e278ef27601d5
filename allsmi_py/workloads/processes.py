"""Each process's container and pod, read once per process from `root/proc/<pid>/cgroup`.

A process keeps its cgroup for life (runtimes place it before it runs), so the answer is
cached by (pid, start time): a process seen before costs a dict lookup. A pid reused by a new
process has another start time. Where the backend gives no start time it is read from
/proc/<pid>/stat (clock ticks since boot). A missing, unreadable or garbled file is no
container, never an error.
"""

from __future__ import annotations

import os

from allsmi_py.model_workload import WorkloadReading
from allsmi_py.workloads.cgroup import MAX_TEXT_CHARS, parse_cgroup

MAX_CACHED = 65_536
MAX_STAT_BYTES = 4096
PID_MAX = 4_194_304  # the kernel's PID_MAX_LIMIT on 64-bit

StartKey = float | int | None


class ProcessWorkloads:
    """pid -> WorkloadReading under a root folder ("/", or a fixture tree in tests)."""

    def __init__(self, root: str = "/", max_cached: int = MAX_CACHED) -> None:
        self._proc = os.path.join(root, "proc")
        self._max_cached = max_cached
        self._cache: dict[tuple[int, StartKey], WorkloadReading | None] = {}
        self._seen: set[tuple[int, StartKey]] = set()

    def workload(self, pid: int, started_at_s: float | None = None) -> WorkloadReading | None:
        """The container and pod of process `pid` (started at `started_at_s`, Unix time)."""
        if isinstance(pid, bool) or not isinstance(pid, int) or not 0 < pid <= PID_MAX:
            return None
        start: StartKey = (started_at_s if isinstance(started_at_s, float | int)
                           else self._start_ticks(pid))
        key = (pid, start)
        self._seen.add(key)
        try:
            return self._cache[key]
        except KeyError:
            pass
        found = self._read(pid)
        if len(self._cache) < self._max_cached:
            self._cache[key] = found
        return found

    def forget_unseen(self) -> None:
        """Drop the processes not asked about since the last call (they have exited)."""
        self._cache = {key: self._cache[key] for key in self._seen if key in self._cache}
        self._seen = set()

    def _read(self, pid: int) -> WorkloadReading | None:
        data = _read_capped(f"{self._proc}/{pid}/cgroup", MAX_TEXT_CHARS)
        return parse_cgroup(data.decode("utf-8", "replace")) if data else None

    def _start_ticks(self, pid: int) -> int | None:
        data = _read_capped(f"{self._proc}/{pid}/stat", MAX_STAT_BYTES)
        # The name in parentheses may hold spaces and ')': the fields follow the last ')'.
        fields = data[data.rfind(b")") + 1:].split() if data else []
        return int(fields[19]) if len(fields) > 19 and fields[19].isdigit() else None


def _read_capped(path: str, limit: int) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # never wait on a FIFO
    except OSError:
        return None
    try:
        return os.read(fd, limit)
    except OSError:
        return None
    finally:
        os.close(fd)
