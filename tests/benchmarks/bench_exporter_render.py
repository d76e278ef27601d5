"""Render benchmark: our renderer against prometheus-client's generate_latest, same data.

Run: .venv/bin/python -m tests.benchmarks.bench_exporter_render [--repeat N]
Prints microseconds per render and per sample for several node sizes, and the ratio.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, generate_latest

from allsmi_py.exporter.collector import SnapshotCollector
from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import NodeSnapshot
from tests.allsmi_py.exporter.conftest import mock_snapshot

CASES = ("h100:1", "h100:8", "h100:8,rngd:8", "gaudi3:8,mi300x:8,n300:4,atom:4")


def _best_us(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - started) / repeat)
    return best * 1e6


def bench(snapshot: NodeSnapshot, repeat: int, processes: bool) -> tuple[int, float, float]:
    """(samples, our us per render, generate_latest us per render)."""
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(lambda: snapshot, include_processes=processes))
    text = render_prometheus(snapshot, include_processes=processes)
    samples = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
    ours = _best_us(lambda: render_prometheus(snapshot, include_processes=processes), repeat)
    theirs = _best_us(lambda: generate_latest(registry), repeat)
    return samples, ours, theirs


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    print(f"{'devices':<34}{'samples':>8}{'ours us':>10}{'ours/smp':>10}"
          f"{'gen_latest us':>15}{'gl/smp':>9}{'ratio':>8}")
    for spec in CASES:
        for processes in (False, True):
            n, ours, theirs = bench(mock_snapshot(spec), args.repeat, processes)
            label = spec + (" +proc" if processes else "")
            print(f"{label:<34}{n:>8}{ours:>10.1f}{ours / n:>10.2f}{theirs:>15.1f}"
                  f"{theirs / n:>9.2f}{theirs / ours:>7.1f}x")


if __name__ == "__main__":
    main()
