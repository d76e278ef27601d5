"""What one aggregated Prometheus round holds, and the page of it the screen asks for.

`PageRequest` is the screen's side (sort, the filter's PromQL, open node, Users tab, rows);
`AggregatedRound` is a ClusterSnapshot whose nodes carry a status each but a snapshot only
where devices were fetched (the page's rows, the open node), plus what Prometheus computed:
the overview, each node's mean utilization, user totals, and the round's cost.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from allsmi_py.model import ClusterSnapshot, DeviceReading
from allsmi_py.remote.aggregate import ClusterSummary
from allsmi_py.remote.prometheus_queries import Scope

# The optional parts of a round, in the order they are dropped when the budget runs out
# (the last first): the overview, the grid and the down nodes are never dropped.
PAGE, OPEN_NODE, USERS, SCRAPE_ERRORS = "page", "open node", "users", "scrape errors"
STEADY = "steady stats"  # the device counts and slow statistics, refreshed every few rounds
COUNTS = "device counts"  # each node's device count (a steady part, in turn on its own)
OPTIONAL_PARTS = (STEADY, PAGE, OPEN_NODE, USERS, SCRAPE_ERRORS)


@dataclass(frozen=True, slots=True)
class PageRequest:
    """What the screen shows, so that a round fetches only that.

    `where`: the filter as a PromQL device vector (None: no condition maps); `rows`: how many
    device rows the page holds.
    """

    sort_key: str = "node"
    descending: bool = False
    where: str | None = None
    open_node: str | None = None
    users: bool = False
    rows: int = 64


@runtime_checkable
class PagedSource(Protocol):
    """A source that fetches only what the screen shows: the view sets `view` to tell it."""

    view: Callable[[], PageRequest]
    page_rows: int
    scope: Scope


@dataclass(frozen=True, slots=True)
class UserTotal:
    """One user's processes across the cluster, as Prometheus summed them."""

    user: str
    gpu_memory_bytes: int = 0
    processes: int = 0
    gpus: frozenset[tuple[str, str]] = frozenset()  # (instance, device uuid)
    top_command: str = ""
    top_memory_bytes: int = 0


@dataclass(frozen=True, slots=True)
class RoundCost:
    """Bytes on the wire and seconds a round took, against its budget; what it dropped."""

    wire_bytes: int
    seconds: float
    budget_bytes: int
    budget_s: float
    dropped: tuple[str, ...] = ()
    queries: int = 0
    kept: tuple[str, ...] = ()  # heavy queries not asked this round, in turn (rotation.py)

    @property
    def over(self) -> bool:
        """True when the round passed its budget in bytes or in time."""
        return self.wire_bytes > self.budget_bytes or self.seconds > self.budget_s

    def describe(self) -> str:
        """The status line: `prometheus: 1.2 MB 0.4 s of 2 MB 1 s`, and what was dropped."""
        text = (f"prometheus: {format_bytes(self.wire_bytes)} {self.seconds:.1f} s of "
                f"{format_bytes(self.budget_bytes)} {self.budget_s:g} s, "
                f"{self.queries} queries")
        if self.over or self.dropped:
            text += " · OVER BUDGET"
        if self.dropped:
            text += ": kept last round's " + ", ".join(self.dropped)
        if self.kept:
            text += " · asked in turn, kept: " + ", ".join(self.kept)
        return text


@dataclass(frozen=True, slots=True)
class AggregatedRound(ClusterSnapshot):
    """A round from aggregation queries; `nodes` keep the order `utilization` follows."""

    summary: ClusterSummary | None = None
    utilization: tuple[float | None, ...] = ()  # each node's mean device utilization
    page: tuple[tuple[int, DeviceReading], ...] = ()  # (node position, device), shown order
    users: tuple[UserTotal, ...] | None = None  # None: not asked (the Users tab is closed)
    users_reporting: int = 0  # nodes with a process series
    cost: RoundCost | None = None
    request: PageRequest = PageRequest()


def format_bytes(count: int) -> str:
    """Bytes in decimal units with one decimal: 830 B, 12.4 kB, 1.2 MB."""
    if count < 1000:
        return f"{count} B"
    if count < 1_000_000:
        return f"{count / 1000:.1f} kB"
    return f"{count / 1_000_000:.1f} MB"


def finite(value: float | None) -> float | None:
    """The value, or None for NaN and infinities (Prometheus answers those as strings)."""
    return value if value is not None and math.isfinite(value) else None
