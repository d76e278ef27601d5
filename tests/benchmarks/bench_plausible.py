"""Plausibility guard benchmark: what checking every reading costs per device.

Run: .venv/bin/python tests/benchmarks/bench_plausible.py [--repeat N]
Prints, per source, microseconds per device to read (the baseline, measured in the same
run: the mock simulator, and the NVIDIA backend over the fake pynvml, whose calls cost far
less than real NVML's) and to guard the readings, and their ratio; then the worst case, a
device whose every number is a sentinel (all refused, the reading copied once), and a host.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from allsmi_py.exporter.render import render_prometheus  # noqa: E402
from allsmi_py.model import (  # noqa: E402
    CpuReading,
    DeviceReading,
    DiskReading,
    HostReading,
    MemoryReading,
    NodeSnapshot,
)
from allsmi_py.plausible import RULES, guard, guard_snapshot  # noqa: E402
from allsmi_py.remote.checked import checked_snapshot  # noqa: E402
from allsmi_py.remote.parse import parse_node_text  # noqa: E402
from backends.mock.backend import MockBackend  # noqa: E402
from backends.nvidia.backend import NvidiaBackend  # noqa: E402
from tests.fakes.fake_pynvml import FakeNvml, h100, h100_mig  # noqa: E402


def _best_us(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - started) / repeat)
    return best * 1e6


def _row(label: str, devices: int, read_us: float, guard_us: float) -> None:
    per_read, per_guard = read_us / devices, guard_us / devices
    print(f"{label:<34} {devices:>7} {per_read:>11.1f} {per_guard:>12.1f} "
          f"{per_guard / per_read:>11.3f}")


def _guard_all(readings: list[DeviceReading]) -> Callable[[], object]:
    return lambda: [guard(r) for r in readings]


def mock_rows(repeat: int) -> None:
    for spec in ("h100:8", "h100:8,rngd:8", "gaudi3:8,mi300x:8,n300:4,atom:4", "m3max:1"):
        backend = MockBackend(spec=spec, seed=1)
        readings = backend.readings()
        _row(f"mock {spec}", len(readings), _best_us(backend.readings, repeat),
             _best_us(_guard_all(readings), repeat))


def nvidia_rows(repeat: int) -> None:
    fake = FakeNvml([h100(0), h100(1), h100_mig(), h100(3)])
    previous = sys.modules.get("pynvml")
    sys.modules["pynvml"] = fake.module
    try:
        with NvidiaBackend() as backend:
            readings = backend.read()
            _row("nvidia over fake pynvml (1 MIG)", len(readings),
                 _best_us(backend.read, max(1, repeat // 10)),
                 _best_us(_guard_all(readings), repeat))
    finally:
        if previous is not None:
            sys.modules["pynvml"] = previous


def worst_rows(repeat: int) -> None:
    (real,) = MockBackend(spec="h100:1", seed=1).readings()
    sentinels: dict[str, Any] = {
        name: (0xFFFF_FFFF if rule.kind is int else 4294967295.0)
        for name, (rule, _) in RULES[DeviceReading].items() if rule.kind is not bool}
    poisoned = dataclasses.replace(real, **sentinels)
    print(f"\nall {len(RULES[DeviceReading])} device fields sentinels: "
          f"{_best_us(lambda: guard(poisoned), repeat):.1f} us/device "
          f"(clean h100: {_best_us(lambda: guard(real), repeat):.1f} us)")
    host = HostReading(
        cpu=CpuReading(utilization_pct=12.5, per_core_utilization_pct=(10.0,) * 192,
                       frequency_mhz=2400.0, core_count=96, thread_count=192, socket_count=2,
                       temperature_c=55.0, power_w=400.0, load_average_1m=3.0),
        memory=MemoryReading(total_bytes=2**40, used_bytes=2**38, available_bytes=2**39,
                             free_bytes=2**39, cached_bytes=2**36, swap_total_bytes=0),
        disks=tuple(DiskReading(f"/d{i}", total_bytes=2**40, used_bytes=2**39)
                    for i in range(8)),
        uptime_s=1e6)
    print(f"host (192 threads, 8 disks): {_best_us(lambda: guard(host), repeat):.1f} us")


def remote_rows(repeat: int) -> None:
    snapshot = NodeSnapshot("node-1", 1.8e9, tuple(MockBackend(spec="h100:8", seed=1).readings()))
    body = snapshot.to_json()
    text = render_prometheus(snapshot).encode()
    guard_us = _best_us(lambda: guard_snapshot(snapshot), repeat)
    json_us = _best_us(lambda: checked_snapshot(NodeSnapshot.from_json(body)), repeat)
    text_us = _best_us(lambda: parse_node_text(text, "node-1"), max(1, repeat // 10))
    print(f"remote node h100:8: decode /snapshot {json_us:.0f} us, /metrics {text_us:.0f} us; "
          f"guard {guard_us:.0f} us ({guard_us / json_us:.2f} and {guard_us / text_us:.2f} of "
          f"them); 1024 nodes: {guard_us * 1024 / 1e6:.2f} CPU s a round")


def main() -> None:
    """Parse flags and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="calls per timing (default 200)")
    repeat = parser.parse_args().repeat
    print(f"{'source':<34} {'devices':>7} {'read us/dev':>11} {'guard us/dev':>12} "
          f"{'guard/read':>11}")
    mock_rows(repeat)
    nvidia_rows(repeat)
    worst_rows(repeat)
    remote_rows(repeat)


if __name__ == "__main__":
    main()
