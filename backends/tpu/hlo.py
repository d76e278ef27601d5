"""Pure decoding of libtpu's HLO metrics: queue size gauges and execution-time distributions.

libtpu answers `hlo.queue.size.gauge` with one gauge per device and
`hlo.execution.timing.distribution.microseconds` with one distribution per device, each
labelled by a `device_ordinal` in a key-value-list attribute (all-smi's reader,
src/device/readers/tpu_grpc.rs, reads the same). Every number is capped: a value outside its
range, a bucket layout that makes no sense or a wrong type gives None, never a wild reading.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backends.tpu.runtime_metrics_pb2 import Attribute, Distribution, MetricResponse

QUEUE_SIZE = "hlo.queue.size.gauge"
EXEC_TIMING = "hlo.execution.timing.distribution.microseconds"
MAX_DEVICES = 256  # a TPU VM has at most 8 chips; a pod slice's host still sees its own
MAX_BUCKETS = 4096
MAX_QUEUE = 1_000_000
MAX_MICROSECONDS = 86_400e6  # one HLO program running a day is already past believing
PERCENTILES = (("p50_us", 0.5), ("p90_us", 0.9), ("p95_us", 0.95), ("p999_us", 0.999))


@dataclass(frozen=True, slots=True)
class HloTiming:
    """One device's HLO execution times in µs; None where the distribution did not tell."""

    mean_us: float | None
    p50_us: float | None
    p90_us: float | None
    p95_us: float | None
    p999_us: float | None


def _ordinal_value(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < MAX_DEVICES else None
    if isinstance(value, str) and value.isdigit() and len(value) <= 3:
        return _ordinal_value(int(value))
    return None


def device_ordinal(attribute: Attribute) -> int | None:
    """The device a metric is for: `device_ordinal` in a kvlist, else a bare int attribute."""
    kind = attribute.value.WhichOneof("attr")
    if kind == "int_attr":
        return _ordinal_value(attribute.value.int_attr)
    if kind != "kvlist_attr":
        return None
    for pair in attribute.value.kvlist_attr.attributes[:64]:
        if pair.key != "device_ordinal":
            continue
        inner = pair.value.WhichOneof("attr")
        if inner == "int_attr":
            return _ordinal_value(pair.value.int_attr)
        if inner == "string_attr":
            return _ordinal_value(pair.value.string_attr)
    return None


def queue_sizes(response: MetricResponse) -> dict[int, int]:
    """Pending HLO programs per device ordinal; a lone unlabelled gauge is device 0."""
    metrics = response.metric.metrics
    if len(metrics) > MAX_DEVICES:
        return {}
    sizes: dict[int, int] = {}
    for metric in metrics:
        if metric.WhichOneof("measure") != "gauge":
            continue
        ordinal = device_ordinal(metric.attribute) if metric.HasField("attribute") else None
        if ordinal is None and len(metrics) == 1:
            ordinal = 0  # all-smi's reader: a single-device host may send no label
        kind = metric.gauge.WhichOneof("value")
        value: float | None = None
        if kind == "as_int":
            value = metric.gauge.as_int
        elif kind == "as_double":
            value = metric.gauge.as_double
        if ordinal is None or value is None or not math.isfinite(value):
            continue
        if 0 <= value <= MAX_QUEUE and float(value).is_integer():
            sizes[ordinal] = int(value)
    return sizes


def _edges(dist: Distribution, buckets: int) -> list[float] | None:
    """The finite bucket edges: bucket 0 is [0, e0), bucket i is [e(i-1), e(i)), then overflow."""
    options = dist.bucket_options
    kind = options.WhichOneof("options")
    if kind == "exponential_buckets":
        exp = options.exponential_buckets
        finite = exp.num_finite_buckets or max(buckets - 2, 0)
        if not (0 < exp.scale < MAX_MICROSECONDS and 1 < exp.growth_factor < 1e3
                and 0 <= finite < MAX_BUCKETS):
            return None
        edges: list[float] = []
        edge = float(exp.scale)
        for _ in range(finite + 1):
            edges.append(min(edge, MAX_MICROSECONDS))
            edge *= exp.growth_factor  # past the cap it may reach inf; min() keeps the cap
        return edges
    if kind == "linear_buckets":
        lin = options.linear_buckets
        finite = lin.num_finite_buckets or max(buckets - 2, 0)
        if not (0 < lin.width < MAX_MICROSECONDS and 0 <= lin.offset < MAX_MICROSECONDS
                and 0 <= finite < MAX_BUCKETS):
            return None
        return [min(lin.offset + lin.width * i, MAX_MICROSECONDS) for i in range(finite + 1)]
    if kind == "explicit_buckets":
        bounds = list(options.explicit_buckets.bounds[:MAX_BUCKETS])
        if not bounds or bounds != sorted(bounds) or any(
                not 0 <= e <= MAX_MICROSECONDS for e in bounds):
            return None
        return bounds
    return None


def _bounds(dist: Distribution, buckets: int) -> list[tuple[float, float]] | None:
    """[lower, upper) of each of `buckets` buckets; the overflow bucket ends at the max seen."""
    edges = _edges(dist, buckets)
    if edges is None or buckets > len(edges) + 1:
        return None
    top = dist.max if math.isfinite(dist.max) and edges[-1] < dist.max <= MAX_MICROSECONDS \
        else edges[-1]
    lowers = [0.0, *edges]
    uppers = [*edges, top]
    return list(zip(lowers[:buckets], uppers[:buckets], strict=True))


def percentile(dist: Distribution, quantile: float) -> float | None:
    """The value under which `quantile` of the samples lie, interpolated within its bucket."""
    counts: Sequence[int] = dist.bucket_counts
    if not 0 < len(counts) <= MAX_BUCKETS or any(c < 0 for c in counts):
        return None
    total = sum(counts)
    bounds = _bounds(dist, len(counts))
    if total <= 0 or bounds is None:
        return None
    target = quantile * total
    seen = 0
    for count, (lower, upper) in zip(counts, bounds, strict=True):
        if count and seen + count >= target:
            value = lower + (upper - lower) * (target - seen) / count
            low, high = dist.min, dist.max
            if math.isfinite(low) and math.isfinite(high) and 0 <= low <= high and high > 0:
                value = min(max(value, low), high)  # the bucket's width is only a bound
            return value if 0 <= value <= MAX_MICROSECONDS else None
        seen += count
    return None


def _mean(dist: Distribution) -> float | None:
    mean = dist.mean
    return mean if math.isfinite(mean) and 0 <= mean <= MAX_MICROSECONDS else None


def timings(response: MetricResponse) -> dict[int, HloTiming]:
    """Execution-time mean and p50/p90/p95/p99.9 per device ordinal (labelled ones only)."""
    metrics = response.metric.metrics
    if len(metrics) > MAX_DEVICES:
        return {}
    result: dict[int, HloTiming] = {}
    for metric in metrics:
        if metric.WhichOneof("measure") != "distribution" or not metric.HasField("attribute"):
            continue
        ordinal = device_ordinal(metric.attribute)
        dist = metric.distribution
        if ordinal is None or dist.count <= 0:
            continue
        points = {name: percentile(dist, q) for name, q in PERCENTILES}
        result[ordinal] = HloTiming(mean_us=_mean(dist), **points)
    return result
