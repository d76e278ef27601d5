"""The cluster view from a Prometheus server by aggregation queries: a few kB per round.

`PrometheusSource` moves every series every round (about 50 MB at 1024 eight-GPU nodes).
This source asks Prometheus to compute what the screen shows instead: the overview (a few
statistics), the node grid (`avg by (instance)` of utilization) and the down targets are
the round's essentials. The overview's slow part (`Steady`: device counts, total memory,
mean temperature and its spread) is asked beside them in the first round, then every few
rounds as an optional part. The page of device rows (`topk`/`bottomk` by the sort key, then
those devices' series), the open node's series, the Users tab's sums and the down targets'
scrape errors are optional parts too, each asked only with the bytes and seconds left in
the round's budget. A part that would pass the budget is dropped and last round's copy
is shown, and the status line says so (`RoundCost.describe`).

The screen tells the source what it shows through `view`, a callable read at the start of
each round.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import httpx

from allsmi_py.model import ClusterNode, DeviceReading, NodeSnapshot, NodeStatus
from allsmi_py.remote.aggregate import ClusterSummary
from allsmi_py.remote.parse import ParseError, snapshot_from_samples
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
from allsmi_py.remote.prometheus_queries import DEVICE_KEY_LABELS, STAT_LABEL, Scope
from allsmi_py.remote.prometheus_round import (
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
from allsmi_py.remote.prometheus_source import (
    SOURCE,
    exporter_samples,
    group_series,
    scrape_errors,
    state_of_scrape_error,
)
from allsmi_py.remote.rules import rules
from allsmi_py.remote.source import RoundSource
from allsmi_py.remote.text import clean_text

T = TypeVar("T")
Page = tuple[tuple[tuple[str, DeviceReading], ...], dict[str, NodeSnapshot]]
_TARGET_LABELS = frozenset({"job", "instance"})
MAX_PAGE_FETCHES = 4


def parse_nodes(series: list[dict[str, Any]], eval_s: float) -> dict[str, NodeSnapshot]:
    """Series of some nodes (and their `up`) to a snapshot per instance label."""
    _ups, data, target_labels = group_series(series)
    nodes: dict[str, NodeSnapshot] = {}
    for (job, instance), samples in data.items():
        strip = target_labels.get(job, _TARGET_LABELS)
        try:
            snapshot = snapshot_from_samples(exporter_samples(samples, strip), instance)
        except ParseError:
            continue
        nodes[instance] = dataclasses.replace(snapshot, taken_at_s=eval_s)
    return nodes


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
        self._steady: Steady | None = None
        self._rounds = 0

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
        try:
            # One allowance for all the essentials' answers together: eleven queries in
            # flight must not each read up to the cap.
            stats, means, down, eval_s, warnings, first_steady = await asyncio.wait_for(
                within(self.api.max_response_bytes,
                       lambda: self._essentials(with_steady=self._steady is None)),
                self.timeout_s)
        except PrometheusFailure as exc:
            return self._failed(exc)
        except asyncio.TimeoutError:
            return self._failed(PrometheusFailure("timeout", f"timed out after {self.timeout_s} s"))
        self.failure = None
        problems = [f"prometheus: {w}" for w in warnings]
        instances = sorted(set(means) | set(down))
        positions = {name: pos for pos, name in enumerate(instances)}
        budget = RoundBudget(self.budget_bytes, self.budget_s - (time.monotonic() - started),
                             lambda: self.api.wire_bytes - wire0, self._carried)
        if first_steady is not None:
            self._steady = first_steady
        elif self._steady_due(means):
            fresh = await budget.part(STEADY, STEADY, self._steady_part)
            if fresh is not None:
                self._steady = fresh
        assert self._steady is not None
        summary = overview(stats, self._steady, means, len(instances))
        last = self._last
        page: tuple[tuple[str, DeviceReading], ...] = ()
        page_nodes: dict[str, NodeSnapshot] = {}
        fetched = None
        if not request.users:  # the Users tab hides the device table: last page kept
            fetched = await budget.part(
                PAGE, (request.sort_key, request.descending, request.where, request.rows),
                lambda: self._page(request, means, summary, eval_s))
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
                         self.budget_bytes, self.budget_s, tuple(budget.dropped), self._queries)
        if not instances:
            problems.append(f"prometheus: no all_smi series at {self.shown_url}")
        self._problems = tuple(problems)
        self._last = AggregatedRound(
            taken_at_s=eval_s, nodes=tuple(nodes), summary=summary,
            utilization=tuple(means.get(name) for name in instances),
            page=tuple((positions[name], d) for name, d in page if name in positions),
            users=users, users_reporting=reporting, cost=cost, request=request)
        return self._last

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

    async def _essentials(self, *, with_steady: bool) -> tuple[
            dict[str, float | None], dict[str, float | None], set[str], float, list[str],
            Steady | None]:
        stats = self.scope.summary()
        # the first round's overview needs the steady part too: asked beside the rest
        steady = asyncio.ensure_future(self._steady_part()) if with_steady else None
        try:
            answers = await _together(
                self._query(self.scope.node_utilization()),
                self._query(self.scope.down_targets()),
                *(self._query(expr) for expr in stats.values()))
            first_steady = None if steady is None else await steady
        finally:
            if steady is not None:
                steady.cancel()
                await asyncio.gather(steady, return_exceptions=True)
        (grid, eval_s, warnings), (ups, _, _) = answers[0], answers[1]
        jobs = {label(s, "job") for s in grid}
        self._jobs |= jobs
        means = by_instance(grid)
        down = {label(s, "instance") for s in ups if label(s, "instance")
                and (self.scope.job is not None or label(s, "job") in self._jobs)} - set(means)
        values = scalars(stats, answers[2:])
        warned = warnings + [w for a in answers[1:] for w in a[2]]
        return values, means, down, eval_s, warned, first_steady

    def _steady_due(self, means: Mapping[str, float | None]) -> bool:
        """Asked again every STEADY_EVERY_ROUNDS, and as soon as a node has no count."""
        steady = self._steady
        return (steady is None or self._rounds - steady.asked_round >= STEADY_EVERY_ROUNDS
                or not steady.device_counts.keys() >= means.keys())

    async def _steady_part(self) -> Steady:
        asked = self._rounds
        stats = self.scope.steady()
        answers = await _together(self._query(self.scope.node_device_counts()),
                                  *(self._query(expr) for expr in stats.values()))
        counts = {name: int(count) for name, count in by_instance(answers[0][0]).items()
                  if count is not None and 0 <= count <= MAX_DEVICES_PER_NODE}
        return Steady(scalars(stats, answers[1:]), counts, asked)

    async def _page(self, request: PageRequest, means: Mapping[str, float | None],
                    summary: ClusterSummary, eval_s: float) -> Page:
        if request.sort_key == "node":
            return await self._node_page(request, sorted(means), summary, eval_s)
        ranked, _, _ = await self._query(self.scope.ranked(
            request.sort_key, request.descending, request.rows, request.where))
        keys = [(label(s, "instance"), _device_key(s)) for s in ranked]
        keys = [(name, key) for name, key in keys if name and key]
        if not keys:
            return (), {}
        series, _, _ = await self._query(self.scope.devices_by_key(
            [key for _, key in keys], [name for name, _ in keys]))
        nodes = parse_nodes(series, eval_s)
        by_key = {(name, d.uuid): d for name, snap in nodes.items() for d in snap.devices}
        page = tuple((name, by_key[name, key]) for name, key in keys if (name, key) in by_key)
        return page, nodes

    async def _node_page(self, request: PageRequest, live: list[str], summary: ClusterSummary,
                         eval_s: float) -> Page:
        if request.where:
            matching, _, _ = await self._query(
                f"count by (instance) ({request.where})")
            wanted = {label(s, "instance") for s in matching}
            live = [name for name in live if name in wanted]
        if request.descending:
            live.reverse()
        per_node = max(1.0, summary.device_count / max(1, summary.nodes_live))
        page: list[tuple[str, DeviceReading]] = []
        nodes: dict[str, NodeSnapshot] = {}
        start = 0
        # Nodes hold different numbers of devices: fetch a guess of nodes, then more while
        # the page is short (a few times at most; the budget bounds it too).
        for _ in range(MAX_PAGE_FETCHES):
            missing = request.rows - len(page)
            chosen = live[start:start + math.ceil(missing / per_node)]
            if missing <= 0 or not chosen:
                break
            start += len(chosen)
            series, _, _ = await self._query(self.scope.devices_of_nodes(chosen))
            fetched = parse_nodes(series, eval_s)
            nodes.update(fetched)
            for name in chosen:
                if name in fetched:
                    devices = fetched[name].devices
                    page += [(name, d) for d in (reversed(devices) if request.descending
                                                 else devices)]
        return tuple(page[:request.rows]), nodes

    async def _open_node(self, instance: str, eval_s: float) -> NodeSnapshot | None:
        series, _, _ = await self._query(self.scope.node(instance, self._node_names))
        return parse_nodes(series, eval_s).get(instance)

    async def _users(self) -> tuple[tuple[UserTotal, ...], int]:
        (stats, _, _), (tops, _, _) = await _together(
            self._query(self.scope.users()), self._query(self.scope.top_process()))
        reporting = 0
        memory: dict[str, float] = {}
        gpus: dict[str, dict[tuple[str, str], int]] = {}
        for s in stats:
            stat, value = label(s, STAT_LABEL), number(s) or 0.0
            user = clean_text(label(s, "user") or "(unknown)")
            if stat == "reporting":
                reporting = int(value)
            elif stat == "memory":
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


def _device_key(series: Mapping[str, Any]) -> str:
    for name in DEVICE_KEY_LABELS:
        value = label(series, name)
        if value:
            return value
    return ""


def _snapshot_of(last: AggregatedRound, address: str) -> NodeSnapshot | None:
    for node in last.nodes:
        if node.status.address == address:
            return node.snapshot
    return None
