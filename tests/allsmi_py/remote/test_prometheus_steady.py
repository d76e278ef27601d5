"""The aggregated source asks the slow part of the overview (each node's device count, total
memory, temperature spread) in the first round and then every STEADY_EVERY_ROUNDS, or as
soon as a node has no count (on a busy Prometheus in turn: test_prometheus_rotation.py);
the cluster's mean utilization comes from the grid's node means weighted by those counts.
Against the loopback fake API (tests/hostile)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from allsmi_py.remote.prometheus_aggregate import PrometheusAggregateSource
from allsmi_py.remote.prometheus_overview import STEADY_EVERY_ROUNDS
from allsmi_py.remote.prometheus_queries import Scope
from tests.allsmi_py.remote.faults import node_snapshot
from tests.hostile.fake_prometheus_api import NODE_COUNTS, FakePrometheusApi
from tests.threaded_server import serving_in_thread

STEADY_QUERIES = {Scope().node_device_counts(), *Scope().steady().values()}


@pytest.fixture
def fake() -> Iterator[FakePrometheusApi]:
    api = FakePrometheusApi("ok")
    api.snapshots["node-2"] = node_snapshot("node-2", spec="h100:2", seed=5)  # 8, 8 and 2 GPUs
    with serving_in_thread(api) as server:
        yield server


def _asked(fake: FakePrometheusApi, since: int) -> set[str]:
    return {form.get("query", "") for form in fake.forms[since:]}


async def test_the_steady_part_is_asked_first_then_every_few_rounds(
        fake: FakePrometheusApi) -> None:
    async with PrometheusAggregateSource(fake.url, timeout_s=5) as source:
        asked = []
        for _ in range(STEADY_EVERY_ROUNDS + 1):
            before = len(fake.forms)
            cluster = await source.poll_once()
            asked.append(_asked(fake, before) >= STEADY_QUERIES)
            assert not STEADY_QUERIES & _asked(fake, before) or asked[-1]  # all or none
            assert cluster.summary is not None and cluster.summary.device_count == 18
            assert cluster.summary.memory_total_bytes == 10**12
    assert asked == [True] + [False] * (STEADY_EVERY_ROUNDS - 1) + [True]


async def test_a_new_node_is_counted_the_next_round(fake: FakePrometheusApi) -> None:
    async with PrometheusAggregateSource(fake.url, timeout_s=5) as source:
        await source.poll_once()
        fake.snapshots["node-3"] = node_snapshot("node-3", spec="h100:4", seed=9)
        before = len(fake.forms)
        cluster = await source.poll_once()
    assert _asked(fake, before) >= STEADY_QUERIES
    assert cluster.summary is not None and cluster.summary.device_count == 22


async def test_the_mean_utilization_is_every_devices_mean(fake: FakePrometheusApi) -> None:
    utils = [d.utilization_pct or 0.0 for s in fake.snapshots.values() for d in s.devices]
    node_means = [sum(d.utilization_pct or 0.0 for d in s.devices) / len(s.devices)
                  for s in fake.snapshots.values()]
    async with PrometheusAggregateSource(fake.url, timeout_s=5) as source:
        first = await source.poll_once()
        second = await source.poll_once()  # from the kept counts
    want = sum(utils) / len(utils)
    assert not math.isclose(want, sum(node_means) / len(node_means))  # the weights matter
    for cluster in (first, second):
        assert cluster.summary is not None and cluster.summary.utilization_mean_pct is not None
        assert math.isclose(cluster.summary.utilization_mean_pct, want)


async def test_counts_that_are_no_numbers_give_no_mean() -> None:
    with serving_in_thread(FakePrometheusApi("nan")) as fake:
        async with PrometheusAggregateSource(fake.url, timeout_s=5) as source:
            cluster = await source.poll_once()
    assert cluster.summary is not None
    assert cluster.summary.device_count == 0 and cluster.summary.utilization_mean_pct is None


class SentinelCounts(FakePrometheusApi):
    """Node counts no node has: the 0xFFFFFFFF sentinel, a negative, an infinity."""

    def result(self, promql: str) -> list[dict[str, Any]]:
        answer = super().result(promql)
        if promql == NODE_COUNTS:
            for element, bad in zip(answer, ("4294967295", "-3", "+Inf"), strict=False):
                element["value"][1] = bad
        return answer


async def test_a_sentinel_count_is_no_count_and_is_asked_again() -> None:
    with serving_in_thread(SentinelCounts("ok")) as fake:
        async with PrometheusAggregateSource(fake.url, timeout_s=5) as source:
            first = await source.poll_once()
            before = len(fake.forms)
            second = await source.poll_once()
        asked_again = _asked(fake, before) >= STEADY_QUERIES
    for cluster in (first, second):
        assert cluster.summary is not None and cluster.summary.nodes_live == 3
        assert cluster.summary.device_count == 0  # no node's count was believable
        assert cluster.summary.utilization_mean_pct is None
    assert asked_again  # nodes without a count: the next round asks for them
