"""The replay's playhead: which frame is shown, paused or playing, at which speed.

Pure state over the frames' times, so the TUI's keys are tested without a terminal. The
playhead never sleeps: `delay_to_next_s` says how long the current frame stays on screen
(the recorded gap between it and the next, divided by the speed) and the UI's timer calls
`advance` when that has passed.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

SPEEDS = (1, 2, 10)
SEEK_STEP_S = 60.0  # one press of a seek key
MAX_GAP_S = 60.0  # a longer gap (recorder stopped, node paused) plays as this long


class Playhead:
    """Position in a recording's frames, by index; times must not decrease."""

    def __init__(self, times: Sequence[float]) -> None:
        if not times:
            raise ValueError("a playhead needs at least one frame")
        self.times = times
        self.index = 0
        self.paused = False
        self.speed = SPEEDS[0]

    @property
    def last(self) -> int:
        """Index of the last frame."""
        return len(self.times) - 1

    @property
    def time_s(self) -> float:
        """taken_at_s of the frame shown."""
        return self.times[self.index]

    @property
    def at_end(self) -> bool:
        """True on the last frame: playing stops there."""
        return self.index >= self.last

    @property
    def fraction(self) -> float:
        """How far into the recording's time span the frame shown is, 0 to 1."""
        span = self.times[-1] - self.times[0]
        return 1.0 if span <= 0 else (self.time_s - self.times[0]) / span

    def toggle_pause(self) -> None:
        """Pause, or play on; playing on from the last frame starts again at the first."""
        if self.paused and self.at_end:
            self.index = 0
        self.paused = not self.paused

    def set_speed(self, speed: int) -> None:
        """Play at x`speed`, one of SPEEDS."""
        if speed not in SPEEDS:
            raise ValueError(f"speed must be one of {SPEEDS}")
        self.speed = speed

    def step(self, frames: int) -> None:
        """Pause and move by `frames` (negative: back), staying inside the recording."""
        self.paused = True
        self.index = min(self.last, max(0, self.index + frames))

    def seek(self, seconds: float) -> None:
        """Move by `seconds` of recorded time (negative: back), to the frame then shown."""
        self.go_to(self.time_s + seconds)

    def go_to(self, time_s: float) -> None:
        """Show the last frame taken at or before `time_s` (the first, when it is earlier)."""
        self.index = min(self.last, max(0, bisect.bisect_right(self.times, time_s) - 1))

    def delay_to_next_s(self) -> float | None:
        """Seconds the frame shown stays before the next; None when paused or at the end."""
        if self.paused or self.at_end:
            return None
        gap = self.times[self.index + 1] - self.times[self.index]
        return min(max(gap, 0.0), MAX_GAP_S) / self.speed

    def advance(self) -> bool:
        """Move to the next frame while playing; False (nothing moved) when paused or at the end."""
        if self.paused or self.at_end:
            return False
        self.index += 1
        return True
