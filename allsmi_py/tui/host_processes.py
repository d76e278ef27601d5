"""Every process on the host (not only those on an accelerator), for the process table's
host toggle and for the tree's ancestors of a GPU process. Read on a worker thread, never
on the UI thread: psutil walks /proc."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

import psutil

from allsmi_py.model import ProcessReading

MAX_ANCESTOR_DEPTH = 64  # a chain of parents longer than this is no real one
HOST_PROCESS_LIMIT = 2000  # a host can run 100k processes; the table and /proc walk stay bounded
MAX_TEXT_CHARS = 4096  # a command line can be megabytes long; the table cuts at the edge anyway
ATTRS = ["pid", "ppid", "name", "username", "cmdline", "cpu_percent", "memory_info",
         "create_time"]


@dataclass(frozen=True, slots=True)
class HostProcessList:
    """The host's processes as read, and whether there were more than the limit."""

    processes: tuple[ProcessReading, ...] = ()
    capped: bool = False


def _system_processes() -> Iterator[Any]:
    # psutil keeps each Process between calls, so cpu_percent has a baseline from the 2nd read.
    return psutil.process_iter(ATTRS, ad_value=None)


def _text(value: Any) -> str | None:
    return value[:MAX_TEXT_CHARS] if isinstance(value, str) and value else None


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _number(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if ok and 0 <= value < float("inf") else None


def reading_of(info: dict[str, Any]) -> ProcessReading | None:
    """One psutil `info` dict as a reading; None without a usable pid."""
    pid = _whole(info.get("pid"))
    if pid is None:
        return None
    cmdline = info.get("cmdline")
    words = [w for w in cmdline if isinstance(w, str)] if isinstance(cmdline, list) else []
    memory = info.get("memory_info")
    rss = _whole(getattr(memory, "rss", None))
    return ProcessReading(
        pid=pid, ppid=_whole(info.get("ppid")), name=_text(info.get("name")),
        user=_text(info.get("username")), command=_text(" ".join(words)),
        cpu_pct=_number(info.get("cpu_percent")), host_memory_bytes=rss,
        started_at_s=_number(info.get("create_time")), process_type="host")


def ancestors(listed: HostProcessList, parents: Iterable[int | None],
              known: Iterable[int]) -> list[ProcessReading]:
    """The host processes above these parent pids, each once, nearest first: each chain up
    to a pid in `known` (or already taken) or one the list does not hold, at most
    MAX_ANCESTOR_DEPTH long (a cycle of ppids ends there too)."""
    by_pid = {p.pid: p for p in listed.processes}
    taken = set(known)
    out: list[ProcessReading] = []
    for pid in parents:
        for _ in range(MAX_ANCESTOR_DEPTH):
            process = None if pid is None or pid in taken else by_pid.get(pid)
            if process is None:
                break
            taken.add(process.pid)
            out.append(process)
            pid = process.ppid
    return out


def read_host_processes(limit: int = HOST_PROCESS_LIMIT,
                        source: Callable[[], Iterable[Any]] = _system_processes
                        ) -> HostProcessList:
    """Up to `limit` host processes; `capped` when the host had more."""
    taken = list(islice(iter(source()), limit + 1))
    readings = []
    for proc in taken[:limit]:
        info = getattr(proc, "info", None)
        reading = reading_of(info) if isinstance(info, dict) else None
        if reading is not None:
            readings.append(reading)
    return HostProcessList(tuple(readings), capped=len(taken) > limit)
