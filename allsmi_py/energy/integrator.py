"""Joules from power samples and hardware energy counters, one source at a time (pure).

Each source (a device, the host's CPU) keeps a `Track`; `advance` takes the next sample and
returns the new track. Per interval the hardware counter is used when both ends have one and
it rose by a plausible amount; otherwise the trapezoid over the two power readings. The rules
that keep hostile input out of the total:

- a power reading that is not a finite number in 0..MAX_POWER_W (0xFFFFFFFF sentinels, NaN,
  inf, negatives) is no sample: the next good one integrates from the last good one;
- a gap longer than `max_gap_s` (allsmi was stopped, the machine slept) adds nothing;
- a clock that goes backwards or stands still adds nothing and starts a new interval;
- a counter that goes backwards was reset: only the increase after the reset counts;
- a counter increase beyond MAX_POWER_W over the interval is not believed (power is used).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

MAX_POWER_W = 100_000.0  # all-smi's clamp: no one accelerator or CPU draws 100 kW
MAX_COUNTER_J = 2.0**63  # past int64 a counter value is garbage, not energy
MAX_TOTAL_J = 1e18  # about 32 GW for a year; a state file claiming more is not believed


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading of one source: when (Unix seconds), its power and its own counter, if any."""

    at_s: float
    power_w: float | None = None
    counter_j: float | None = None


@dataclass(frozen=True, slots=True)
class Track:
    """A source's total so far and the last good sample it was integrated up to."""

    total_j: float = 0.0
    last_at_s: float | None = None
    last_power_w: float | None = None
    last_counter_j: float | None = None


def _finite_in(value: float | None, high: float) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    v = float(value)
    return v if math.isfinite(v) and 0.0 <= v <= high else None


def usable_power(power_w: float | None) -> float | None:
    """`power_w` when it is a reading a device can give (0..MAX_POWER_W watts), else None."""
    return _finite_in(power_w, MAX_POWER_W)


def usable_counter(counter_j: float | None) -> float | None:
    """`counter_j` when it is a counter value (0..2**63 joules), else None."""
    value = _finite_in(counter_j, MAX_COUNTER_J)
    return None if value is not None and value >= MAX_COUNTER_J else value


def _counter_increase(before: float | None, after: float | None, dt_s: float) -> float | None:
    if before is None or after is None:
        return None
    rise = after - before if after >= before else after  # backwards: reset, count from 0
    return rise if rise <= MAX_POWER_W * dt_s else None


def _power_energy(before: float | None, after: float | None, dt_s: float) -> float:
    if after is None:
        return 0.0
    if before is None:
        return 0.0  # only one end known: the interval starts here
    return 0.5 * (before + after) * dt_s


def advance(track: Track, sample: Sample, max_gap_s: float) -> Track:
    """`track` after `sample`: joules added for the interval since the last good sample."""
    at = _finite_in(sample.at_s, float("inf"))
    power = usable_power(sample.power_w)
    counter = usable_counter(sample.counter_j)
    if at is None or (power is None and counter is None):
        return track  # nothing to integrate: keep the last good sample as the start
    start = replace(track, last_at_s=at, last_power_w=power, last_counter_j=counter)
    if track.last_at_s is None:
        return start
    dt = at - track.last_at_s
    if dt <= 0.0 or dt > max_gap_s:
        return start  # clock went back or stood still, or a gap: a fresh interval
    added = _counter_increase(track.last_counter_j, counter, dt)
    if added is None:
        added = _power_energy(track.last_power_w, power, dt)
    return replace(start, total_j=min(MAX_TOTAL_J, track.total_j + added))


def resumed(total_j: float) -> Track:
    """A track that goes on from a total kept across a restart (refused totals start at 0)."""
    return Track(total_j=_finite_in(total_j, MAX_TOTAL_J) or 0.0)
