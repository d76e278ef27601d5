"""Energy meter benchmark: what metering adds to a snapshot, locally and in the mock server.

Run: .venv/bin/python tests/benchmarks/bench_energy_meter.py [--repeat N]
Prints, for several node sizes, microseconds to read the mock devices (the baseline, measured
in the same run) and to meter the snapshot, and their ratio; then the mock server's cost per
node and step (snapshot + /metrics render) with and without the metered series.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from allsmi_py.energy.meter import EnergyMeter  # noqa: E402
from allsmi_py.exporter.render import render_prometheus  # noqa: E402
from allsmi_py.model import NodeSnapshot  # noqa: E402
from backends.mock.backend import MockBackend  # noqa: E402
from mock_server.node import SimNode  # noqa: E402
from mock_server.plan import NodePlan  # noqa: E402

CASES = ("h100:1", "h100:8", "h100:8,rngd:8", "gaudi3:8,mi300x:8,n300:4,atom:4")


def _best_us(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - started) / repeat)
    return best * 1e6


def _metering(backend: MockBackend) -> Callable[[], object]:
    meter = EnergyMeter(None, max_gap_s=1e9)
    clock = [0.0]

    def metered() -> object:
        clock[0] += 1.0
        return meter.apply(NodeSnapshot("n", clock[0], tuple(backend.readings())))
    return metered


def local(repeat: int) -> None:
    print(f"{'devices':>8} {'read us':>9} {'meter us':>9} {'meter/read':>10}")
    for spec in CASES:
        backend = MockBackend(spec=spec, seed=1)
        read_us = _best_us(backend.readings, repeat)
        meter_us = _best_us(_metering(backend), repeat) - read_us
        devices = len(backend.readings())
        print(f"{devices:>8} {read_us:>9.1f} {meter_us:>9.1f} {meter_us / read_us:>10.2f}")


def mock_server(nodes: int, steps: int) -> None:
    def per_node_us(metered: bool) -> float:
        step = [0]
        sims = [SimNode(NodePlan(i, f"n{i}", 0, "h100:8"), 1, 1.0, 1.79e9, False,
                        lambda: step[0]) for i in range(nodes)]
        if not metered:
            for sim in sims:
                sim._metered = lambda d: d  # type: ignore[method-assign]
        started = time.process_time()
        for k in range(1, steps + 1):
            step[0] = k
            for sim in sims:
                render_prometheus(sim.snapshot())
        return (time.process_time() - started) / steps / nodes * 1e6
    base, metered = per_node_us(False), per_node_us(True)
    print(f"\nmock server, h100:8, {nodes} nodes x {steps} steps (snapshot + /metrics):")
    print(f"  without energy {base:.0f} us/node, with {metered:.0f} us/node, "
          f"ratio {metered / base:.2f}; 1024 nodes: {metered * 1024 / 1e6:.2f} CPU s/round")


def main() -> None:
    """Parse flags and print both tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--nodes", type=int, default=64)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    local(args.repeat)
    mock_server(args.nodes, args.steps)


if __name__ == "__main__":
    main()
