"""PrometheusSource: the cluster from a Prometheus server's query API (mocked, then real)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx

from allsmi_py.cli import main
from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import ClusterSnapshot, NodeSnapshot
from allsmi_py.remote.parse import parse_node_text
from allsmi_py.remote.prometheus_source import PrometheusSource, state_of_scrape_error
from tests.allsmi_py.exporter.conftest import mock_snapshot
from tests.allsmi_py.remote.prom_api import (
    EVAL_S,
    FakePrometheus,
    active_target,
    error_body,
    scraped,
    series,
    vector,
)
from tests.prometheus_util import (
    PROMETHEUS_MISSING,
    REPO,
    free_port,
    prometheus_server,
    stop_child,
)

H100 = mock_snapshot("h100:8", hostname="gpu-a")
RNGD = mock_snapshot("rngd:4", seed=2, hostname="npu-b")
REFUSED = 'Get "http://10.0.0.3:9090/metrics": dial tcp 10.0.0.3:9090: connect: connection refused'


def _cluster(honor_labels: bool = False) -> FakePrometheus:
    result = (scraped(H100, "10.0.0.1:9090", honor_labels=honor_labels,
                      extra_target_labels={"cluster": "lab"})
              + scraped(RNGD, "10.0.0.2:9090", honor_labels=honor_labels,
                        extra_target_labels={"cluster": "lab"})
              + [series("up", 0.0, {"job": "allsmi", "instance": "10.0.0.3:9090",
                                    "cluster": "lab"}),
                 # Another job's targets, down or not, are not nodes of ours.
                 series("up", 0.0, {"job": "node", "instance": "10.0.0.9:9100"}),
                 series("up", 1.0, {"job": "node", "instance": "10.0.0.1:9100"})])
    return FakePrometheus(vector(result), targets=[
        active_target("allsmi", "10.0.0.1:9090", "up"),
        active_target("allsmi", "10.0.0.3:9090", "down", REFUSED),
        active_target("node", "10.0.0.9:9100", "down", "connection refused")])


async def _poll(fake: FakePrometheus, **kwargs: object) -> tuple[ClusterSnapshot, tuple[str, ...]]:
    async with PrometheusSource("http://prom.test:9090/", transport=fake.transport(),
                                **kwargs) as source:  # type: ignore[arg-type]
        return await source.poll_once(), source.problems


def _same_devices(got: NodeSnapshot, want: NodeSnapshot) -> None:
    assert [d.uuid for d in got.devices] == [d.uuid for d in want.devices]
    assert got.devices == want.devices


async def test_live_and_down_nodes_from_one_query() -> None:
    fake = _cluster()
    cluster, problems = await _poll(fake)
    assert problems == ()
    by_address = {n.status.address: n for n in cluster.nodes}
    assert list(by_address) == ["10.0.0.1:9090", "10.0.0.2:9090", "10.0.0.3:9090"]
    a, b, down = by_address.values()
    assert a.is_live and a.snapshot is not None and a.snapshot.hostname == "gpu-a"
    assert b.snapshot is not None and b.snapshot.hostname == "npu-b"
    assert a.status.source == "prometheus" and a.status.last_ok_at_s == EVAL_S
    # Exactly what the exposition parser reads from the same exporter's text, target labels
    # (job, instance, cluster) kept out of the device details.
    _same_devices(a.snapshot, parse_node_text(render_prometheus(H100)))
    _same_devices(b.snapshot, parse_node_text(render_prometheus(RNGD)))
    assert {d.kind for d in b.snapshot.devices} == {"npu"}
    assert a.snapshot.devices[0].energy_j == H100.devices[0].energy_j is not None
    assert a.snapshot.host is not None and a.snapshot.host.memory == H100.host.memory  # type: ignore[union-attr]
    assert not down.is_live and down.snapshot is None
    assert (down.status.state, down.status.error) == ("unreachable", REFUSED)
    assert [r.url.path for r in fake.requests] == ["/api/v1/query", "/api/v1/targets"]
    promql = fake.promql()
    assert promql.startswith('{__name__=~"up|') and "all_smi_gpu_utilization" in promql
    assert "all_smi_cpu_core_utilization" not in promql  # read by nobody, so never fetched


async def test_a_healthy_cluster_costs_one_request() -> None:
    fake = FakePrometheus(vector(scraped(H100, "10.0.0.1:9090") + scraped(RNGD, "10.0.0.2:9090")))
    cluster, _ = await _poll(fake, job='all"smi')
    assert [n.is_live for n in cluster.nodes] == [True, True]
    assert len(fake.requests) == 1 and fake.requests[0].method == "POST"
    assert fake.promql().endswith(', job="all\\"smi"}')


async def test_honor_labels_keys_live_nodes_by_hostname() -> None:
    cluster, _ = await _poll(_cluster(honor_labels=True))
    states = {n.status.address: n.status.state for n in cluster.nodes}
    # The targets' energy-only twins (no instance label of their own) are not extra nodes.
    assert states == {"gpu-a": "ok", "npu-b": "ok", "10.0.0.3:9090": "unreachable"}
    live = {n.status.address: n.snapshot for n in cluster.nodes if n.is_live}
    assert live["gpu-a"] is not None and len(live["gpu-a"].devices) == 8


async def test_values_as_prometheus_writes_them() -> None:
    uuid = H100.devices[0].uuid
    labels = {"job": "allsmi", "instance": "h:1", "exported_instance": "h", "gpu": "H100",
              "gpu_uuid": uuid, "gpu_index": "0"}
    fake = FakePrometheus(vector([
        series("up", 1.0, {"job": "allsmi", "instance": "h:1"}),
        series("all_smi_gpu_utilization", 42.5, labels),
        series("all_smi_gpu_temperature_celsius", float("nan"), labels),
        series("all_smi_gpu_power_consumption_watts", float("inf"), labels),
        {"metric": {"__name__": "all_smi_gpu_memory_used_bytes", **labels},
         "value": [EVAL_S, "not a number"]},
        {"metric": "garbage", "value": [EVAL_S, "1"]}]))
    cluster, _ = await _poll(fake)
    (node,) = cluster.nodes
    assert node.snapshot is not None
    (device,) = node.snapshot.devices
    assert (device.uuid, device.utilization_pct) == (uuid, 42.5)
    # NaN and +Inf are no reading a field can hold: None, and a note in the node's status
    assert device.temperature_c is None and device.power_w is None
    assert device.memory_used_bytes is None  # "not a number": not reported
    (note,) = node.snapshot.backends
    assert (note.name, note.state) == ("remote", "error")
    assert note.message.startswith("2 values out of range dropped")


@pytest.mark.parametrize(("response", "state", "words"), [
    (httpx.Response(400, content=error_body("bad_data", "1:2: parse error: unexpected")),
     "http_error", ["HTTP 400", "parse error"]),
    (httpx.Response(503, text="Service Unavailable"), "http_error", ["HTTP 503"]),
    (httpx.Response(200, text="<html>not json</html>"), "bad_payload", ["not a JSON object"]),
    (httpx.Response(200, json={"status": "error", "error": "query timed out"}), "bad_payload",
     ["query timed out"]),
    (httpx.Response(200, json={"status": "success", "data": {"resultType": "matrix",
                                                             "result": []}}),
     "bad_payload", ["instant vector"]),
])
async def test_prometheus_trouble_never_raises_and_keeps_last_nodes_stale(
        response: httpx.Response, state: str, words: list[str]) -> None:
    fake = _cluster()
    async with PrometheusSource("http://prom.test:9090", transport=fake.transport()) as source:
        first = await source.poll_once()
        fake.query = response
        second = await source.poll_once()
        assert source.failure is not None and source.problems == (source.failure,)
    assert len(second.nodes) == len(first.nodes) == 3
    for before, after in zip(first.nodes, second.nodes, strict=True):
        assert after.status.state == state and not after.is_live
        assert after.snapshot is before.snapshot
        assert after.status.last_ok_at_s == before.status.last_ok_at_s
        for word in words:
            assert word in (after.status.error or "")
    live_before = first.nodes[0]
    assert second.nodes[0].stale_age_s(second.taken_at_s) is not None
    assert live_before.status.last_ok_at_s == EVAL_S


async def test_first_round_failure_is_an_empty_cluster() -> None:
    fake = FakePrometheus(httpx.Response(500, text="oops"))
    cluster, problems = await _poll(fake)
    assert cluster.nodes == () and len(problems) == 1 and "HTTP 500" in problems[0]


async def test_timeouts() -> None:
    def read_timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        raise AssertionError("not reached")

    for handler in (read_timeout, hang):
        async with PrometheusSource("http://prom.test:9090", timeout_s=0.2,
                                    transport=httpx.MockTransport(handler)) as source:
            cluster = await asyncio.wait_for(source.poll_once(), 5)
        assert cluster.nodes == () and source.failure is not None
        assert "timed out" in source.failure


async def test_nobody_listening() -> None:
    async with PrometheusSource(f"http://127.0.0.1:{free_port()}", timeout_s=2) as source:
        cluster = await source.poll_once()
    assert cluster.nodes == () and source.failure is not None


async def test_a_node_that_goes_down_keeps_its_last_snapshot() -> None:
    fake = _cluster()
    async with PrometheusSource("http://prom.test:9090", transport=fake.transport()) as source:
        first = await source.poll_once()
        fake.query = vector([series("up", 0.0, {"job": "allsmi", "instance": "10.0.0.1:9090"})])
        fake.targets = [active_target("allsmi", "10.0.0.1:9090", "down",
                                      "server returned HTTP status 500 Internal Server Error")]
        (node,) = (await source.poll_once()).nodes
    assert node.status.state == "http_error" and node.status.http_status == 500
    assert node.snapshot is first.nodes[0].snapshot and node.status.last_ok_at_s == EVAL_S


def test_scrape_error_states() -> None:
    assert state_of_scrape_error(REFUSED) == ("unreachable", None)
    assert state_of_scrape_error('Get "http://x/metrics": context deadline exceeded') == (
        "timeout", None)
    assert state_of_scrape_error("server returned HTTP status 503 Service Unavailable") == (
        "http_error", 503)
    assert state_of_scrape_error(None) == ("unreachable", None)


@respx.mock
def test_snapshot_command_json(capsys: pytest.CaptureFixture[str]) -> None:
    fake = _cluster()
    respx.post("http://prom.test:9090/api/v1/query").mock(side_effect=fake.handler)
    respx.get("http://prom.test:9090/api/v1/targets").mock(side_effect=fake.handler)
    assert main(["snapshot", "--prometheus", "http://prom.test:9090"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [n["state"] for n in doc["nodes"]] == ["ok", "ok", "unreachable"]
    assert doc["summary"]["device_count"] == 12 and doc["summary"]["nodes_live"] == 2
    assert main(["snapshot", "--prometheus", "http://prom.test:9090", "--format", "csv"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 1 + 12 + 1


@respx.mock
def test_snapshot_command_when_prometheus_is_down(capsys: pytest.CaptureFixture[str]) -> None:
    respx.post("http://prom.test:9090/api/v1/query").mock(side_effect=httpx.ConnectError("no"))
    assert main(["snapshot", "--prometheus", "http://prom.test:9090"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "prom.test" in captured.err


@pytest.mark.parametrize("extra", [["--hosts", "a:1"], ["--hostfile", "h.txt"],
                                   ["--mock", "h100:1"], ["--format", "prometheus"]])
def test_snapshot_command_usage_errors(extra: list[str],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", "--prometheus", "http://127.0.0.1:1", *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1


# A real Prometheus scraping the mock server ------------------------------------------------

@pytest.fixture
def mock_cluster(tmp_path: Path) -> Iterator[list[str]]:
    """4 mock nodes (h100:8 and rngd:4, one refusing connections); their host:port lines."""
    hostfile = tmp_path / "hosts.txt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "--nodes", "4", "--start-port", "0", "--hostfile",
         str(hostfile), "--mix", "h100:8=50%,rngd:4=50%", "--fail-down", "1", "--seed", "7",
         "--interval", "1"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        assert "ready" in line, line + (proc.stderr.read().decode() if proc.stderr else "")
        yield hostfile.read_text().split()
    finally:
        stop_child(proc)


def _truth(targets: list[str]) -> dict[str, NodeSnapshot | None]:
    """What each node's own /snapshot says (None: the node refuses connections)."""
    truth: dict[str, NodeSnapshot | None] = {}
    for target in targets:
        try:
            response = httpx.get(f"http://{target}/snapshot", timeout=5)
            truth[target] = NodeSnapshot.from_dict(response.json())
        except httpx.ConnectError:
            truth[target] = None
    return truth


