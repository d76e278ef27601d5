"""The app's plumbing: snapshots from the collector thread, latest wins, history buffers."""

from __future__ import annotations

import asyncio

from textual.message import Message

from allsmi_py.collector import Collector
from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.history import History
from allsmi_py.tui.messages import SnapshotUpdated
from allsmi_py.tui.widgets.devices import DeviceCard
from backends.mock.backend import MockBackend
from tests.allsmi_py.tui.factories import T0, device, snapshot


def test_a_newer_snapshot_replaces_an_older_one_in_the_queue() -> None:
    old, new = SnapshotUpdated(snapshot(device(0))), SnapshotUpdated(snapshot(device(1)))
    assert old.can_replace(new)
    assert not old.can_replace(Message())


def test_history_rings_are_bounded_and_forget_missing_keys() -> None:
    history = History(length=3)
    for value in (1.0, None, 3.0, 4.0):
        history.push("a", value)
    history.push("b", 9.0)
    assert history.values("a") == [None, 3.0, 4.0] and history.values("a", last=1) == [4.0]
    history.keep_only(["b"])
    assert "a" not in history and history.values("a") == [] and len(history) == 1


async def test_snapshots_arrive_from_the_collector_thread() -> None:
    collector = Collector([MockBackend(spec="h100:2", seed=5)], interval_s=0.2, hostname="node")
    app = AllSmiApp(collector)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(100):
                if app.snapshot is not None and len(app.history.values(
                        f"{app.snapshot.devices[0].uuid}:util")) >= 2:
                    break
                await asyncio.sleep(0.05)
            assert app.snapshot is not None and app.snapshot.hostname == "node"
            await pilot.pause()
            assert len(app.screen.query(DeviceCard)) == 2
    finally:
        collector.stop()
    assert collector._subscribers == []  # the app unsubscribed when it closed


async def test_a_burst_of_snapshots_ends_on_the_latest() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        for i in range(20):
            app.post_message(SnapshotUpdated(snapshot(device(0, utilization_pct=float(i)),
                                                      taken_at_s=T0 + i)))
        await pilot.pause()
        await pilot.pause()
        assert app.snapshot is not None and app.snapshot.taken_at_s == T0 + 19
        card = app.screen.query_one(DeviceCard)
        assert card.device.utilization_pct == 19.0
        # Queued frames were dropped, not drawn one by one.
        assert app.history.values("GPU-test-0:util") == [19.0]
