"""Pilot tests of `allsmi replay` in the TUI: every key, the position bar, both apps."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from textual.pilot import Pilot

from allsmi_py.recording.reader import Recording
from allsmi_py.tui.replay import ClusterReplayApp, GoToScreen, LocalReplayApp, replay_app
from allsmi_py.tui.widgets.devices import utilization_key
from allsmi_py.tui.widgets.replay_bar import ReplayBar, bar_text
from tests.allsmi_py.recording.recordings import cluster_recording, local_recording, write
from tests.allsmi_py.tui.factories import T0, mock_snapshots

SIZE = (120, 40)


async def _settle(pilot: Pilot[None]) -> None:
    """Let the frame load (worker thread), its message and the redraw go through."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def _bar(pilot: Pilot[None]) -> str:
    bar = pilot.app.screen.query_one(ReplayBar)
    return bar_text(bar.playhead, bar.size.width).plain


@pytest.fixture
def local(tmp_path: Path) -> Recording:
    local_recording(tmp_path / "a.rec", count=6, step_s=30.0)
    return Recording(tmp_path / "a.rec")


async def test_local_replay_opens_on_the_first_frame_and_plays(local: Recording) -> None:
    app = replay_app(local)
    assert isinstance(app, LocalReplayApp)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot)
        assert app.snapshot is not None and app.snapshot.taken_at_s == T0
        assert "▶ playing x1" in _bar(pilot) and "frame 1/6" in _bar(pilot)
    local.close()


async def test_space_pauses_and_plays_on(local: Recording) -> None:
    app = LocalReplayApp(local)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot)
        await pilot.press("space")
        assert app.replay.playhead.paused and "⏸ paused" in _bar(pilot)
        await pilot.press("space")
        assert not app.replay.playhead.paused
    local.close()


async def test_step_keys_move_one_frame_and_pause(local: Recording) -> None:
    app = LocalReplayApp(local)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot)
        await pilot.press("full_stop", "full_stop")
        await _settle(pilot)
        assert app.replay.playhead.paused
        assert app.snapshot is not None and app.snapshot.taken_at_s == T0 + 60
        assert "frame 3/6" in _bar(pilot)
        await pilot.press("comma")
        await _settle(pilot)
        assert app.snapshot.taken_at_s == T0 + 30
        # a step back is a jump: the sparklines start again from the frame shown
        assert app.history.values(utilization_key(app.snapshot.devices[0].uuid)) == [
            app.snapshot.devices[0].utilization_pct]
    local.close()


async def test_speed_keys_set_x1_x2_x10_and_the_timer(local: Recording) -> None:
    app = LocalReplayApp(local)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot)
        for key, speed in (("2", 2), ("3", 10), ("1", 1)):
            await pilot.press(key)
            assert app.replay.playhead.speed == speed
            assert f"x{speed} " in _bar(pilot)
        await pilot.press("3")
        assert app.replay.playhead.delay_to_next_s() == 3.0  # 30 s recorded at x10
    local.close()


async def test_seek_keys_move_a_minute(local: Recording) -> None:
    app = LocalReplayApp(local)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot)
        await pilot.press("space", "greater_than_sign")
        await _settle(pilot)
        assert app.snapshot is not None and app.snapshot.taken_at_s == T0 + 60
        await pilot.press("greater_than_sign", "greater_than_sign", "greater_than_sign")
        await _settle(pilot)
        assert app.snapshot.taken_at_s == T0 + 150  # the last frame
        assert "frame 6/6" in _bar(pilot)
        await pilot.press("less_than_sign")
        await _settle(pilot)
        assert app.snapshot.taken_at_s == T0 + 90
    local.close()


async def test_j_goes_to_a_typed_time_and_a_bad_one_is_a_notice(local: Recording) -> None:
    app = LocalReplayApp(local)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot)
        await pilot.press("space", "j")
        assert isinstance(app.screen, GoToScreen)
        await pilot.press(*"+2m", "enter")
        await _settle(pilot)
        assert app.snapshot is not None and app.snapshot.taken_at_s == T0 + 120
        await pilot.press("j", *"later", "enter")
        await _settle(pilot)
        assert app.snapshot.taken_at_s == T0 + 120
        assert any("not a time" in n.message for n in app._notifications)
        await pilot.press("j", "escape")
        assert not isinstance(app.screen, GoToScreen)
    local.close()


async def test_playing_reaches_the_end_and_space_starts_again(tmp_path: Path) -> None:
    frames = mock_snapshots("h100:1", count=4)
    # a long first gap, then frames 20 ms apart: from frame 2 the end comes at once
    times = (T0, T0 + 30, T0 + 30.02, T0 + 30.04)
    write(tmp_path / "fast.rec",
          [replace(f, taken_at_s=t) for f, t in zip(frames, times, strict=True)])
    with Recording(tmp_path / "fast.rec") as recording:
        app = LocalReplayApp(recording, start=2)
        async with app.run_test(size=SIZE) as pilot:
            for _ in range(50):
                await _settle(pilot)
                if app.replay.playhead.at_end:
                    break
            await _settle(pilot)
            assert app.snapshot is not None and app.snapshot.taken_at_s == times[-1]
            assert "■ end" in _bar(pilot)
            await pilot.press("space")  # paused at the end...
            await pilot.press("space")  # ...plays on from the first frame
            await _settle(pilot)
            assert app.replay.playhead.index == 0 and not app.replay.playhead.paused
            assert app.snapshot.taken_at_s == T0


async def test_a_damaged_frame_is_a_notice_and_the_others_still_show(tmp_path: Path) -> None:
    path = tmp_path / "d.rec"
    local_recording(path, count=3, keyframe_every=2)  # the damaged delta takes no other
    with Recording(path) as recording:
        offset = recording._offsets[1] + 30
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x55
    path.write_bytes(bytes(data))
    with Recording(path) as recording:
        app = LocalReplayApp(recording)
        async with app.run_test(size=SIZE) as pilot:
            await _settle(pilot)
            await pilot.press("full_stop")
            await _settle(pilot)
            assert any("checksum mismatch" in n.message for n in app._notifications)
            await pilot.press("full_stop")
            await _settle(pilot)
            assert app.snapshot is not None and app.snapshot.taken_at_s == recording.times[2]


async def test_cluster_replay_shows_the_rounds_and_keeps_the_tab_keys(tmp_path: Path) -> None:
    cluster_recording(tmp_path / "c.rec", nodes=3, count=4)
    with Recording(tmp_path / "c.rec") as recording:
        app = replay_app(recording, start=1, label="c.rec")
        assert isinstance(app, ClusterReplayApp)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("space")
            for _ in range(3):
                await _settle(pilot)
            assert app.state is not None
            assert app.state.cluster.taken_at_s == recording.times[1]
            assert "frame 2/4" in _bar(pilot)
            await pilot.press("full_stop", "full_stop")
            for _ in range(3):
                await _settle(pilot)
            assert app.state.cluster.taken_at_s == recording.times[3]
            assert app.state.cluster.nodes[0].status.state == "unreachable"
            await pilot.press("3")
            assert app.replay.playhead.speed == 10
