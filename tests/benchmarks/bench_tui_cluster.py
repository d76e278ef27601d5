"""UI time of one cluster-view refresh at 1024 nodes x 8 devices, headless (120x40).

Run: .venv/bin/python -m tests.benchmarks.bench_tui_cluster [--nodes N] [--frames N]
Feeds synthetic ClusterSnapshots (seeded mock H100 nodes) to the app as the poller would, and
measures, per round: the message handler (summary, rows, alerts, history), the screen's update
(filter, sort, widgets), the line-API render of the visible device rows, and the CPU of the
whole refresh including Textual's paint. Not a pytest module: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from collections.abc import Callable, Iterator

from textual.geometry import Region

from allsmi_py.model import ClusterSnapshot
from allsmi_py.tui.cluster_app import ClusterApp
from allsmi_py.tui.messages import ClusterUpdated
from allsmi_py.tui.screens.cluster import ClusterScreen
from allsmi_py.tui.widgets.device_table import DeviceTable
from tests.allsmi_py.tui.cluster_factories import cluster_rounds

Setup = Callable[[ClusterScreen], None]


class GcClock:
    """Seconds spent in the cyclic garbage collector (gen 2 passes dominate at this scale)."""

    def __init__(self) -> None:
        self.total = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._start


async def measure(rounds: Iterator[ClusterSnapshot], size: tuple[int, int],
                  setup: Setup | None) -> dict[str, list[float]]:
    """Per-round seconds of each stage, after one warm-up round."""
    app = ClusterApp()
    costs: dict[str, list[float]] = {"handler": [], "screen": [], "render": [], "cpu": [],
                                     "gc": []}
    clock = GcClock()
    gc.callbacks.append(clock)
    try:
        await _measure(app, rounds, size, setup, costs, clock)
    finally:
        gc.callbacks.remove(clock)
    return costs


async def _measure(app: ClusterApp, rounds: Iterator[ClusterSnapshot], size: tuple[int, int],
                   setup: Setup | None, costs: dict[str, list[float]], clock: GcClock) -> None:
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        assert isinstance(screen, ClusterScreen)
        if setup is not None:
            setup(screen)
        app.post_message(ClusterUpdated(next(rounds)))
        await pilot.pause()
        table = screen.query_one("#device-table", DeviceTable)
        for cluster in rounds:
            gc0 = clock.total
            # The handler is called as Textual would dispatch the message, so that it can be
            # timed alone; the state it sets runs the screen's watcher synchronously.
            cpu0, t0 = time.process_time(), time.perf_counter()
            app.on_cluster_updated(ClusterUpdated(cluster))
            costs["handler"].append(time.perf_counter() - t0)
            await pilot.pause()
            await asyncio.sleep(0.05)  # the screen's refresh timer paints the frame
            costs["cpu"].append(time.process_time() - cpu0)
            costs["gc"].append(clock.total - gc0)
            assert app.state is not None
            t0 = time.perf_counter()
            screen.show(app.state)  # the screen's share, measured again on its own
            costs["screen"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            table.render_lines(Region(0, 0, table.size.width, table.size.height))
            costs["render"].append(time.perf_counter() - t0)


def _filter(screen: ClusterScreen) -> None:
    from allsmi_py.tui.filter import parse_filter
    screen.query_filter = parse_filter("util>50 temp>=40 h100")


def _sort_util(screen: ClusterScreen) -> None:
    screen.sort_key, screen.sort_descending = "util", True


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=1024)
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--frames", type=int, default=10)
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    print(f"{args.nodes} nodes x {args.devices} mock devices, every 97th node down; rounds are "
          "built one at a time so the heap holds what the real app holds")
    cases: list[tuple[str, Setup | None]] = [("sort node, no filter", None),
                                             ("sort util desc", _sort_util),
                                             ("filter util>50 temp>=40 h100", _filter)]
    print(f"{'case':<30} {'handler+screen':>15} {'screen':>9} {'render':>9} {'CPU/refresh':>12} "
          f"{'of it GC':>9} {'max CPU':>9} {'max GC':>8}   (ms, median of {args.frames}, "
          f"{width}x{height})")
    for name, setup in cases:
        rounds = cluster_rounds(args.nodes, f"h100:{args.devices}", rounds=args.frames + 1,
                                seed=1, down=range(0, args.nodes, 97), lazy=True)
        c = asyncio.run(measure(iter(rounds), (width, height), setup))
        med = {k: statistics.median(v) * 1000 for k, v in c.items()}
        print(f"{name:<30} {med['handler']:>15.1f} {med['screen']:>9.1f} {med['render']:>9.2f} "
              f"{med['cpu']:>12.1f} {med['gc']:>9.1f} {max(c['cpu']) * 1000:>9.1f} "
              f"{max(c['gc']) * 1000:>8.1f}")


if __name__ == "__main__":
    main()
