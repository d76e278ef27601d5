"""The playhead: pause, step, speed, seek and go to, over the frames' recorded times."""

from __future__ import annotations

import pytest

from allsmi_py.recording.player import MAX_GAP_S, Playhead

TIMES = [100.0, 110.0, 120.0, 130.0, 500.0]


def test_plays_frame_after_frame_with_the_recorded_gaps_divided_by_the_speed() -> None:
    head = Playhead(TIMES)
    assert head.delay_to_next_s() == 10.0
    head.set_speed(10)
    assert head.delay_to_next_s() == 1.0
    assert head.advance() and head.index == 1 and head.time_s == 110.0


def test_a_long_gap_plays_as_max_gap() -> None:
    head = Playhead(TIMES)
    head.index = 3
    assert head.delay_to_next_s() == MAX_GAP_S


def test_pause_stops_the_clock_and_playing_on_at_the_end_starts_again() -> None:
    head = Playhead(TIMES)
    head.toggle_pause()
    assert head.paused and head.delay_to_next_s() is None and not head.advance()
    head.toggle_pause()
    head.index = head.last
    assert head.at_end and head.delay_to_next_s() is None and not head.advance()
    head.toggle_pause()
    head.toggle_pause()
    assert head.index == 0 and not head.paused


def test_step_pauses_and_stays_inside() -> None:
    head = Playhead(TIMES)
    head.step(1)
    assert head.paused and head.index == 1
    head.step(-5)
    assert head.index == 0
    head.step(100)
    assert head.index == head.last


def test_seek_and_go_to_pick_the_frame_shown_at_that_time() -> None:
    head = Playhead(TIMES)
    head.seek(25)
    assert head.index == 2
    head.seek(-1000)
    assert head.index == 0
    head.go_to(499.0)
    assert head.index == 3
    head.go_to(10_000)
    assert head.index == head.last and head.fraction == 1.0


def test_speeds_are_one_two_and_ten_only() -> None:
    head = Playhead(TIMES)
    with pytest.raises(ValueError):
        head.set_speed(3)


def test_one_frame_and_no_frames() -> None:
    head = Playhead([5.0])
    assert head.at_end and head.fraction == 1.0 and head.delay_to_next_s() is None
    with pytest.raises(ValueError):
        Playhead([])
