"""A Prometheus API that attacks the aggregated view source (issue 20 item 2).

A real loopback HTTP server (tests/hostile/fake_prometheus_api.py): a body past the cap is
cut there, a body that never ends is cut by the round's deadline, a server without the
targets API still gives the view, NaN and infinities become "no value", and an answer past
the round's byte budget drops the optional part and says so, never the overview.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from allsmi_py.remote.prometheus_aggregate import PrometheusAggregateSource
from allsmi_py.remote.prometheus_round import PAGE, USERS, PageRequest
from tests.hostile.fake_prometheus_api import DOWN, SLOW_S, FakePrometheusApi
from tests.threaded_server import serving_in_thread


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> Iterator[FakePrometheusApi]:
    with serving_in_thread(FakePrometheusApi(getattr(request, "param", "ok"))) as server:
        yield server


@pytest.mark.parametrize("fake", ["ok"], indirect=True)
async def test_a_round_from_the_fake_api(fake: FakePrometheusApi) -> None:
    async with PrometheusAggregateSource(fake.url, timeout_s=5) as source:
        cluster = await source.poll_once()
    assert source.problems == () and source.failure is None
    assert [n.status.address for n in cluster.nodes] == [DOWN, "node-0", "node-1", "node-2"]
    (down,) = [n for n in cluster.nodes if not n.is_live]
    assert down.status.state == "unreachable" and "connection refused" in (down.status.error or "")
    assert cluster.summary is not None and cluster.summary.nodes_live == 3
    assert cluster.summary.temperature_max_c is None  # +Inf is no temperature
    assert len(cluster.page) == sum(len(s.devices) for s in fake.snapshots.values())
    assert cluster.cost is not None and 0 < cluster.cost.wire_bytes < 200_000
    assert "/api/v1/targets" in fake.paths


@pytest.mark.parametrize("fake", ["huge"], indirect=True)
async def test_a_huge_answer_is_cut_at_the_cap(fake: FakePrometheusApi) -> None:
    async with PrometheusAggregateSource(fake.url, timeout_s=20,
                                         max_response_bytes=1_000_000) as source:
        cluster = await source.poll_once()
    assert source.failure is not None and "1000000 bytes" in source.failure
    assert cluster.nodes == ()
    # every answer of the round together stopped at the cap, not each at 130 MB
    assert source.api.wire_bytes < 2_000_000  # the cap, plus a chunk in flight per query


@pytest.mark.parametrize("fake", ["endless"], indirect=True)
async def test_an_endless_body_is_cut_by_the_deadline(fake: FakePrometheusApi) -> None:
    started = time.monotonic()
    async with PrometheusAggregateSource(fake.url, timeout_s=0.5) as source:
        await source.poll_once()
        elapsed = time.monotonic() - started
    assert source.failure is not None and "timed out" in source.failure
    assert elapsed < 5.0  # the trickle would go on forever


@pytest.mark.parametrize("fake", ["targets_404"], indirect=True)
async def test_no_targets_api_means_no_scrape_errors_not_a_failure(
        fake: FakePrometheusApi) -> None:
    async with PrometheusAggregateSource(fake.url, timeout_s=5) as source:
        cluster = await source.poll_once()
    assert source.failure is None and source.problems == ()
    (down,) = [n for n in cluster.nodes if not n.is_live]
    assert down.status.error == "Prometheus reports the target down (up == 0)"
    assert cluster.summary is not None and cluster.summary.nodes_live == 3


@pytest.mark.parametrize("fake", ["nan"], indirect=True)
async def test_nan_and_infinities_are_no_value(fake: FakePrometheusApi) -> None:
    async with PrometheusAggregateSource(fake.url, timeout_s=5) as source:
        cluster = await source.poll_once()
    summary = cluster.summary
    assert summary is not None
    assert summary.utilization_mean_pct is None and summary.power_total_w == 0.0
    assert summary.device_count == 0 and summary.temperature_max_c is None
    assert set(cluster.utilization) == {None}  # -Inf per node: an empty grid cell, not a crash


@pytest.mark.parametrize("fake", ["bloated"], indirect=True)
async def test_an_answer_over_the_byte_budget_drops_the_page_not_the_overview(
        fake: FakePrometheusApi) -> None:
    async with PrometheusAggregateSource(fake.url, timeout_s=5, budget_bytes=20_000) as source:
        source.view = lambda: PageRequest(sort_key="util", descending=True, rows=4)
        cluster = await source.poll_once()
    assert cluster.cost is not None and PAGE in cluster.cost.dropped
    assert "OVER BUDGET" in cluster.cost.describe() and "page" in cluster.cost.describe()
    assert cluster.page == ()
    assert cluster.summary is not None and cluster.summary.nodes_live == 3
    assert len(cluster.utilization) == 4


@pytest.mark.parametrize("fake", ["ok"], indirect=True)
async def test_at_evaluates_every_query_at_that_time(fake: FakePrometheusApi) -> None:
    async with PrometheusAggregateSource(fake.url, timeout_s=5, at_s=1_700_000_000.5) as source:
        await source.poll_once()
    assert fake.forms and {f.get("time") for f in fake.forms} == {"1700000000.500"}


@pytest.mark.parametrize("fake", ["slow_users"], indirect=True)
async def test_a_part_slower_than_the_budget_is_carried_to_the_next_round(
        fake: FakePrometheusApi) -> None:
    async with PrometheusAggregateSource(fake.url, timeout_s=5, budget_s=0.3) as source:
        source.view = lambda: PageRequest(users=True)
        first = await source.poll_once()
        assert first.cost is not None and USERS in first.cost.dropped and first.users is None
        assert "OVER BUDGET: kept last round's users" in first.cost.describe()
        assert first.summary is not None and first.summary.nodes_live == 3
        await asyncio.sleep(SLOW_S)
        second = await source.poll_once()
    assert second.users is not None and [u.user for u in second.users] == ["alice"]
    assert second.users_reporting == 2  # the nodes of the per-GPU counts: node-0, node-1
    assert second.cost is not None and USERS not in second.cost.dropped
    asked = [f["query"] for f in fake.forms if '"memory"' in f.get("query", "")]
    assert len(asked) == 1  # the first round's query answered the second round


@pytest.mark.parametrize("fake", ["slow_users"], indirect=True)
async def test_a_carried_part_still_running_is_not_waited_for_again(
        fake: FakePrometheusApi) -> None:
    async with PrometheusAggregateSource(fake.url, timeout_s=5, budget_s=0.3) as source:
        source.view = lambda: PageRequest(users=True)
        await source.poll_once()
        source.budget_s = 5.0  # room enough to wait for it, were it waited for
        second = await source.poll_once()
        assert second.cost is not None and USERS in second.cost.dropped
        assert second.users is None  # came back at once, the users still on their way
        await asyncio.sleep(SLOW_S)
        third = await source.poll_once()
    assert third.users is not None and [u.user for u in third.users] == ["alice"]


@pytest.mark.parametrize("fake", ["bad_ranking"], indirect=True)
async def test_a_refused_ranking_costs_the_page_not_the_round(fake: FakePrometheusApi) -> None:
    async with PrometheusAggregateSource(fake.url, timeout_s=5) as source:
        source.view = lambda: PageRequest("node")
        in_node_order = await source.poll_once()
        source.view = lambda: PageRequest("util", True, rows=4)
        ranked = await source.poll_once()
    assert source.failure is None
    assert ranked.summary is not None and ranked.summary.nodes_live == 3
    assert any(p.startswith(f"prometheus {PAGE}: ") and "unexpected ranking" in p
               for p in source.problems)
    assert ranked.page == in_node_order.page  # the last page, kept


@pytest.mark.parametrize("fake", ["slow_users"], indirect=True)
async def test_a_part_slower_than_a_round_rests_as_long_as_it_took_before_it_is_asked_again(
        fake: FakePrometheusApi) -> None:
    def users_asked() -> int:
        return sum('"memory"' in f.get("query", "") for f in fake.forms)

    async with PrometheusAggregateSource(fake.url, timeout_s=5, budget_s=0.3) as source:
        source.view = lambda: PageRequest(users=True)
        await source.poll_once()  # asks, and carries it: it takes SLOW_S
        await asyncio.sleep(SLOW_S)
        answered = await source.poll_once()
        assert answered.users is not None and users_asked() == 1
        resting = await source.poll_once()
        assert users_asked() == 1  # not asked again at once
        assert resting.users == answered.users  # the last answer, kept
        assert resting.cost is not None and USERS in resting.cost.kept
        assert USERS not in resting.cost.dropped
        await asyncio.sleep(SLOW_S)
        await source.poll_once()
        assert users_asked() == 2  # rested as long as it took: asked again
