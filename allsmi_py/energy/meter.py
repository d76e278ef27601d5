"""Adds each source's energy total to the snapshots a collector produces, and keeps them.

The collector's snapshot goes in, the same snapshot with `energy_consumed_j` set on each
device (and on the host's CPU, where it reports power) comes out; consumers read that through
`MeteredSource`, which stands in for the collector (subscribe, start, stop, latest).
Totals are saved every `save_every_s` of snapshot time and when the source stops.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections.abc import Callable
from typing import Protocol

from allsmi_py.energy.integrator import Sample, Track, advance, resumed
from allsmi_py.energy.store import MAX_SOURCES, EnergyStore
from allsmi_py.model import DeviceReading, NodeSnapshot

CPU_SOURCE = "host:cpu"
GAP_INTERVALS = 3  # a gap of more than this many collection intervals is not integrated
SAVE_EVERY_S = 30.0


def _stderr(line: str) -> None:
    print(f"allsmi: {line}", file=sys.stderr, flush=True)


def device_source(device: DeviceReading) -> str:
    """The name a device's total is kept under: its uuid, else backend and index."""
    return device.uuid or f"{device.backend}:{device.index}"


class EnergyMeter:
    """The running totals of every source; thread-safe, one snapshot at a time."""

    def __init__(self, store: EnergyStore | None, max_gap_s: float,
                 report: Callable[[str], None] = _stderr,
                 save_every_s: float = SAVE_EVERY_S) -> None:
        self.store = store
        self.max_gap_s = max_gap_s
        self._report = report
        self._save_every_s = save_every_s
        self._lock = threading.Lock()
        self._tracks: dict[str, Track] = {}
        self._saved_at_s: float | None = None
        if store is not None:
            self._tracks = {k: resumed(v) for k, v in store.load().items()}
            self._report_problem()

    def totals(self) -> dict[str, float]:
        """Joules by source name, as kept now."""
        with self._lock:
            return {k: t.total_j for k, t in self._tracks.items()}

    def _advance(self, source: str, sample: Sample) -> float | None:
        track = self._tracks.get(source)
        if track is None:
            if len(self._tracks) >= MAX_SOURCES:
                return None
            track = Track()
        track = advance(track, sample, self.max_gap_s)
        if track.last_at_s is None and not track.total_j:
            return None  # no usable reading yet: not reported, rather than 0 J
        self._tracks[source] = track
        return track.total_j

    def apply(self, snapshot: NodeSnapshot) -> NodeSnapshot:
        """`snapshot` with every source's total since allsmi first ran on this node."""
        at = snapshot.taken_at_s
        with self._lock:
            devices = tuple(
                dataclasses.replace(d, energy_consumed_j=self._advance(
                    device_source(d), Sample(at, d.power_w, d.energy_j)))
                for d in snapshot.devices)
            host = snapshot.host
            if host is not None and (host.cpu.power_w is not None or CPU_SOURCE in self._tracks):
                cpu_j = self._advance(CPU_SOURCE, Sample(at, host.cpu.power_w))
                host = dataclasses.replace(
                    host, cpu=dataclasses.replace(host.cpu, energy_consumed_j=cpu_j))
            due = self._saved_at_s is None or not 0 <= at - self._saved_at_s < self._save_every_s
            if due:
                self._saved_at_s = at
        if due:
            self.save()
        return dataclasses.replace(snapshot, devices=devices, host=host)

    def save(self) -> None:
        """Write the totals now (a failure is reported once, and collection goes on)."""
        if self.store is None:
            return
        self.store.save(self.totals())
        self._report_problem()

    def _report_problem(self) -> None:
        if self.store is not None and self.store.problem is not None:
            self._report(self.store.problem)
            self.store.problem = None


class Collecting(Protocol):
    """What MeteredSource needs from a collector."""

    def subscribe(self, callback: Callable[[NodeSnapshot], None]) -> Callable[[], None]:
        """Call back with every new snapshot; returns an unsubscribe function."""

    def start(self) -> None:
        """Start collecting in the background."""

    def stop(self, close_backends: bool = True) -> None:
        """Stop collecting."""

    def close(self) -> None:
        """Close the backends without having started."""


class MeteredSource:
    """A collector whose snapshots carry energy totals: the TUI's and the exporter's source."""

    def __init__(self, collector: Collecting, meter: EnergyMeter) -> None:
        self.collector = collector
        self.meter = meter
        self.latest: NodeSnapshot | None = None
        self._subscribers: list[Callable[[NodeSnapshot], None]] = []
        self._unsubscribe = collector.subscribe(self._on_snapshot)

    def _on_snapshot(self, snapshot: NodeSnapshot) -> None:
        metered = self.meter.apply(snapshot)
        self.latest = metered
        for callback in list(self._subscribers):
            callback(metered)

    def subscribe(self, callback: Callable[[NodeSnapshot], None]) -> Callable[[], None]:
        """Call `callback(snapshot)` with every metered snapshot; returns an unsubscribe."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def start(self) -> None:
        """Start the collector."""
        self.collector.start()

    def stop(self, close_backends: bool = True) -> None:
        """Stop the collector and save the totals."""
        self.collector.stop(close_backends)
        self._unsubscribe()
        self.meter.save()

    def close(self) -> None:
        """Close the collector's backends (it never started: nothing to save)."""
        self.collector.close()
