"""How much of the UI thread one local-view refresh costs, headless (8 mock H100s, 120x40).

Run: .venv/bin/python -m tests.benchmarks.bench_tui_local [--devices N] [--frames N]
Prints CPU milliseconds per snapshot (drawing included) and the implied share of one core at
a 2 s interval. Not a pytest module: the figure depends on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.messages import SnapshotUpdated
from tests.allsmi_py.tui.factories import mock_snapshots


async def measure(devices: int, frames: int, width: int, height: int) -> list[float]:
    """CPU seconds spent per snapshot, one figure per frame after a warm-up."""
    snaps = mock_snapshots(f"h100:{devices}", count=frames + 5, seed=1)
    app = AllSmiApp()
    costs: list[float] = []
    async with app.run_test(size=(width, height)) as pilot:
        for snap in snaps[:5]:
            app.post_message(SnapshotUpdated(snap))
            await pilot.pause()
        for snap in snaps[5:]:
            started = time.process_time()
            app.post_message(SnapshotUpdated(snap))
            await pilot.pause()
            await asyncio.sleep(0.05)  # let the screen's refresh timer paint the frame
            costs.append(time.process_time() - started)
    return costs


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    costs = asyncio.run(measure(args.devices, args.frames, width, height))
    median_ms = statistics.median(costs) * 1000
    print(f"local view, {args.devices} devices, {width}x{height}: "
          f"median {median_ms:.1f} ms CPU per snapshot, max {max(costs) * 1000:.1f} ms; "
          f"at a 2 s interval {median_ms / 2000 * 100:.2f}% of a core for drawing")


if __name__ == "__main__":
    main()