async def _poll_until_complete(source: PrometheusSource, nodes: int,
                               timeout_s: float = 20.0) -> ClusterSnapshot:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        cluster = await source.poll_once()
        if len(cluster.nodes) == nodes or loop.time() > deadline:
            return cluster
        await asyncio.sleep(0.25)


@pytest.mark.prometheus
@pytest.mark.slow
async def test_real_prometheus_over_the_mock_cluster(tmp_path: Path,
                                                     mock_cluster: list[str]) -> None:
    if shutil.which("prometheus") is None:
        pytest.skip(PROMETHEUS_MISSING)
    truth = _truth(mock_cluster)
    assert sum(s is None for s in truth.values()) == 1
    targets = ", ".join(f'"{t}"' for t in mock_cluster)
    # The helper's job keeps exporter labels (honor_labels: true); a second job scrapes the
    # same nodes with Prometheus' default, as dashboards/prometheus/prometheus.yml does.
    plain_job = ("  - job_name: plain\n    static_configs:\n"
                 f"      - targets: [{targets}]\n        labels: {{cluster: lab}}\n")
    with prometheus_server(mock_cluster, tmp_path, extra_config=plain_job) as url:
        for job in ("plain", "allsmi"):
            async with PrometheusSource(url, job=job, timeout_s=5) as source:
                cluster = await _poll_until_complete(source, 4)
            assert source.problems == ()
            assert len(cluster.nodes) == 4, cluster
            live = [n for n in cluster.nodes if n.is_live]
            (down,) = [n for n in cluster.nodes if not n.is_live]
            assert len(live) == 3
            (down_target,) = [t for t, s in truth.items() if s is None]
            assert down.status.address == down_target and down.status.state == "unreachable"
            assert "connection refused" in (down.status.error or "")
            want = {s.hostname: s for s in truth.values() if s is not None}
            for node in live:
                assert node.snapshot is not None and node.status.last_ok_at_s is not None
                mine = want[node.snapshot.hostname]
                assert [(d.index, d.uuid, d.name, d.kind) for d in node.snapshot.devices] == [
                    (d.index, d.uuid, d.name, d.kind) for d in mine.devices]
                assert {len(node.snapshot.devices)} <= {8, 4}
                assert node.snapshot.host is not None
                if job == "plain":
                    assert node.status.address in truth
                    assert "cluster" not in node.snapshot.devices[0].details
