"""Durations and points in time as `allsmi record` and `allsmi replay` take them.

A duration: seconds ("90", "2.5"), or with units ("90s", "15m", "1h30m", "2d").
A time: a Unix time ("1790000000"), an ISO 8601 date and time ("2026-12-04T05:00",
"2026-12-04 05:00:00+00:00", "...Z"; without an offset it is local time), a clock time
("05:00", "05:00:30": the first such moment at or after a reference, so a recording that
runs past midnight still finds the next day's), or "+DURATION" after the reference.
Every refusal is a ValueError whose message fits on one line.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

MAX_DURATION_S = 366 * 86400.0
_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?")
_MAX_TEXT = 64


def _shown(text: str) -> str:
    return repr(text[:40] + ("..." if len(text) > 40 else ""))


def parse_duration(text: str) -> float:
    """Seconds in `text`, more than 0 and at most a year."""
    value = text.strip().lower()
    seconds: float | None = None
    if len(value) <= _MAX_TEXT:
        try:
            seconds = float(value)
        except ValueError:
            parts = _DURATION.findall(value)
            if parts and "".join(number + unit for number, unit in parts) == value:
                seconds = sum(float(number) * _UNITS[unit] for number, unit in parts)
    if seconds is None or not math.isfinite(seconds):
        raise ValueError(f"{_shown(text)} is not a duration (say 90, 90s, 15m, 1h30m or 2d)")
    if not 0 < seconds <= MAX_DURATION_S:
        raise ValueError(f"duration {_shown(text)} must be more than 0 and at most 366 days")
    return seconds


def parse_time(text: str, reference_s: float) -> float:
    """The Unix time `text` names; clock times and +DURATION count from `reference_s`."""
    value = text.strip()
    if len(value) > _MAX_TEXT or not value:
        raise ValueError(f"{_shown(text)} is not a time")
    if value.startswith("+"):
        return reference_s + parse_duration(value[1:])
    clock = _CLOCK.fullmatch(value)
    if clock is not None:
        return _next_clock(int(clock[1]), int(clock[2]), int(clock[3] or 0), reference_s)
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        if not math.isfinite(number) or not 0 <= number < 2**33:
            raise ValueError(f"{_shown(text)} is not a Unix time")
        return number
    try:
        moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        raise ValueError(f"{_shown(text)} is not a time (say 05:00, 2026-12-04T05:00, "
                         "+30m or a Unix time)") from None
    return moment.timestamp()


def _next_clock(hour: int, minute: int, second: int, reference_s: float) -> float:
    """The first local moment at or after `reference_s` whose clock reads hour:minute:second."""
    start = datetime.fromtimestamp(reference_s)
    moment = start.replace(hour=hour, minute=minute, second=second, microsecond=0)
    if moment.timestamp() < math.floor(reference_s):
        moment += timedelta(days=1)
    return moment.timestamp()


def format_time(time_s: float) -> str:
    """A Unix time as local 'YYYY-MM-DD HH:MM:SS', for messages and the position bar."""
    return datetime.fromtimestamp(time_s).strftime("%Y-%m-%d %H:%M:%S")
