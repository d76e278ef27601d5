"""One line of the doctor's answer: a level, the check, what it saw, and the fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["OK", "WARN", "FAIL"]


@dataclass(frozen=True, slots=True)
class Finding:
    """The result of one check. `fix` is empty when there is nothing to do."""

    level: Level
    check: str
    message: str
    fix: str = ""

    @classmethod
    def ok(cls, check: str, message: str) -> Finding:
        """The check passed."""
        return cls("OK", check, message)

    @classmethod
    def problem(cls, optional: bool, check: str, message: str, fix: str) -> Finding:
        """A failed check: WARN when the need is optional (the backend runs without it)."""
        return cls("WARN" if optional else "FAIL", check, message, fix)
