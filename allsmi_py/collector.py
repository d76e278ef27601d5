"""The collector: reads every backend and the host in parallel, each with a deadline.

A daemon thread calls `tick()` every interval. Each tick hands one read to each backend's
reader thread (and one to the host's), waits for them until the deadline, builds a `NodeSnapshot`,
swaps `latest` and hands it to every subscriber. A backend that hangs is marked
`error: timed out` and is not asked again until its stuck read returns; a backend that
raises becomes its status. This module is the one place where backend exceptions are caught.
Every reading, the host's too, passes the plausibility guard (plausible.py) on its way in.

Used as a context manager it closes the backends on exit; iterating it ticks in the caller's
thread, a snapshot now and one every interval (the library's `allsmi_py.Collector`).
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

from allsmi_py import __version__
from allsmi_py.backend import Backend
from allsmi_py.errors import BackendUnavailable
from allsmi_py.model import BackendStatus, DeviceReading, HostReading, NodeSnapshot
from allsmi_py.plausible import guard
from allsmi_py.topology import Topology
from allsmi_py.workloads.attach import DeviceWorkloadSource, WorkloadAttacher

Subscriber = Callable[[NodeSnapshot], None]
READER_IDLE_S = 10.0  # a reader thread with no read for this long ends (a new read starts one)
C = TypeVar("C", bound="Collector")


@dataclass
class _Job:
    """One read running on its own daemon thread."""

    started_at: float
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class _Reader:
    """A daemon thread that runs one read at a time, kept from tick to tick: starting a
    thread per read cost 0.2 ms of CPU a tick (two a tick at 0.25 s, issue 17).

    The collector hands it a read only when the last one has finished, so a stuck read
    holds up only its own reader. The thread ends when closed (after the read in hand) or
    after READER_IDLE_S without a read, so a collector nobody closes leaves no thread behind.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], _Job] | None] | None = None

    def start(self, target: Callable[[], Any]) -> _Job:
        """Run `target` on the reader's thread (started on first use, after close or idle)."""
        job = _Job(started_at=time.monotonic())
        with self._lock:
            if self._jobs is None:
                self._jobs = queue.SimpleQueue()
                threading.Thread(target=self._work, args=(self._jobs,), name=self.name,
                                 daemon=True).start()
            self._jobs.put((target, job))
        return job

    def _work(self, jobs: queue.SimpleQueue[tuple[Callable[[], Any], _Job] | None]) -> None:
        while True:
            try:
                item = jobs.get(timeout=READER_IDLE_S)
            except queue.Empty:
                with self._lock:
                    if jobs.empty():
                        if self._jobs is jobs:
                            self._jobs = None
                        return
                continue
            if item is None:
                return
            target, job = item
            try:
                job.result = target()
            except BaseException as exc:  # noqa: BLE001 - every failure becomes a status
                job.error = exc
            finally:
                job.done.set()

    def close(self) -> None:
        """End the thread once it is idle; a later `start` makes a new one."""
        with self._lock:
            if self._jobs is not None:
                self._jobs.put(None)
                self._jobs = None


