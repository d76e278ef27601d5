"""The overview of the aggregated Prometheus view from its answers: values read from
instant vectors (finite or None, labels capped), the steady part as one answer (a new
node's count), and the cluster summary (the mean utilization weighted by each node's
device count)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from allsmi_py.remote.aggregate import ClusterSummary
from allsmi_py.remote.prometheus_round import finite

MAX_LABEL_CHARS = 256
MAX_DEVICES_PER_NODE = 4096  # a count past it is no node's
STEADY_EVERY_ROUNDS = 10  # the steady statistics and counts wait this many rounds to be asked


@dataclasses.dataclass(frozen=True, slots=True)
class Steady:
    """The slowly changing part of the overview asked at once: statistics and each node's
    device count."""

    stats: dict[str, float | None]
    device_counts: dict[str, int]
    asked_round: int


def number(series: Mapping[str, Any]) -> float | None:
    """An instant-vector element's value as a finite float; None for NaN, Inf or junk."""
    value = series.get("value")
    if not isinstance(value, list) or len(value) != 2:
        return None
    try:
        return finite(float(value[1]))
    except (TypeError, ValueError):
        return None


def label(series: Mapping[str, Any], name: str) -> str:
    """A label of an instant-vector element ("" when absent), capped."""
    labels = series.get("metric")
    value = labels.get(name, "") if isinstance(labels, dict) else ""
    return value[:MAX_LABEL_CHARS] if isinstance(value, str) else ""


def scalars(names: Iterable[str],
            answers: Sequence[tuple[list[dict[str, Any]], float, list[str]]]
            ) -> dict[str, float | None]:
    """One statistic per name from its query's answer (a one-element vector; empty: None)."""
    return {name: number(vector[0]) if vector else None
            for name, (vector, _, _) in zip(names, answers, strict=True)}


def by_instance(vector: list[dict[str, Any]]) -> dict[str, float | None]:
    """An answer by (job, instance) to one value per instance (in two jobs: either's)."""
    values: dict[str, float | None] = {}
    for s in vector:
        name = label(s, "instance")
        if name and values.get(name) is None:
            values[name] = number(s)
    return values


def overview(stats: Mapping[str, float | None], counts: Mapping[str, int],
             means: Mapping[str, float | None], total: int) -> ClusterSummary:
    """The overview: the statistics (each as last answered), and from the grid's node means
    weighted by their device counts the cluster's mean utilization (what
    `avg(utilization)` would give, without selecting every device once more)."""
    weighted = [(mean, counts[name]) for name, mean in means.items()
                if mean is not None and counts.get(name)]
    weight = sum(count for _, count in weighted)
    return ClusterSummary(
        nodes_live=len(means), nodes_total=total, nodes_stale=0,
        device_count=sum(counts.get(name, 0) for name in means),
        memory_total_bytes=int(stats.get("memory_total") or 0),
        memory_used_bytes=int(stats.get("memory_used") or 0),
        utilization_mean_pct=(sum(mean * count for mean, count in weighted) / weight
                              if weight else None),
        temperature_mean_c=stats.get("temp_mean"),
        temperature_stdev_c=stats.get("temp_stdev"),
        temperature_max_c=stats.get("temp_max"),
        power_total_w=stats.get("power") or 0.0, energy_total_j=stats.get("energy"))
