"""The cluster view from a Prometheus server by aggregation queries: a few kB per round.

`PrometheusSource` moves every series every round (about 50 MB at 1024 eight-GPU nodes).
This source asks Prometheus to compute what the screen shows instead: the overview (a few
statistics), the node grid (`avg by (instance)` of utilization) and the down targets are
the round's essentials, with the overview's slow part (device counts, total memory, mean
temperature and its spread) every few rounds. On a cluster too large for all of them in a
round they are asked in turn (prometheus_rotation.py). A node the counts do not know yet
is counted in the round it shows, as an optional part. The page of device rows
(`topk`/`bottomk` by the sort key, then those devices' series), the open node's series, the
Users tab's sums and the down targets' scrape errors are optional parts too, each asked
only with the bytes and seconds left in the round's budget. A part that would pass the
budget is dropped and last round's copy is shown, and the status line says so
(`RoundCost.describe`).

The screen tells the source what it shows through `view`, a callable read at the start of
each round.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from allsmi_py.model import ClusterNode, DeviceReading, NodeSnapshot, NodeStatus
from allsmi_py.remote.aggregate import ClusterSummary
from allsmi_py.remote.prometheus_budget import Carried, RoundBudget, within
from allsmi_py.remote.prometheus_http import PrometheusApi, PrometheusFailure
from allsmi_py.remote.prometheus_overview import (
    MAX_DEVICES_PER_NODE,
    STEADY_EVERY_ROUNDS,
    Steady,
    by_instance,
    label,
    number,
    overview,
    scalars,
)
from allsmi_py.remote.prometheus_page import (
    Page,
    is_ranked,
    node_page,
    parse_nodes,
    ranked_page,
    ranking,
)
from allsmi_py.remote.prometheus_queries import STAT_LABEL, Scope
from allsmi_py.remote.prometheus_rotation import Rotation
from allsmi_py.remote.prometheus_round import (
    COUNTS,
    OPEN_NODE,
    PAGE,
    SCRAPE_ERRORS,
    STEADY,
    USERS,
    AggregatedRound,
    PageRequest,
    RoundCost,
    UserTotal,
)
from allsmi_py.remote.prometheus_source import SOURCE, scrape_errors, state_of_scrape_error
from allsmi_py.remote.rules import rules
from allsmi_py.remote.source import RoundSource
from allsmi_py.remote.text import clean_text

T = TypeVar("T")


@dataclasses.dataclass
class _Essentials:
    """What a round asks before anything else, side by side."""

    stats: dict[str, float | None]  # the overview's statistics asked this round
    counts: dict[str, int] | None  # each node's device count, if asked
    means: dict[str, float | None]  # the grid: each live node's mean utilization
    down: set[str]
    eval_s: float
    warnings: list[str]
    ranked: list[dict[str, Any]] | PrometheusFailure | None  # the page's ranking, if asked


class PrometheusAggregateSource(RoundSource):
    """Reads the cluster view's round from Prometheus by aggregation queries."""

    def __init__(self, url: str, *, timeout_s: float = 5.0, budget_bytes: int = 2_000_000,
                 budget_s: float = 1.0, page_rows: int = 64, auth_token: str | None = None,
                 job: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 ssl_context: ssl.SSLContext | None = None, at_s: float | None = None,
                 max_response_bytes: int | None = None) -> None:
        extra = {} if max_response_bytes is None else {"max_response_bytes": max_response_bytes}
        self.api = PrometheusApi(url, timeout_s=timeout_s, auth_token=auth_token,
                                 transport=transport, ssl_context=ssl_context, at_s=at_s,
                                 **extra)
        self.shown_url = self.api.shown_url
        self.timeout_s = timeout_s
        self.budget_bytes = budget_bytes
        self.budget_s = budget_s
        self.page_rows = page_rows
        self.scope = Scope(job)
        # What the screen shows; the view sets it, a caller without a screen gets the default
        self.view: Callable[[], PageRequest] = lambda: PageRequest(rows=self.page_rows)
        self.failure: str | None = None
        self._problems: tuple[str, ...] = ()
        self._last: AggregatedRound | None = None
        self._queries = 0
        self._jobs: set[str] = set()  # jobs that ever held all_smi series: their down targets
        self._carried = Carried()  # optional parts still running from earlier rounds
        self._node_names = ("up", *sorted(rules()))
        self._rounds = 0
        # The overview's statistics, each node's device count and the ranked page are asked
        # in turn on a large cluster; the steady ones (the counts among them) every few rounds
        self._rotation = Rotation(budget_s)
        self._slow = {name: STEADY_EVERY_ROUNDS for name in (*self.scope.steady(), COUNTS)}
        self._stats: dict[str, float | None] = {}
        self._counts: dict[str, int] = {}
        self._page_key: tuple[object, ...] | None = None

    @property
    def problems(self) -> tuple[str, ...]:
        """Trouble with Prometheus in the latest round, for the UI to show."""
        return self._problems

    async def poll_once(self) -> AggregatedRound:
        """One round; never raises for Prometheus trouble (see `problems` and `failure`)."""
        request = self.view()
        started, wire0 = time.monotonic(), self.api.wire_bytes
        self._rounds += 1
        self._queries = 0
        page_key = (request.sort_key, request.descending, request.where, request.rows)
        heavy = [*self.scope.summary(), *self._slow]
        if not request.users and is_ranked(request):
            heavy.append(PAGE)
        chosen = self._rotation.choose(heavy, self._rounds, min_rounds=self._slow,
                                       now=[PAGE] if page_key != self._page_key else [])
        asked = [name for name in chosen if name != PAGE]
        # A ranked page's ranking selects every device like the statistics: asked beside
        # them, not after (at 10,000 nodes each takes half a second of the round).
        rank = ranking(self.scope, request) if PAGE in chosen else None
        try:
            # One allowance for all the essentials' answers together: eleven queries in
            # flight must not each read up to the cap.
            first = await asyncio.wait_for(
                within(self.api.max_response_bytes,
                       lambda: self._essentials(asked, rank)),
                self.timeout_s)
        except PrometheusFailure as exc:
            return self._failed(exc)
        except asyncio.TimeoutError:
            return self._failed(PrometheusFailure("timeout", f"timed out after {self.timeout_s} s"))
        # the grid, the statistics and counts asked, the ranking: side by side
        self._rotation.measured(time.monotonic() - started, 1 + len(asked) + (rank is not None))
        self._stats.update(first.stats)
        if first.counts is not None:
            self._counts = first.counts
        means, down, eval_s = first.means, first.down, first.eval_s
        self.failure = None
        problems = [f"prometheus: {w}" for w in first.warnings]
        if isinstance(first.ranked, PrometheusFailure):
            problems.append(f"prometheus {PAGE}: {first.ranked}")
        instances = sorted(set(means) | set(down))
        positions = {name: pos for pos, name in enumerate(instances)}
        budget = RoundBudget(self.budget_bytes, self.budget_s - (time.monotonic() - started),
                             lambda: self.api.wire_bytes - wire0, self._carried)
        if COUNTS not in chosen and not self._counts.keys() >= means.keys():
            # a node the counts do not know yet: counted (with the steady part) this round
            fresh = await budget.part(STEADY, STEADY, self._steady_part)
            if fresh is not None:
                self._stats.update(fresh.stats)
                self._counts = fresh.device_counts
                self._rotation.asked(self._slow, self._rounds)
        summary = overview(self._stats, self._counts, means, len(instances))
        last = self._last
        page: tuple[tuple[str, DeviceReading], ...] = ()
        page_nodes: dict[str, NodeSnapshot] = {}
        fetched = None
        if not request.users:  # the Users tab hides the device table: last page kept
            fetched = await self._page(budget, request, page_key, first, summary)
        if fetched is not None:
            page, page_nodes = fetched
        elif last is not None:
            page_nodes = {n.status.address: n.snapshot for n in last.nodes
                          if n.snapshot is not None}
            page = tuple((last.nodes[pos].status.address, d) for pos, d in last.page)
        open_snapshot: NodeSnapshot | None = None
        opened = request.open_node
        if opened is not None and opened in positions:
            open_snapshot = await budget.part(OPEN_NODE, opened,
                                              lambda: self._open_node(opened, eval_s))
            if open_snapshot is None and last is not None:
                open_snapshot = _snapshot_of(last, opened)
        users: tuple[UserTotal, ...] | None = None
        reporting = 0
        if request.users:
            got_users = await budget.part(USERS, USERS, self._users)
            if got_users is not None:
                users, reporting = got_users
            elif last is not None:
                users, reporting = last.users, last.users_reporting
        errors: dict[str, str] = {}
        if down:
            errors = await budget.part(SCRAPE_ERRORS, SCRAPE_ERRORS, self._scrape_errors) or {}
        problems += budget.problems
        nodes = []
        for name in instances:
            snapshot = page_nodes.get(name)
            if name == request.open_node and open_snapshot is not None:
                snapshot = open_snapshot
            nodes.append(self._node(name, name in down, snapshot, errors.get(name), eval_s))
        cost = RoundCost(self.api.wire_bytes - wire0, time.monotonic() - started,
                         self.budget_bytes, self.budget_s, tuple(budget.dropped), self._queries,
                         kept=(*self._rotation.left_out, *budget.resting))
        if not instances:
            problems.append(f"prometheus: no all_smi series at {self.shown_url}")
        self._problems = tuple(problems)
        self._last = AggregatedRound(
            taken_at_s=eval_s, nodes=tuple(nodes), summary=summary,
            utilization=tuple(means.get(name) for name in instances),
            page=tuple((positions[name], d) for name, d in page if name in positions),
            users=users, users_reporting=reporting, cost=cost, request=request)
        return self._last

    async def _page(self, budget: RoundBudget, request: PageRequest, page_key: tuple[object, ...],
                    first: _Essentials, summary: ClusterSummary) -> Page | None:
        """The page's part: in node order, or the devices this round's ranking picked; None
        (last round's page kept) for a ranked page not due this round nor still coming."""
        if not is_ranked(request):
            self._page_key = page_key
            return await budget.part(PAGE, page_key, lambda: node_page(
                self._query, self.scope, request, sorted(first.means), summary, first.eval_s))
        ranked = first.ranked
        if isinstance(ranked, list):
            self._page_key = page_key
            return await budget.part(PAGE, page_key, lambda: ranked_page(
                self._query, self.scope, ranked, first.eval_s))
        if self._carried.key_of(PAGE) == page_key:  # no ranking now: the one still coming
            return await budget.part(PAGE, page_key, _never_started)
        return None

    def _node(self, name: str, down: bool, snapshot: NodeSnapshot | None, error: str | None,
              eval_s: float) -> ClusterNode:
        address = clean_text(name)
        if not down:
            return ClusterNode(NodeStatus(address=address, state="ok", last_ok_at_s=eval_s,
                                          source=SOURCE), snapshot)
        state, http_status = state_of_scrape_error(error)
        return ClusterNode(NodeStatus(
            address=address, state=state, http_status=http_status, source=SOURCE,
            error=clean_text(error or "Prometheus reports the target down (up == 0)")))

    async def _query(self, promql: str) -> tuple[list[dict[str, Any]], float, list[str]]:
        self._queries += 1
        return await self.api.query(promql)

    async def _essentials(self, asked: list[str], rank: str | None) -> _Essentials:
        exprs = {**self.scope.summary(), **self.scope.steady()}
        stats = {name: exprs[name] for name in asked if name in exprs}
        counting = COUNTS in asked
        # the page's ranking may fail on its own: the round goes on without a new page
        ranking_task = None if rank is None else asyncio.ensure_future(self._query(rank))
        ranked: list[dict[str, Any]] | PrometheusFailure | None = None
        try:
            answers = await _together(
                self._query(self.scope.node_utilization()),
                self._query(self.scope.down_targets()),
                *(self._query(expr) for expr in stats.values()),
                *([self._query(self.scope.node_device_counts())] if counting else []))
            if ranking_task is not None:
                try:
                    ranked = (await ranking_task)[0]
                except PrometheusFailure as exc:
                    ranked = exc
        finally:
            if ranking_task is not None:
                ranking_task.cancel()
                await asyncio.gather(ranking_task, return_exceptions=True)
        (grid, eval_s, warnings), (ups, _, _) = answers[0], answers[1]
        jobs = {label(s, "job") for s in grid}
        self._jobs |= jobs
        means = by_instance(grid)
        down = {label(s, "instance") for s in ups if label(s, "instance")
                and (self.scope.job is not None or label(s, "job") in self._jobs)} - set(means)
        values = scalars(stats, answers[2:2 + len(stats)])
        counts = _counts(answers[-1][0]) if counting else None
        warned = warnings + [w for a in answers[1:] for w in a[2]]
        return _Essentials(values, counts, means, down, eval_s, warned, ranked)

    async def _steady_part(self) -> Steady:
        stats = self.scope.steady()
        answers = await _together(self._query(self.scope.node_device_counts()),
                                  *(self._query(expr) for expr in stats.values()))
        return Steady(scalars(stats, answers[1:]), _counts(answers[0][0]), self._rounds)

    async def _open_node(self, instance: str, eval_s: float) -> NodeSnapshot | None:
        series, _, _ = await self._query(self.scope.node(instance, self._node_names))
        return parse_nodes(series, eval_s).get(instance)

    async def _users(self) -> tuple[tuple[UserTotal, ...], int]:
        (stats, _, _), (tops, _, _) = await _together(
            self._query(self.scope.users()), self._query(self.scope.top_process()))
        memory: dict[str, float] = {}
        gpus: dict[str, dict[tuple[str, str], int]] = {}
        for s in stats:
            stat, value = label(s, STAT_LABEL), number(s) or 0.0
            user = clean_text(label(s, "user") or "(unknown)")
            if stat == "memory":
                memory[user] = value
            elif stat == "gpu":
                key = (clean_text(label(s, "instance")), clean_text(label(s, "device_uuid")))
                gpus.setdefault(user, {})[key] = int(value)
        top = {clean_text(label(s, "user") or "(unknown)"): s for s in tops}
        users = []
        for user in set(memory) | set(gpus):
            best = top.get(user, {})
            held = gpus.get(user, {})
            users.append(UserTotal(
                user, int(memory.get(user, 0)), sum(held.values()), frozenset(held),
                clean_text(label(best, "command") or label(best, "name") or label(best, "pid")),
                int(number(best) or 0)))
        users.sort(key=lambda u: (-u.gpu_memory_bytes, u.user))
        reporting = len({instance for held in gpus.values() for instance, _ in held})
        return tuple(users), reporting

    async def _scrape_errors(self) -> dict[str, str]:
        self._queries += 1
        targets = await self.api.targets()
        return {instance: error for (_job, instance), error in scrape_errors(targets or []).items()}

    def _failed(self, failure: PrometheusFailure) -> AggregatedRound:
        message = f"prometheus at {self.shown_url}: {failure}"
        self.failure = message
        self._problems = (message,)
        last = self._last
        if last is None:
            self._last = AggregatedRound(taken_at_s=time.time())
            return self._last
        nodes = tuple(ClusterNode(dataclasses.replace(
            n.status, state=failure.state, error=message, http_status=failure.http_status),
            n.snapshot) for n in last.nodes)
        self._last = dataclasses.replace(last, nodes=nodes)
        return self._last

    async def close(self) -> None:
        """Stop the parts still running and close the HTTP client."""
        self._carried.cancel()
        await self.api.close()


async def _together(*calls: Awaitable[T]) -> list[T]:
    """Every call's result; the first to fail cancels the others (no reads left running)."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _never_started() -> Page:
    raise AssertionError("a part carried with the same key is collected, not started again")


def _counts(vector: list[dict[str, Any]]) -> dict[str, int]:
    """Each node's device count from `node_device_counts` (a count no node has: none)."""
    return {name: int(count) for name, count in by_instance(vector).items()
            if count is not None and 0 <= count <= MAX_DEVICES_PER_NODE}


def _snapshot_of(last: AggregatedRound, address: str) -> NodeSnapshot | None:
    for node in last.nodes:
        if node.status.address == address:
            return node.snapshot
    return None