class _Slot:
    """The collector's bookkeeping for one backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.opened = False
        self.disabled_status: BackendStatus | None = None
        self.reader = _Reader(f"allsmi-read-{backend.name}")
        self.job: _Job | None = None
        self.last_ok_at_s: float | None = None  # survives the errors and timeouts after it

    def run(self) -> list[DeviceReading]:
        if not self.opened:
            self.backend.open()
            self.opened = True
        return self.backend.read()


def _first_topology(backends: Iterable[Backend]) -> Topology | None:
    """The first topology a backend knows; one that raises has none (and is not asked why)."""
    for backend in backends:
        try:
            topology = backend.topology()
        except Exception:  # noqa: BLE001 - a third-party backend's bug must not stop a tick
            continue
        if isinstance(topology, Topology):
            return topology
    return None


class Collector:
    """Builds NodeSnapshots from backends and a host reader, on demand or on a timer."""

    def __init__(
        self,
        backends: Sequence[Backend],
        unavailable: Sequence[BackendStatus] = (),
        host_reader: Callable[[], HostReading] | None = None,
        interval_s: float = 2.0,
        deadline_s: float | None = None,
        hostname: str | None = None,
        pod_devices: DeviceWorkloadSource | None = None,
        workloads: WorkloadAttacher | None = None,
    ) -> None:
        self._slots = [_Slot(b) for b in backends]
        # Containers and pods (allsmi_py.workloads): off unless asked for, since a test's fake
        # pids would otherwise be looked up in this machine's /proc.
        self._pod_devices = pod_devices
        if workloads is None and pod_devices is not None:
            workloads = WorkloadAttacher.on_host()
        self._workloads = workloads
        self._unavailable = tuple(unavailable)
        self._host_reader = host_reader
        self._host_thread = _Reader("allsmi-read-host")
        self._host_job: _Job | None = None
        self.interval_s = interval_s
        self.deadline_s = deadline_s if deadline_s is not None else max(0.5, 0.8 * interval_s)
        self.hostname = hostname or socket.gethostname()
        self.latest: NodeSnapshot | None = None
        self._subscribers: list[Subscriber] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tick_lock = threading.Lock()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(snapshot)` after every tick; returns a function that unsubscribes."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    @property
    def simulated_backends(self) -> frozenset[str]:
        """The backends whose processes are simulated, not this host's (the mock)."""
        return frozenset(s.backend.name for s in self._slots if s.backend.simulates_processes)

    def end_simulated_process(self, backend: str, pid: int, signum: int) -> bool | None:
        """End a process that backend `backend` simulates (signal 0: only ask). True: ended;
        False: it simulates no such process; None: that backend's processes are real ones."""
        for slot in self._slots:
            if slot.backend.name == backend and slot.backend.simulates_processes:
                return slot.backend.end_process(pid, signum)
        return None

    def tick(self) -> NodeSnapshot:
        """Read everything once (blocking up to the deadline) and publish the snapshot."""
        with self._tick_lock:
            snapshot = self._collect()
            self.latest = snapshot
        for callback in list(self._subscribers):
            try:
                callback(snapshot)
            except Exception:  # noqa: BLE001 - a broken consumer must not stop collection
                pass
        return snapshot

    def start(self) -> None:
        """Start the background thread (first tick immediately)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="allsmi-collector", daemon=True)
        self._thread.start()

    def stop(self, close_backends: bool = True) -> None:
        """Stop the loop promptly and close the backends."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.deadline_s + 1.0)
            self._thread = None
        if close_backends:
            self.close()

    def close(self) -> None:
        """Close every backend that was opened and is not stuck in a read, and let the
        reader threads end (a stuck one when its read returns)."""
        self._host_thread.close()
        for slot in self._slots:
            slot.reader.close()
        if self._workloads is not None:
            self._workloads.close()
        if self._pod_devices is not None:
            self._pod_devices.close()
        for slot in self._slots:
            if slot.opened and (slot.job is None or slot.job.done.is_set()):
                try:
                    slot.backend.close()
                except Exception:  # noqa: BLE001 - closing is best effort
                    pass
                slot.opened = False

    def __iter__(self) -> Iterator[NodeSnapshot]:
        """tick() now, then every interval_s seconds (from tick start to tick start) until stop().

        Iterate or start(), not both: each would tick on its own.
        """
        while not self._stop.is_set():
            started = time.monotonic()
            yield self.tick()
            self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - started)))

    def __enter__(self: C) -> C:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _loop(self) -> None:
        for _snapshot in self:
            pass

    def _collect(self) -> NodeSnapshot:
        started = time.monotonic()
        deadline = started + self.deadline_s
        active = [s for s in self._slots if s.disabled_status is None]
        for slot in active:
            if slot.job is None:
                slot.job = slot.reader.start(slot.run)
        if self._host_reader is not None and self._host_job is None:
            self._host_job = self._host_thread.start(self._host_reader)

        devices: list[DeviceReading] = []
        statuses: list[BackendStatus] = []
        for slot in self._slots:
            if slot.disabled_status is not None:
                statuses.append(slot.disabled_status)
                continue
            status, readings = self._finish(slot, deadline)
            statuses.append(status)
            devices.extend(readings)
        statuses.extend(self._unavailable)
        if self._workloads is not None:
            devices = self._workloads.attach(devices, self.simulated_backends, self._pod_devices)
        host = self._finish_host(deadline)
        return NodeSnapshot(
            hostname=self.hostname,
            taken_at_s=time.time(),
            devices=tuple(devices),
            host=host,
            backends=tuple(statuses),
            version=__version__,
            topology=_first_topology(s.backend for s in active),
        )

    def _finish(self, slot: _Slot, deadline: float) -> tuple[BackendStatus, list[DeviceReading]]:
        name = slot.backend.name
        job = slot.job
        assert job is not None
        if not job.done.wait(max(0.0, deadline - time.monotonic())):
            stuck_s = time.monotonic() - job.started_at
            return BackendStatus(name, "error", f"timed out: no answer after {stuck_s:.1f} s",
                                 last_ok_at_s=slot.last_ok_at_s), []
        slot.job = None
        took = time.monotonic() - job.started_at
        if isinstance(job.error, BackendUnavailable):
            slot.disabled_status = BackendStatus(name, "unavailable", str(job.error))
            return slot.disabled_status, []
        if job.error is not None:
            message = f"{type(job.error).__name__}: {job.error}".rstrip(": ")
            return BackendStatus(name, "error", message, read_duration_s=took,
                                 last_ok_at_s=slot.last_ok_at_s), []
        readings = job.result
        if not isinstance(readings, list | tuple) or not all(
            isinstance(r, DeviceReading) for r in readings
        ):
            message = "read() did not return a list of DeviceReading"
            return BackendStatus(name, "error", message, read_duration_s=took,
                                 last_ok_at_s=slot.last_ok_at_s), []
        slot.last_ok_at_s = time.time()
        state = "lost" if readings and all(r.state == "lost" for r in readings) else "ok"
        status = BackendStatus(
            name,
            state,
            slot.backend.status_message(),
            read_duration_s=took,
            device_count=len(readings),
            last_ok_at_s=slot.last_ok_at_s,
        )
        return status, [guard(reading) for reading in readings]

    def _finish_host(self, deadline: float) -> HostReading | None:
        job = self._host_job
        if job is None or not job.done.wait(max(0.0, deadline - time.monotonic())):
            return None
        self._host_job = None
        if job.error is not None or not isinstance(job.result, HostReading):
            return None
        return guard(job.result)
