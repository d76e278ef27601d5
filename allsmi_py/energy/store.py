"""The energy totals kept across restarts: one small JSON file under the XDG state directory.

Writes go to a temporary file in the same directory, then `os.replace`, so a crash leaves the
old file or the new one, never half of one. A file that is missing starts from zero; one that
is corrupt, truncated, too large or of the wrong shape is reported (one line, `problem`) and
also starts from zero: losing a total is better than refusing to run. A directory that cannot
be written is reported once and the totals live on in memory.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

STATE_FORMAT = "allsmi-py/energy/1"
MAX_FILE_BYTES = 1 << 20
MAX_SOURCES = 10_000
MAX_KEY_CHARS = 256
MAX_TOTAL_J = 1e18


def default_state_path(env: Mapping[str, str] | None = None) -> Path:
    """$XDG_STATE_HOME/allsmi/energy.json, else ~/.local/state/allsmi/energy.json."""
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    return root / "allsmi" / "energy.json"


def _totals_of(document: object) -> dict[str, float]:
    """The totals a decoded document holds; ValueError naming what is wrong with it."""
    if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
        raise ValueError(f"not an {STATE_FORMAT} document")
    totals = document.get("totals_j")
    if not isinstance(totals, dict):
        raise ValueError("totals_j is not an object")
    if len(totals) > MAX_SOURCES:
        raise ValueError(f"more than {MAX_SOURCES} sources")
    out: dict[str, float] = {}
    for key, value in totals.items():
        if not key or len(key) > MAX_KEY_CHARS:
            raise ValueError("a source name is empty or too long")
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                math.isfinite(value) and 0 <= value <= MAX_TOTAL_J):
            raise ValueError(f"total of {key[:40]!r} is not a number of joules")
        out[key] = float(value)
    return out


class EnergyStore:
    """Loads and saves the totals file at `path`; every failure is a `problem`, never a raise."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problem: str | None = None  # the latest thing that went wrong, in one line
        self._save_failed = False

    def load(self) -> dict[str, float]:
        """The totals in the file ({} when it is missing, or refused: see `problem`)."""
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return {}
        except OSError as exc:
            return self._refused(f"cannot be read ({exc.strerror or exc})")
        try:
            with os.fdopen(fd, "rb") as file:
                raw = file.read(MAX_FILE_BYTES + 1)
        except OSError as exc:  # a directory in its place, an I/O error
            return self._refused(f"cannot be read ({exc.strerror or exc})")
        if len(raw) > MAX_FILE_BYTES:
            return self._refused(f"is larger than {MAX_FILE_BYTES} bytes", set_aside=True)
        try:
            return _totals_of(json.loads(raw))
        except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeError too
            return self._refused(f"is corrupt ({str(exc)[:80]})", set_aside=True)

    def _refused(self, why: str, set_aside: bool = False) -> dict[str, float]:
        kept = ""
        if set_aside:  # the next save would overwrite it: keep it for a look first
            aside = self.path.with_name(self.path.name + ".corrupt")
            try:
                os.replace(self.path, aside)
                kept = f" (kept as {aside.name})"
            except OSError:
                pass
        self.problem = f"energy state file {self.path} {why}{kept}: totals start again from 0"
        return {}

    def save(self, totals: Mapping[str, float]) -> bool:
        """Write `totals` atomically; False (and `problem`, reported once) when it cannot."""
        document = {"format": STATE_FORMAT,
                    "totals_j": {k: round(v, 3) for k, v in list(totals.items())[:MAX_SOURCES]}}
        tmp = None
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".energy-", suffix=".tmp", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(document, file, separators=(",", ":"))
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            if not self._save_failed:
                self.problem = (f"energy state file {self.path} cannot be written "
                                f"({exc.strerror or exc}): totals are kept in memory only")
            self._save_failed = True
            return False
        self._save_failed = False
        return True
