"""The aggregated view's page of device rows: the devices on screen, and only those.

Ranked by a field (`ranking`: `topk`/`bottomk` in Prometheus, asked beside the round's
other queries over every device; then `ranked_page`: those devices' series), or in node
order (`node_page`: the first nodes' series, a guess of nodes at a time until it is full).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from allsmi_py.model import DeviceReading, NodeSnapshot
from allsmi_py.remote.aggregate import ClusterSummary
from allsmi_py.remote.parse import ParseError, snapshot_from_samples
from allsmi_py.remote.prometheus_overview import label
from allsmi_py.remote.prometheus_queries import DEVICE_KEY_LABELS, Scope
from allsmi_py.remote.prometheus_round import PageRequest
from allsmi_py.remote.prometheus_source import exporter_samples, group_series

Page = tuple[tuple[tuple[str, DeviceReading], ...], dict[str, NodeSnapshot]]
Query = Callable[[str], Awaitable[tuple[list[dict[str, Any]], float, list[str]]]]
_TARGET_LABELS = frozenset({"job", "instance"})
MAX_PAGE_FETCHES = 4


def is_ranked(request: PageRequest) -> bool:
    """True when the page is ranked by a field: a query over every device's series."""
    return request.sort_key != "node"


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


def ranking(scope: Scope, request: PageRequest) -> str:
    """The query that picks a ranked page's devices (over every device's series)."""
    return scope.ranked(request.sort_key, request.descending, request.rows, request.where)


async def ranked_page(query: Query, scope: Scope, ranked: list[dict[str, Any]],
                      eval_s: float) -> Page:
    """The rows `ranking` picked (its answer `ranked`), and the snapshots of their nodes."""
    keys = [(label(s, "instance"), _device_key(s)) for s in ranked]
    keys = [(name, key) for name, key in keys if name and key]
    if not keys:
        return (), {}
    series, _, _ = await query(scope.devices_by_key(
        [key for _, key in keys], [name for name, _ in keys]))
    nodes = parse_nodes(series, eval_s)
    by_key = {(name, d.uuid): d for name, snap in nodes.items() for d in snap.devices}
    page = tuple((name, by_key[name, key]) for name, key in keys if (name, key) in by_key)
    return page, nodes


async def node_page(query: Query, scope: Scope, request: PageRequest, live: list[str],
                    summary: ClusterSummary, eval_s: float) -> Page:
    """The first `request.rows` devices in node order (of the nodes matching its filter)."""
    if request.where:
        matching, _, _ = await query(f"count by (instance) ({request.where})")
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
        series, _, _ = await query(scope.devices_of_nodes(chosen))
        fetched = parse_nodes(series, eval_s)
        nodes.update(fetched)
        for name in chosen:
            if name in fetched:
                devices = fetched[name].devices
                page += [(name, d) for d in (reversed(devices) if request.descending
                                             else devices)]
    return tuple(page[:request.rows]), nodes


def _device_key(series: Mapping[str, Any]) -> str:
    for name in DEVICE_KEY_LABELS:
        value = label(series, name)
        if value:
            return value
    return ""
