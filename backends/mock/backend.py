"""The mock backend: simulated devices for development, demos and tests (`--mock SPEC`)."""

from __future__ import annotations

import secrets
import signal
import threading
import time
from collections.abc import Callable

from allsmi_py.backend import Availability, Backend
from allsmi_py.model import DeviceReading
from allsmi_py.topology import Topology
from backends.mock.parents import with_parents
from backends.mock.profiles import PROFILES, parse_spec
from backends.mock.simulator import DeviceSimulator
from backends.mock.topology import simulated_topology
from backends.mock.workloads import WorkloadPlan

# Signals whose default action leaves a process running (signal(7): stop, continue, ignore).
SURVIVED_SIGNALS = frozenset({
    signal.SIGCHLD, signal.SIGCONT, signal.SIGURG, signal.SIGWINCH,
    signal.SIGSTOP, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU,
})


class MockBackend(Backend, name="mock", vendor="Mock",
                  requirements="nothing: simulated devices, selected with --mock SPEC"):
    """Devices from platform profiles whose values move like real workloads do."""

    simulates_processes = True

    def __init__(
        self,
        spec: str = "h100:1",
        seed: int | str | None = None,
        node: str = "",
        clock: Callable[[], float] = time.monotonic,
        start_time_s: float | None = None,
    ) -> None:
        """`node` salts the seed so simulated nodes differ; ValueError on a bad spec."""
        self.spec = spec
        self.seed = seed if seed is not None else secrets.randbits(63)
        self._clock = clock
        start = time.time() if start_time_s is None else start_time_s
        self._devices: list[DeviceSimulator] = []
        for profile, count in parse_spec(spec):
            for _ in range(count):
                index = len(self._devices)
                self._devices.append(
                    DeviceSimulator(profile, index, f"{self.seed}:{node}:{index}", start))
        self._topology = simulated_topology(self._devices)  # the devices never change
        self._workloads = WorkloadPlan(f"{self.seed}:{node}")
        self._last_read: float | None = None
        # pids the UI ended, applied by the reading thread before its next reading
        self._ending: set[int] = set()
        self._ending_lock = threading.Lock()

    @classmethod
    def available(cls) -> Availability:
        """Always available: nothing to detect."""
        return Availability.yes("simulated")

    @classmethod
    def describe_profiles(cls) -> list[tuple[str, str]]:
        """(profile name, description) for `allsmi --list-mock`."""
        return [(p.key, f"{p.description} (default count {p.default_count})")
                for p in PROFILES.values()]

    def advance(self, dt_s: float) -> None:
        """Move every device forward by dt_s of simulated time (for servers and tests)."""
        for device in self._devices:
            device.advance(dt_s)

    def read(self) -> list[DeviceReading]:
        """Advance by the real time since the last read, then read every device."""
        self._end_pending()
        now = self._clock()
        if self._last_read is not None:
            self.advance(now - self._last_read)
        self._last_read = now
        return self.readings()

    def readings(self) -> list[DeviceReading]:
        """Read every device without advancing time."""
        self._end_pending()
        return self._workloads.apply(
            with_parents([device.reading(self.name) for device in self._devices]))

    def end_process(self, pid: int, signum: int) -> bool:
        """End simulated job `pid` in the next reading, unless `signum` would leave it running
        (0 only asks); True when some device runs a job with that pid."""
        present = any(pid in device.job_pids() for device in self._devices)
        if present and signum and signum not in SURVIVED_SIGNALS:
            with self._ending_lock:
                self._ending.add(pid)
        return present

    def _end_pending(self) -> None:
        with self._ending_lock:
            ending, self._ending = self._ending, set()
        if ending:
            for device in self._devices:
                device.end_jobs(ending)

    def topology(self) -> Topology | None:
        """The simulated board's NvLink/PCIe topology (backends/mock/topology.py)."""
        return self._topology

    def status_message(self) -> str:
        """Say what is simulated."""
        return f"simulated: {self.spec}"
