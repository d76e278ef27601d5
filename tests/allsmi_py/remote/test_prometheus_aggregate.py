"""The aggregated Prometheus source against a real Prometheus over the mock cluster.

The oracle is the full-series source (PrometheusSource) evaluated at the same fixed time
(`at_s`): what Prometheus computes (overview, grid, the page of top devices, users, the
open node) must be what we would compute from every series, for far fewer bytes.
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from allsmi_py.cli import main
from allsmi_py.model import ClusterSnapshot
from allsmi_py.remote.aggregate import summarize
from allsmi_py.remote.prometheus_aggregate import PrometheusAggregateSource
from allsmi_py.remote.prometheus_round import AggregatedRound, PageRequest
from allsmi_py.remote.prometheus_source import PrometheusSource
from allsmi_py.tui.cluster_rows import user_usage
from allsmi_py.tui.filter import parse_filter
from allsmi_py.tui.prometheus_view import where_of
from tests.prometheus_util import PROMETHEUS_MISSING, REPO, prometheus_server, stop_child

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, float]]:
    """Prometheus over 4 mock nodes (h100:8, rngd:4, processes, one down); (URL, a time
    at which every live node has been scraped)."""
    if shutil.which("prometheus") is None:
        pytest.skip(PROMETHEUS_MISSING)
    work = tmp_path_factory.mktemp("aggregate")
    hostfile = work / "hosts.txt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "--nodes", "4", "--start-port", "0", "--hostfile",
         str(hostfile), "--mix", "h100:8=50%,rngd:4=50%", "--fail-down", "1", "--seed", "7",
         "--interval", "1", "--processes"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert "ready" in proc.stdout.readline().decode()
        targets = hostfile.read_text().split()
        # The fixture's job keeps exporter labels (honor_labels: true): process series, which
        # carry no instance label, are then filed under the target's address, apart from
        # their node. A second job with Prometheus' default keeps them together.
        quoted = ", ".join(f'"{t}"' for t in targets)
        plain_job = (f"  - job_name: plain\n    static_configs:\n      - targets: [{quoted}]\n")
        with prometheus_server(targets, work, extra_config=plain_job) as url:
            yield url, asyncio.run(_settled(url))
    finally:
        stop_child(proc)


async def _settled(url: str) -> float:
    async with PrometheusSource(url, timeout_s=5, job="plain") as source:
        for _ in range(80):
            cluster = await source.poll_once()
            live = [n for n in cluster.nodes if n.is_live and n.snapshot is not None]
            if len(cluster.nodes) == 4 and len(live) == 3:
                await asyncio.sleep(1.5)  # one more scrape: the instant below sees all
                return (await source.poll_once()).taken_at_s
            await asyncio.sleep(0.25)
    raise AssertionError("Prometheus never held the 4 mock nodes")


async def _both(url: str, at_s: float, request: PageRequest, job: str = "allsmi"
                ) -> tuple[ClusterSnapshot, AggregatedRound, int, int]:
    async with PrometheusSource(url, timeout_s=5, at_s=at_s, job=job) as full_source:
        full = await full_source.poll_once()
        full_bytes = full_source.api.wire_bytes
    async with PrometheusAggregateSource(url, timeout_s=5, at_s=at_s, job=job) as source:
        source.view = lambda: request
        aggregated = await source.poll_once()
        assert source.problems == (), source.problems
    return full, aggregated, full_bytes, source.api.wire_bytes


def _close(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


async def test_overview_grid_and_down_node_match_every_series(live: tuple[str, float]) -> None:
    url, at_s = live
    full, agg, full_bytes, agg_bytes = await _both(url, at_s, PageRequest())
    want, got = summarize(full), agg.summary
    assert got is not None
    assert (got.nodes_live, got.nodes_total, got.device_count) == (
        want.nodes_live, want.nodes_total, want.device_count) == (3, 4, 16)
    assert (got.memory_total_bytes, got.memory_used_bytes) == (
        want.memory_total_bytes, want.memory_used_bytes)
    assert _close(got.power_total_w, want.power_total_w)
    assert _close(got.utilization_mean_pct, want.utilization_mean_pct)
    assert _close(got.temperature_max_c, want.temperature_max_c)
    assert _close(got.temperature_stdev_c, want.temperature_stdev_c)
    assert _close(got.temperature_mean_c, want.temperature_mean_c)
    full_nodes = {n.status.address: n for n in full.nodes}
    for node, mean in zip(agg.nodes, agg.utilization, strict=True):
        match = full_nodes[node.status.address]
        assert node.is_live == match.is_live
        if node.is_live:
            assert match.snapshot is not None
            utils = [d.utilization_pct for d in match.snapshot.devices]
            assert _close(mean, sum(u for u in utils if u is not None) / len(utils))
        else:
            assert node.status.state == "unreachable"
            assert "connection refused" in (node.status.error or "")
    # Smaller only at scale (the page here holds the whole cluster): bench_prometheus_view.
    assert agg.cost is not None and 0 < agg.cost.wire_bytes == agg_bytes and full_bytes > 0


@pytest.mark.parametrize(("key", "descending"), [("util", True), ("temp", False),
                                                 ("mem", True), ("power", True)])
async def test_the_page_is_the_top_devices_of_every_series(live: tuple[str, float], key: str,
                                                          descending: bool) -> None:
    url, at_s = live
    full, agg, _, _ = await _both(url, at_s, PageRequest(key, descending, rows=5))
    read = {"util": lambda d: d.utilization_pct, "temp": lambda d: d.temperature_c,
            "mem": lambda d: d.memory_used_pct, "power": lambda d: d.power_w}[key]
    devices = [d for n in full.nodes if n.snapshot for d in n.snapshot.devices]
    want = sorted((read(d) for d in devices), reverse=descending)[:5]
    got = [read(d) for _, d in agg.page]
    assert len(got) == 5 and all(_close(a, b) for a, b in zip(got, want, strict=True))
    for pos, device in agg.page:
        node = agg.nodes[pos]
        assert node.snapshot is not None and device in node.snapshot.devices


async def test_a_filter_condition_runs_in_prometheus(live: tuple[str, float]) -> None:
    url, at_s = live
    source = PrometheusAggregateSource(url)
    where = where_of(parse_filter("util>50 | temp<40"), source.scope)
    await source.close()
    full, agg, _, _ = await _both(url, at_s, PageRequest("util", True, where, rows=100))
    devices = [d for n in full.nodes if n.snapshot for d in n.snapshot.devices]
    want = {d.uuid for d in devices if (d.utilization_pct or 0) > 50
            or (d.temperature_c is not None and d.temperature_c < 40)}
    assert want and {d.uuid for _, d in agg.page} == want


async def test_node_order_page_open_node_and_users(live: tuple[str, float]) -> None:
    url, at_s = live
    first = (await _both(url, at_s, PageRequest(), job="plain"))[1]
    opened = next(n.status.address for n in first.nodes if n.is_live)
    full, agg, _, _ = await _both(url, at_s, PageRequest(open_node=opened, rows=10), job="plain")
    live_full = [n for n in full.nodes if n.is_live and n.snapshot is not None]
    live_full.sort(key=lambda n: n.status.address)
    want = [d.uuid for n in live_full for d in n.snapshot.devices][:10]  # type: ignore[union-attr]
    assert [d.uuid for _, d in agg.page] == want
    (node,) = [n for n in agg.nodes if n.status.address == opened]
    (match,) = [n for n in full.nodes if n.status.address == opened]
    assert node.snapshot is not None and match.snapshot is not None
    assert node.snapshot.host is not None
    assert [d.uuid for d in node.snapshot.devices] == [d.uuid for d in match.snapshot.devices]
    assert agg.users is None  # not asked: the Users tab is closed
    # The Users tab open: users asked, the device table (hidden) keeps no fresh page.
    full, agg, _, _ = await _both(url, at_s, PageRequest(users=True), job="plain")
    assert agg.page == ()
    users, reporting, _ = user_usage(full)
    assert agg.users is not None and users
    assert agg.users_reporting == reporting
    assert [(u.user, u.gpu_memory_bytes, u.processes, len(u.gpus)) for u in agg.users] == [
        (u.user, u.gpu_memory_bytes, u.processes, len(u.gpus)) for u in users]


def test_snapshot_at_a_time_reads_every_series_then(live: tuple[str, float],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    url, at_s = live
    assert main(["snapshot", "--prometheus", url, "--at", f"{at_s:.3f}"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert len(document["nodes"]) == 8  # each node once by each job
    assert main(["snapshot", "--prometheus", url, "--at", "2001-01-01T00:00:00Z"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["nodes"] == []  # nothing was scraped in 2001
    assert "no all_smi series" in captured.err
