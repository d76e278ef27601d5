"""Durations and times as --duration, --until and --at take them."""

from __future__ import annotations

from datetime import datetime

import pytest

from allsmi_py.recording.timespec import format_time, parse_duration, parse_time

REF = datetime(2026, 12, 4, 22, 30, 15).timestamp()  # local time


@pytest.mark.parametrize(("text", "seconds"), [("90", 90.0), ("2.5", 2.5), ("90s", 90.0),
                                               ("15m", 900.0), ("1h30m", 5400.0),
                                               ("2d", 172800.0), (" 1H ", 3600.0)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "x", "0", "-5", "1h30", "inf", "nan", "1e400", "367d",
                                  "5m5", "1" * 100])
def test_bad_durations_are_one_line(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 120


def test_clock_times_are_the_next_such_moment() -> None:
    assert format_time(parse_time("23:00", REF)) == "2026-12-04 23:00:00"
    assert format_time(parse_time("05:00:30", REF)) == "2026-12-05 05:00:30"


def test_offsets_unix_and_iso_times() -> None:
    assert parse_time("+30m", REF) == REF + 1800
    assert parse_time("1790000000", REF) == 1790000000.0
    assert parse_time("2026-12-04T00:00:00Z", REF) == 1796342400.0
    assert parse_time("2026-12-04T00:00:00+00:00", REF) == 1796342400.0
    assert format_time(parse_time("2026-12-04 05:06:07", REF)) == "2026-12-04 05:06:07"


@pytest.mark.parametrize("text", ["", "tomorrow", "25:00", "12:60", "1e400", "-1", "+0",
                                  "2026-13-01T00:00", "x" * 100])
def test_bad_times_are_one_line(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_time(text, REF)
    assert "\n" not in str(caught.value)
