"""UI time of one cluster-view refresh at 1024 nodes x 8 devices, headless (120x40).

Run: .venv/bin/python -m tests.benchmarks.bench_tui_cluster [--nodes N] [--frames N]
Feeds synthetic ClusterSnapshots (seeded mock H100 nodes) to the app as the poller would:
`ClusterApp.derive` runs in the app's derive thread (summary, rows sorted and filtered for the
screen, grid cells, alerts), then the UI thread handles the ready state (history, toasts, the
screen's update) and paints. Per round it measures, with per-thread CPU clocks:
  UI CPU     everything the UI (event loop) thread spent, from handing the round over to the
             painted frame, GC in that thread included; this is the figure the issue bounds
  handler    the ClusterReady handler alone (history, toasts, screen.show via the watcher)
  screen     screen.show measured again on its own; render: the visible device rows
  derive     CPU of the derive thread for the round, and the GC that ran in it. It does not
             count against the UI's CPU, but under the GIL the UI cannot run while it holds
             the interpreter, so its GC pauses are reported as a possible stall too.
Not a pytest module: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import threading
import time
from collections.abc import Callable, Iterator

from textual.geometry import Region

from allsmi_py.model import ClusterSnapshot
from allsmi_py.tui.cluster_app import ClusterApp, ClusterReady
from allsmi_py.tui.screens.cluster import ClusterScreen
from allsmi_py.tui.widgets.device_table import DeviceTable
from tests.allsmi_py.tui.cluster_factories import cluster_rounds

Setup = Callable[[ClusterScreen], None]


class GcClock:
    """Seconds spent in the cyclic garbage collector, per thread (UI or not)."""

    def __init__(self) -> None:
        self.ui_thread = threading.get_ident()
        self.ui = self.other = 0.0
        self._start: dict[int, float] = {}

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        me = threading.get_ident()
        if phase == "start":
            self._start[me] = time.perf_counter()
            return
        spent = time.perf_counter() - self._start.pop(me, time.perf_counter())
        if me == self.ui_thread:
            self.ui += spent
        else:
            self.other += spent


COLUMNS = ("ui", "ui_gc", "handler", "screen", "render", "derive", "derive_gc")


async def measure(rounds: Iterator[ClusterSnapshot], size: tuple[int, int],
                  setup: Setup | None, tune_gc: bool) -> dict[str, list[float]]:
    """Per-round seconds of each stage, after one warm-up round."""
    app = ClusterApp(tune_gc=tune_gc)  # `allsmi view` runs with tune_gc=True
    costs: dict[str, list[float]] = {k: [] for k in COLUMNS}
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
        await app.ingest(next(rounds))
        await pilot.pause()
        table = screen.query_one("#device-table", DeviceTable)
        for cluster in rounds:
            ui_gc0, other_gc0 = clock.ui, clock.other
            cpu0 = time.thread_time()  # this thread is the app's: run_test shares the loop
            state = await app.derive(cluster)  # what ingest() does before posting
            # The handler is called as Textual would dispatch ClusterReady, so that it can be
            # timed alone; the state it sets runs the screen's watcher synchronously.
            t0 = time.perf_counter()
            app.on_cluster_ready(ClusterReady(state))
            costs["handler"].append(time.perf_counter() - t0)
            await pilot.pause()
            await asyncio.sleep(0.05)  # the screen's refresh timer paints the frame
            costs["ui"].append(time.thread_time() - cpu0)
            costs["ui_gc"].append(clock.ui - ui_gc0)
            costs["derive"].append(state.derive_cpu_s)
            costs["derive_gc"].append(clock.other - other_gc0)
            assert app.state is state
            t0 = time.perf_counter()
            screen.show(state)  # the screen's share, measured again on its own
            costs["screen"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            table.render_lines(Region(0, 0, table.size.width, table.size.height))
            costs["render"].append(time.perf_counter() - t0)


async def rss_over_rounds(nodes: int, devices: int, rounds: int) -> list[tuple[int, float]]:
    """(round, RSS MiB) every 10 rounds as `allsmi view` runs them: the automatic collector
    off (RoundGc), cycles freed only by the sweep every 30 rounds, so growth would show."""
    import psutil

    process = psutil.Process()
    app = ClusterApp(tune_gc=True)
    made = cluster_rounds(nodes, f"h100:{devices}", rounds=rounds, seed=1,
                          down=range(0, nodes, 97), lazy=True)
    out = []
    async with app.run_test(size=(120, 40)) as pilot:
        for number, cluster in enumerate(made):
            app.on_cluster_ready(ClusterReady(await app.derive(cluster)))
            await pilot.pause()
            if number % 10 == 0:
                out.append((number, process.memory_info().rss / 2**20))
    return out


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
    parser.add_argument("--rss-rounds", type=int, default=70,
                        help="rounds of the RSS check (0: skip it)")
    parser.add_argument("--no-tune-gc", action="store_true",
                        help="leave the GC as it is (allsmi view freezes the start-up heap)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    print(f"{args.nodes} nodes x {args.devices} mock devices, every 97th node down; rounds are "
          "built one at a time so the heap holds what the real app holds")
    cases: list[tuple[str, Setup | None]] = [("sort node, no filter", None),
                                             ("sort util desc", _sort_util),
                                             ("filter util>50 temp>=40 h100", _filter)]
    print(f"{'case':<30} {'UI CPU':>7} {'p90':>6} {'max':>6} {'UI GC':>6} {'maxGC':>6} "
          f"{'handler':>8} {'screen':>7} {'render':>7} | {'derive':>7} {'der.GC':>7} "
          f"{'max':>6}   (ms per refresh, median of {args.frames} unless p90/max, "
          f"{width}x{height})")
    for name, setup in cases:
        rounds = cluster_rounds(args.nodes, f"h100:{args.devices}", rounds=args.frames + 1,
                                seed=1, down=range(0, args.nodes, 97), lazy=True)
        c = asyncio.run(measure(iter(rounds), (width, height), setup, not args.no_tune_gc))
        med = {k: statistics.median(v) * 1000 for k, v in c.items()}
        ui = sorted(c["ui"])
        p90 = ui[min(len(ui) - 1, round(0.9 * (len(ui) - 1)))] * 1000
        print(f"{name:<30} {med['ui']:>7.1f} {p90:>6.1f} {ui[-1] * 1000:>6.1f} "
              f"{med['ui_gc']:>6.1f} {max(c['ui_gc']) * 1000:>6.1f} {med['handler']:>8.1f} "
              f"{med['screen']:>7.1f} {med['render']:>7.2f} | {med['derive']:>7.1f} "
              f"{med['derive_gc']:>7.1f} {max(c['derive_gc']) * 1000:>6.1f}")
    if args.rss_rounds:
        rss = asyncio.run(rss_over_rounds(args.nodes, args.devices, args.rss_rounds))
        print("RSS over rounds (MiB): " + "  ".join(f"{n}: {m:.0f}" for n, m in rss))


if __name__ == "__main__":
    main()
