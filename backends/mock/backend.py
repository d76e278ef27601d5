"""The mock backend: simulated devices for development, demos and tests (`--mock SPEC`)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from allsmi_py.backend import Availability, Backend
from allsmi_py.model import DeviceReading
from backends.mock.profiles import PROFILES, parse_spec
from backends.mock.simulator import DeviceSimulator


class MockBackend(Backend, name="mock", vendor="Mock",
                  requirements="nothing: simulated devices, selected with --mock SPEC"):
    """Devices from platform profiles whose values move like real workloads do."""

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
        self._last_read: float | None = None

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
        now = self._clock()
        if self._last_read is not None:
            self.advance(now - self._last_read)
        self._last_read = now
        return self.readings()

    def readings(self) -> list[DeviceReading]:
        """Read every device without advancing time."""
        return [device.reading(self.name) for device in self._devices]

    def status_message(self) -> str:
        """Say what is simulated."""
        return f"simulated: {self.spec}"
