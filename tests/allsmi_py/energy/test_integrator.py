"""The integrator on clean samples, then on everything a device or a clock can get wrong."""

from __future__ import annotations

import math

import pytest

from allsmi_py.energy.integrator import (
    MAX_POWER_W,
    MAX_TOTAL_J,
    Sample,
    Track,
    advance,
    resumed,
    usable_counter,
    usable_power,
)

GAP_S = 10.0


def run(samples: list[Sample], start: Track | None = None) -> Track:
    track = start or Track()
    for sample in samples:
        track = advance(track, sample, GAP_S)
    return track


def test_trapezoid_over_power_samples() -> None:
    track = run([Sample(0.0, 100.0), Sample(2.0, 200.0), Sample(4.0, 200.0)])
    assert track.total_j == pytest.approx(300.0 + 400.0)


def test_first_reading_only_sets_the_start() -> None:
    assert run([Sample(100.0, 250.0)]).total_j == 0.0


def test_counter_used_when_it_rises_plausibly() -> None:
    # power says 100 W, the counter says 150 J in 1 s: the hardware counter wins
    track = run([Sample(0.0, 100.0, 1000.0), Sample(1.0, 100.0, 1150.0)])
    assert track.total_j == pytest.approx(150.0)


def test_counter_reset_counts_only_the_increase_after_it() -> None:
    track = run([Sample(0.0, 100.0, 5_000_000.0), Sample(1.0, 100.0, 40.0),
                 Sample(2.0, 100.0, 140.0)])
    assert track.total_j == pytest.approx(40.0 + 100.0)


def test_counter_jump_beyond_any_power_falls_back_to_power() -> None:
    track = run([Sample(0.0, 100.0, 0.0), Sample(1.0, 100.0, 1e12)])
    assert track.total_j == pytest.approx(100.0)


def test_counter_reset_to_a_huge_value_is_not_believed() -> None:
    track = run([Sample(0.0, 50.0, 1e9), Sample(1.0, 50.0, 1e8)])
    assert track.total_j == pytest.approx(50.0)


def test_gap_longer_than_the_cap_adds_nothing_then_resumes() -> None:
    track = run([Sample(0.0, 100.0), Sample(1.0, 100.0), Sample(1000.0, 100.0),
                 Sample(1001.0, 100.0)])
    assert track.total_j == pytest.approx(200.0)


def test_gap_with_a_counter_adds_nothing_either() -> None:
    track = run([Sample(0.0, 100.0, 0.0), Sample(500.0, 100.0, 50_000.0)])
    assert track.total_j == 0.0


def test_clock_going_backwards_adds_nothing_and_restarts_the_interval() -> None:
    track = run([Sample(100.0, 100.0), Sample(101.0, 100.0), Sample(50.0, 100.0),
                 Sample(51.0, 100.0)])
    assert track.total_j == pytest.approx(200.0)


def test_clock_standing_still_adds_nothing_and_the_later_reading_starts() -> None:
    track = run([Sample(1.0, 100.0), Sample(1.0, 900.0)])
    assert track.total_j == 0.0
    assert run([Sample(2.0, 100.0)], track).total_j == pytest.approx(500.0)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, -5.0, float(0xFFFFFFFF),
                                 float(2**64 - 1), MAX_POWER_W * 2, 1e300])
def test_unusable_power_is_no_sample(bad: float) -> None:
    # the bad reading is skipped: the next good one integrates from the last good one
    track = run([Sample(0.0, 100.0), Sample(1.0, bad), Sample(2.0, 100.0)])
    assert track.total_j == pytest.approx(200.0)
    assert math.isfinite(track.total_j)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0, float(2**64), 2.0**63])
def test_unusable_counter_falls_back_to_power(bad: float) -> None:
    track = run([Sample(0.0, 100.0, 10.0), Sample(1.0, 100.0, bad), Sample(2.0, 100.0, 20.0)])
    assert track.total_j == pytest.approx(200.0)


@pytest.mark.parametrize("bad_time", [math.nan, math.inf, -math.inf, -1.0])
def test_unusable_timestamps_are_no_sample(bad_time: float) -> None:
    track = run([Sample(0.0, 100.0), Sample(bad_time, 100.0), Sample(1.0, 100.0)])
    assert track.total_j == pytest.approx(100.0)


def test_bools_and_non_numbers_are_refused() -> None:
    assert usable_power(True) is None
    assert usable_power("100") is None  # type: ignore[arg-type]
    assert usable_counter(None) is None
    assert usable_power(0) == 0.0


def test_total_never_passes_its_cap() -> None:
    start = Track(total_j=MAX_TOTAL_J - 1.0)
    track = run([Sample(0.0, MAX_POWER_W), Sample(GAP_S, MAX_POWER_W)], start)
    assert track.total_j == MAX_TOTAL_J


def test_a_device_that_reports_nothing_keeps_no_start() -> None:
    track = run([Sample(0.0), Sample(1.0), Sample(2.0, 100.0)])
    assert track == Track(total_j=0.0, last_at_s=2.0, last_power_w=100.0)


@pytest.mark.parametrize(("kept", "resumed_j"), [(12.5, 12.5), (-1.0, 0.0), (math.nan, 0.0),
                                                  (math.inf, 0.0), (MAX_TOTAL_J * 10, 0.0)])
def test_resumed_totals_are_checked(kept: float, resumed_j: float) -> None:
    assert resumed(kept).total_j == resumed_j
    assert resumed(kept).last_at_s is None
