"""On a cluster too large for one round, the aggregated source asks the overview's
statistics and the ranked page in turn, as many as fit in its seconds, and keeps the
others' last answers; on a small one it asks every one every round. The rotation alone,
then the source against the loopback fake API (tests/hostile), `busy` mode serialising each
query that selects every device's series as a loaded Prometheus would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from allsmi_py.remote.prometheus_aggregate import PrometheusAggregateSource
from allsmi_py.remote.prometheus_overview import STEADY_EVERY_ROUNDS
from allsmi_py.remote.prometheus_queries import Scope
from allsmi_py.remote.prometheus_rotation import HEAVY_SHARE, Rotation
from allsmi_py.remote.prometheus_round import PAGE, PageRequest
from tests.hostile.fake_prometheus_api import BUSY_S, FakePrometheusApi
from tests.threaded_server import serving_in_thread

STATS = Scope().summary()
NAMES = [*STATS, PAGE]


def test_every_name_is_asked_until_a_round_has_been_measured() -> None:
    rotation = Rotation(budget_s=1.0)
    assert rotation.choose(NAMES, 1) == NAMES
    assert rotation.choose(NAMES, 2) == NAMES


def test_a_slow_round_leaves_room_for_fewer_then_the_longest_unasked_come_first() -> None:
    rotation = Rotation(budget_s=1.0)
    rotation.choose(NAMES, 1)
    rotation.measured(seconds=1.5, heavy=5)  # 0.3 s each: 0.8 s holds two, the grid and one
    assert rotation.per_round == int(HEAVY_SHARE / 0.3) - 1 == 1
    asked = [rotation.choose(NAMES, n) for n in range(2, 2 + len(NAMES))]
    assert all(len(names) == 1 for names in asked)
    assert sorted(name for names in asked for name in names) == sorted(NAMES)  # each in turn
    assert rotation.choose(NAMES, 7) == asked[0]


def test_what_the_screen_just_changed_is_asked_at_once_whatever_the_room() -> None:
    rotation = Rotation(budget_s=1.0)
    rotation.choose(NAMES, 1)
    rotation.measured(seconds=3.0, heavy=5)
    assert rotation.per_round == 1
    assert rotation.choose(NAMES, 2, now=[PAGE]) == [PAGE]
    assert rotation.choose(NAMES, 3)[0] != PAGE
    new = rotation.choose([*NAMES, "new"], 4)
    assert new == ["new"]  # never asked: due at once


@pytest.mark.parametrize(("seconds", "heavy"), [(0.0, 5), (float("nan"), 5), (1.0, 0),
                                                (-1.0, 3)])
def test_a_measure_that_is_no_time_changes_nothing(seconds: float, heavy: int) -> None:
    rotation = Rotation(budget_s=1.0)
    rotation.measured(seconds, heavy)
    assert rotation.per_round is None


def test_a_fast_round_asks_every_one_and_a_very_slow_one_still_one() -> None:
    rotation = Rotation(budget_s=1.0)
    rotation.measured(seconds=0.05, heavy=5)
    assert rotation.per_round is not None and rotation.per_round >= len(NAMES)
    rotation.measured(seconds=60.0, heavy=2)
    assert rotation.per_round == 1


@pytest.fixture
def busy() -> Iterator[FakePrometheusApi]:
    with serving_in_thread(FakePrometheusApi("busy")) as server:
        yield server


def _asked(fake: FakePrometheusApi, since: int) -> list[str]:
    return [form.get("query", "") for form in fake.forms[since:]]


def _heavy_asked(queries: list[str]) -> set[str]:
    names = {expr: name for name, expr in STATS.items()}
    asked = {names[q] for q in queries if q in names}
    return asked | ({PAGE} if any(q.startswith(("topk(", "bottomk(")) for q in queries)
                    else set())


async def test_a_busy_prometheus_gets_the_statistics_in_turn_and_the_overview_keeps_them(
        busy: FakePrometheusApi) -> None:
    request = PageRequest("util", True, rows=4)
    # 0.3 s a round: after the first (9 queries of BUSY_S one after another) two fit
    budget_s = 0.3
    async with PrometheusAggregateSource(busy.url, timeout_s=5, budget_s=budget_s) as source:
        source.view = lambda: request
        per_round: list[set[str]] = []
        rounds = []
        for _ in range(7):
            before = len(busy.forms)
            rounds.append(await source.poll_once())
            per_round.append(_heavy_asked(_asked(busy, before)))
    assert per_round[0] == set(NAMES)
    # about two fit (the grid and one); HTTP's own time makes it one on a slow machine
    room = int(HEAVY_SHARE * budget_s / BUSY_S) - 1
    for asked in per_round[1:]:
        assert 1 <= len(asked) <= room < len(NAMES)
    for start in (1, 2):  # every name comes round, one a round at the least
        assert set().union(*per_round[start:start + len(NAMES)]) == set(NAMES)
    first = rounds[0].summary
    assert first is not None and first.power_total_w > 0
    for cluster in rounds[1:]:
        summary = cluster.summary
        assert summary is not None and cluster.cost is not None
        assert (summary.power_total_w, summary.memory_used_bytes) == (
            first.power_total_w, first.memory_used_bytes)  # the kept answers
        assert cluster.page  # last round's rows when the page waits its turn
        assert set(cluster.cost.kept) == set(NAMES) - per_round[rounds.index(cluster)]
        assert "asked in turn, kept: " in cluster.cost.describe()


async def test_a_new_sort_is_asked_in_its_round_on_a_busy_prometheus(
        busy: FakePrometheusApi) -> None:
    request = PageRequest("util", True, rows=4)
    async with PrometheusAggregateSource(busy.url, timeout_s=5, budget_s=0.3) as source:
        source.view = lambda: request
        for _ in range(3):
            await source.poll_once()
        request = PageRequest("temp", True, rows=4)
        before = len(busy.forms)
        await source.poll_once()
    assert PAGE in _heavy_asked(_asked(busy, before))


async def test_a_quick_prometheus_gets_every_statistic_every_round() -> None:
    with serving_in_thread(FakePrometheusApi("ok")) as fake:
        async with PrometheusAggregateSource(fake.url, timeout_s=5) as source:
            source.view = lambda: PageRequest("util", True, rows=4)
            for _ in range(4):
                before = len(fake.forms)
                cluster = await source.poll_once()
                assert _heavy_asked(_asked(fake, before)) == set(NAMES)
                assert cluster.cost is not None and cluster.cost.kept == ()
                assert "in turn" not in cluster.cost.describe()


def test_what_changes_slowly_waits_its_rounds_even_with_room() -> None:
    rotation = Rotation(budget_s=1.0)
    slow = {"counts": 3}
    names = ["power", "counts"]
    assert rotation.choose(names, 1, min_rounds=slow) == names
    assert rotation.choose(names, 2, min_rounds=slow) == ["power"]
    assert rotation.choose(names, 3, min_rounds=slow) == ["power"]
    assert rotation.choose(names, 4, min_rounds=slow) == ["counts", "power"]  # oldest first
    rotation.asked(["counts"], 5)  # asked outside the rotation: waits from there
    assert rotation.choose(names, 6, min_rounds=slow) == ["power"]
    assert rotation.left_out == []


async def test_on_a_busy_prometheus_the_steady_part_comes_in_turn_not_all_at_once(
        busy: FakePrometheusApi) -> None:
    steady = {*Scope().steady().values(), Scope().node_device_counts()}
    async with PrometheusAggregateSource(busy.url, timeout_s=5, budget_s=0.3) as source:
        source.view = lambda: PageRequest("util", True, rows=4)
        asked_steady = []
        for _ in range(STEADY_EVERY_ROUNDS + 8):
            before = len(busy.forms)
            cluster = await source.poll_once()
            asked_steady.append(len(steady & set(_asked(busy, before))))
            assert cluster.summary is not None and cluster.summary.device_count == 24
    assert asked_steady[0] == len(steady)
    assert all(count <= 1 for count in asked_steady[1:])  # one at a time, in its turn
    assert sum(asked_steady[STEADY_EVERY_ROUNDS:]) == len(steady)  # each again, once
