"""Which of the aggregated view's heavy queries a round asks, on a cluster too large for all.

Each heavy query (an overview statistic, the ranked page of devices) makes Prometheus pass
over every device's series, about 0.6 s of its CPU per 80,000 devices whatever the
aggregation. The node grid is asked every round; of the others a round asks as many as fit
in HEAVY_SHARE of its seconds, judged from how long the last round's took, the ones asked
longest ago first, and keeps the last answers of the rest. On a small cluster they all fit
and every round asks every one. Prometheus' answers change once a scrape interval (15 s by
default), so a figure kept for a few rounds of a second or two is no older than what
Prometheus itself holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

HEAVY_SHARE = 0.8  # of a round's seconds, for the heavy queries asked side by side


class Rotation:
    """Rounds' choice of heavy queries: every one at first, then as many as fit, in turn."""

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self.per_round: int | None = None  # besides the grid; None: not measured yet, all
        self.left_out: list[str] = []  # the last choice's names that were due but found no room
        self._asked: dict[str, int] = {}  # name -> the round it was last asked in

    def choose(self, names: Sequence[str], round_number: int, now: Iterable[str] = (),
               min_rounds: Mapping[str, int] | None = None) -> list[str]:
        """The names to ask in this round: those never asked and those in `now` (what the
        screen has just changed) whatever the room, then the longest unasked, up to
        `per_round` in all; a name in `min_rounds` waits that many rounds after it was
        asked (what changes slowly). The chosen count as asked in `round_number`."""
        wanted = set(now)
        wait = min_rounds or {}
        due = [name for name in names if name not in self._asked or name in wanted]
        waiting = sorted((name for name in names if name not in due
                          and round_number - self._asked[name] >= wait.get(name, 1)),
                         key=lambda name: self._asked[name])
        room = len(waiting) if self.per_round is None else max(0, self.per_round - len(due))
        chosen = due + waiting[:room]
        self.left_out = waiting[room:]
        for name in chosen:
            self._asked[name] = round_number
        return chosen

    def asked(self, names: Iterable[str], round_number: int) -> None:
        """These were asked in `round_number` outside the rotation (a new node's count)."""
        for name in names:
            self._asked[name] = round_number

    def measured(self, seconds: float, heavy: int) -> None:
        """`heavy` queries asked side by side (the grid among them) took `seconds`: the next
        rounds ask as many besides the grid as fit in HEAVY_SHARE of the round, one at least
        (so that every figure comes round)."""
        if heavy <= 0 or not seconds > 0:
            return
        each = seconds / heavy
        self.per_round = max(1, int(HEAVY_SHARE * self.budget_s / each) - 1)

