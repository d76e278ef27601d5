"""The cluster view over a Prometheus aggregated round: what the screen asks, what it gets.

`page_request` turns the screen's ViewParams into the source's PageRequest, mapping the
filter's conditions to PromQL (`util>50` -> a device vector filter; `a | b` -> `or`). Words
(`node-7`, `-h100`) match node and device names, which Prometheus cannot do in one selector:
a clause with only words maps to nothing (no server filter), and the words then filter the
fetched page here (`view_rows`), which the status line says. `aggregated_state` builds the
ClusterState the screen draws from an AggregatedRound: no per-device work over the cluster.
"""

from __future__ import annotations

import time

from allsmi_py.model import ClusterSnapshot
from allsmi_py.remote.aggregate import summarize
from allsmi_py.remote.prometheus_queries import MATCH_LABELS, Scope, condition
from allsmi_py.remote.prometheus_round import AggregatedRound, PageRequest, UserTotal
from allsmi_py.tui.cluster_model import (
    DOWN_CELL,
    EMPTY_CELL,
    ClusterState,
    GridCell,
    ViewParams,
    live_cell,
    view_rows,
)
from allsmi_py.tui.cluster_rows import SORTS, DeviceRow, UserUsage, node_name
from allsmi_py.tui.filter import DeviceFilter


def where_of(query: DeviceFilter, scope: Scope) -> str | None:
    """The filter's conditions as a PromQL device vector; None when a clause has none."""
    parts = []
    for clause in (query, *query.alternatives):
        if not clause.conditions:
            return None
        joined = f" and on ({', '.join(MATCH_LABELS)}) ".join(
            condition(scope, c.field, c.op, c.value) for c in clause.conditions)
        parts.append(f"({joined})")
    return f" or on ({', '.join(MATCH_LABELS)}) ".join(parts) if parts else None


def page_request(params: ViewParams, open_node: str | None, scope: Scope,
                 rows: int) -> PageRequest:
    """What the next round should fetch for the screen showing `params`."""
    where = None if params.query.empty else where_of(params.query, scope)
    return PageRequest(params.sort_key, params.descending, where, open_node, params.users, rows)


def _cells(cluster: AggregatedRound) -> tuple[GridCell, ...]:
    cells = []
    for node, mean in zip(cluster.nodes, cluster.utilization, strict=True):
        if not node.is_live:
            cells.append(DOWN_CELL)
        else:
            cells.append(EMPTY_CELL if mean is None else live_cell(mean))
    return tuple(cells)


def _usage(total: UserTotal) -> UserUsage:
    return UserUsage(total.user, nodes={node for node, _ in total.gpus}, gpus=set(total.gpus),
                     processes=total.processes, gpu_memory_bytes=total.gpu_memory_bytes,
                     top_command=total.top_command, top_memory_bytes=total.top_memory_bytes)


def status_line(cluster: AggregatedRound, params: ViewParams, page_rows: int) -> str:
    """The cost of the round against its budget, and what the device table holds."""
    total = cluster.summary.device_count if cluster.summary is not None else 0
    order = "node order" if params.sort_key == "node" else \
        f"{'top' if params.descending else 'bottom'} by {SORTS[params.sort_key][0]}"
    text = f"page {page_rows} of {total} devices ({order})"
    if not params.query.empty and cluster.request.where is None:
        text += ", filter words apply within the page"
    cost = cluster.cost.describe() if cluster.cost is not None else "prometheus: no answer"
    return f"{cost} · {text}"


def aggregated_state(cluster: AggregatedRound, problems: tuple[str, ...],
                     params: ViewParams) -> ClusterState:
    """The screen's state for an aggregated round: the page's rows, the grid, the users."""
    cpu0 = time.thread_time()
    nodes = cluster.nodes
    rows = [DeviceRow(pos, node_name(nodes[pos]), device, nodes[pos].is_live)
            for pos, device in cluster.page]
    addresses = tuple(n.status.address for n in nodes)
    summary = cluster.summary or summarize(ClusterSnapshot(cluster.taken_at_s))
    users = None
    if cluster.users is not None:
        users = ([_usage(u) for u in cluster.users], cluster.users_reporting,
                 summary.nodes_live)
    shown = view_rows(rows, params, addresses)
    return ClusterState(
        cluster, summary, rows, addresses, problems, {}, params, shown, _cells(cluster),
        tuple(n for n in nodes if not n.is_live), users,
        derive_cpu_s=time.thread_time() - cpu0,
        source_line=status_line(cluster, params, len(rows)))
