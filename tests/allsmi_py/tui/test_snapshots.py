"""SVG snapshot of the local view: seeded mock devices, fixed host, fixed clock and time zone."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

import pytest
from textual.pilot import Pilot

from allsmi_py.model import BackendStatus, NodeSnapshot
from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.messages import SnapshotUpdated
from tests.allsmi_py.tui.factories import mock_snapshots, snapshot


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The header prints local time; pin the zone so the screenshot is the same everywhere."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _feed(snaps: Sequence[NodeSnapshot]) -> Callable[[Pilot[None]], object]:
    async def run_before(pilot: Pilot[None]) -> None:
        for snap in snaps:
            pilot.app.post_message(SnapshotUpdated(snap))
            await pilot.pause()
        await pilot.pause()
    return run_before


def test_local_view_with_eight_mock_h100(snap_compare: Callable[..., bool]) -> None:
    snaps = mock_snapshots("h100:8", count=12, seed=1)
    assert snap_compare(AllSmiApp(), terminal_size=(120, 40), run_before=_feed(snaps))


def test_local_view_at_80x24_with_mixed_vendors(snap_compare: Callable[..., bool]) -> None:
    snaps = mock_snapshots("h100:2,rngd:1", count=4, seed=7)
    assert snap_compare(AllSmiApp(), terminal_size=(80, 24), run_before=_feed(snaps))


def test_no_accelerator_view(snap_compare: Callable[..., bool]) -> None:
    empty = snapshot(backends=(
        BackendStatus("nvidia", "unavailable", "libnvidia-ml.so.1 not found: install the "
                      "NVIDIA driver, or start the container with the NVIDIA runtime"),
        BackendStatus("amd", "unavailable", "no AMD GPU: no /sys/class/drm/card*/device")))
    assert snap_compare(AllSmiApp(), terminal_size=(100, 30), run_before=_feed([empty]))
