"""Healthy nodes: determinism, value steps, keep-alive, and the exporter app's exact answers."""

from __future__ import annotations

import json
import shutil
import subprocess

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from allsmi_py.exporter.app import make_app
from tests.allsmi_py.exporter.test_prometheus import ALL_SMI_NAMING
from tests.mock_server.conftest import MakeCluster, url


async def bodies(cluster_urls: list[str]) -> list[bytes]:
    """GET each URL; fail on anything but 200."""
    async with httpx.AsyncClient(timeout=10) as client:
        out = []
        for u in cluster_urls:
            response = await client.get(u)
            assert response.status_code == 200, (u, response.status_code)
            out.append(response.content)
        return out


async def test_same_seed_same_bodies_other_seed_differs(make_cluster: MakeCluster) -> None:
    a, b, c = await make_cluster(seed=3), await make_cluster(seed=3), await make_cluster(seed=4)
    for path in ("/metrics", "/snapshot"):
        got_a = await bodies([url(a, i, path) for i in range(2)])
        assert got_a == await bodies([url(b, i, path) for i in range(2)])
        assert got_a != await bodies([url(c, i, path) for i in range(2)])
        assert got_a[0] != got_a[1]  # nodes of one cluster differ


async def test_values_change_per_step_and_lazy_catch_up_matches(make_cluster: MakeCluster) -> None:
    scraped, idle = await make_cluster(), await make_cluster()
    first = await bodies([url(scraped, 0)])
    for _ in range(3):
        scraped.advance()
        step_body = await bodies([url(scraped, 0)])
        assert step_body != first
        first = step_body
        idle.advance()
    assert await bodies([url(idle, 0)]) == first  # state depends on the step, not on scrapes


async def test_snapshot_is_the_node_with_its_name_as_hostname(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(nodes=3, spec="m3max")
    for i, node in enumerate(cluster.nodes):
        doc = json.loads((await bodies([url(cluster, i, "/snapshot")]))[0])
        assert doc["hostname"] == node.name == f"node-{i + 1:04d}"
        assert [d["name"] for d in doc["devices"]] == ["Apple M3 Max"]
        assert doc["host"]["cpu"]["model"] == "Apple M3 Max"


@pytest.mark.parametrize(("method", "path", "headers"), [
    ("GET", "/metrics", {}),
    ("GET", "/metrics", {"accept": "application/openmetrics-text; version=1.0.0"}),
    ("GET", "/snapshot", {}),
    ("GET", "/-/ready", {}),
    ("GET", "/healthz", {}),
    ("HEAD", "/metrics", {}),
    ("GET", "/nope", {}),
    ("POST", "/metrics", {}),
    ("GET", "/metrics?x=1", {}),
])
async def test_answers_equal_the_exporter_app(make_cluster: MakeCluster, method: str, path: str,
                                              headers: dict[str, str]) -> None:
    cluster = await make_cluster()
    node = cluster.nodes[1]
    snapshot = node.snapshot()
    exporter = httpx.AsyncClient(transport=httpx.ASGITransport(app=make_app(lambda: snapshot)),
                                 base_url="http://exporter")
    async with exporter, httpx.AsyncClient() as client:
        ours = await client.request(method, url(cluster, 1, path), headers=headers)
        theirs = await exporter.request(method, path, headers=headers)
    assert ours.status_code == theirs.status_code
    assert ours.content == theirs.content
    for name in ("content-type", "content-length", "allow", "cache-control"):
        assert ours.headers.get(name) == theirs.headers.get(name), name


async def test_keep_alive_serves_many_requests_on_one_connection(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(nodes=1)
    site = cluster.sites[cluster.nodes[0].name]
    async with httpx.AsyncClient() as client:
        for _ in range(5):
            assert (await client.get(url(cluster, 0))).status_code == 200
        assert len(site.connections) == 1
        response = await client.get(url(cluster, 0), headers={"connection": "close"})
        assert response.headers["connection"] == "close"
    assert cluster.nodes[0].requests == 6


async def test_metrics_parse_and_name_the_node(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(nodes=1, spec="h100:2,rngd:2")
    text = (await bodies([url(cluster, 0)]))[0].decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    utilization = families["all_smi_gpu_utilization"]
    assert len(utilization.samples) == 4
    assert {s.labels.get("instance") for s in utilization.samples} == {"node-0001"}


async def test_promtool_accepts_a_node_of_every_platform(make_cluster: MakeCluster) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian package 'prometheus')")
    for spec in ("h100:8", "m3max", "rngd:4", "gaudi3:2", "mi300x:2", "orin", "n300:2", "atom:2"):
        cluster = await make_cluster(nodes=1, spec=spec)
        body = (await bodies([url(cluster, 0)]))[0]
        result = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                                timeout=60, check=False)
        problems = {line.strip() for line in (result.stdout + result.stderr).decode().splitlines()
                    if line.strip()}
        # the exporter's accepted lint findings (all-smi's own *_count names), nothing else
        assert problems <= ALL_SMI_NAMING, (spec, problems - ALL_SMI_NAMING)
        assert result.returncode in (0, 3), (spec, result.returncode)
