"""Regenerate the README's screenshots: `.venv/bin/python docs/screenshots/make_screenshots.py`.

The local view reads 8 seeded mock H100s; the cluster view, 64 seeded mock nodes with one
down (the same factories the tests use), both at 120x40 in the dark theme.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from allsmi_py.tui.app import AllSmiApp  # noqa: E402
from allsmi_py.tui.cluster_app import ClusterApp  # noqa: E402
from allsmi_py.tui.messages import ClusterUpdated, SnapshotUpdated  # noqa: E402
from tests.allsmi_py.tui.cluster_factories import cluster_rounds  # noqa: E402
from tests.allsmi_py.tui.factories import mock_snapshots  # noqa: E402

SIZE = (120, 40)


async def local() -> None:
    app = AllSmiApp(None)
    async with app.run_test(size=SIZE) as pilot:
        for snap in mock_snapshots("h100:8", count=12, seed=3):
            app.post_message(SnapshotUpdated(snap))
            await pilot.pause()
        await pilot.pause(0.2)
        app.save_screenshot(str(HERE / "local.svg"))


async def cluster() -> None:
    app = ClusterApp(None, interval_s=60, label="hostfile hosts.txt")
    async with app.run_test(size=SIZE) as pilot:
        for round_ in cluster_rounds(nodes=64, spec="h100:8", rounds=8, down=(5,)):
            app.post_message(ClusterUpdated(round_))
            for _ in range(50):
                await pilot.pause(0.02)
                if app.state is not None and app.state.cluster is round_:
                    break
        await pilot.pause(0.2)
        app.save_screenshot(str(HERE / "cluster.svg"))


if __name__ == "__main__":
    asyncio.run(local())
    asyncio.run(cluster())
    print(f"wrote {HERE / 'local.svg'} and {HERE / 'cluster.svg'}")
