"""The exporter's ASGI app through httpx's ASGI transport."""

from __future__ import annotations

import base64
import dataclasses
import json

import httpx
import pytest

from allsmi_py.exporter import app as app_module
from allsmi_py.exporter.app import Auth, make_app
from allsmi_py.model import NodeSnapshot

from .conftest import mock_snapshot


class Source:
    """A snapshot source the test can change between requests."""

    def __init__(self, snapshot: NodeSnapshot | None = None) -> None:
        self.snapshot = snapshot

    def __call__(self) -> NodeSnapshot | None:
        return self.snapshot


def _client(source: Source, **kwargs: object) -> httpx.AsyncClient:
    app = make_app(source, **kwargs)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://node")


async def test_ready_is_503_until_first_snapshot_then_200() -> None:
    source = Source()
    async with _client(source) as client:
        response = await client.get("/-/ready")
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200 and 'all_smi_up{instance="' in metrics.text
        assert "} 0\n" in metrics.text.split("all_smi_up{", 1)[1].split("\n", 1)[0] + "\n"
        assert (await client.get("/snapshot")).status_code == 503
        source.snapshot = mock_snapshot("h100:8")
        assert (await client.get("/-/ready")).status_code == 200
        assert (await client.get("/healthz")).text == "ok\n"


async def test_metrics_text_and_openmetrics_by_accept() -> None:
    async with _client(Source(mock_snapshot("h100:8"))) as client:
        text = await client.get("/metrics")
        assert text.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert text.text.count("all_smi_gpu_utilization{") == 8
        om = await client.get("/metrics", headers={
            "Accept": "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"})
        assert om.headers["content-type"].startswith("application/openmetrics-text")
        assert om.text.endswith("# EOF\n")


async def test_snapshot_is_the_node_snapshot_as_json() -> None:
    snapshot = mock_snapshot("h100:2")
    async with _client(Source(snapshot), include_processes=True) as client:
        response = await client.get("/snapshot")
    assert response.headers["content-type"] == "application/json"
    assert NodeSnapshot.from_dict(response.json()) == snapshot
    assert response.json() == json.loads(json.dumps(snapshot.to_dict()))


async def test_snapshot_leaves_processes_out_unless_asked() -> None:
    snapshot = mock_snapshot("h100:2")
    assert any(device.processes for device in snapshot.devices)
    async with _client(Source(snapshot)) as client:
        served = NodeSnapshot.from_dict((await client.get("/snapshot")).json())
    assert served == app_module.without_processes(snapshot)
    assert not any(device.processes for device in served.devices)
    assert [d.uuid for d in served.devices] == [d.uuid for d in snapshot.devices]
    bare = mock_snapshot("h100:1")
    bare = dataclasses.replace(bare, devices=tuple(
        dataclasses.replace(d, processes=()) for d in bare.devices))
    assert app_module.without_processes(bare) is bare  # nothing to strip: no copy


async def test_processes_only_when_asked() -> None:
    source = Source(mock_snapshot("h100:2"))
    async with _client(source) as client:
        assert "all_smi_process_" not in (await client.get("/metrics")).text
    async with _client(source, include_processes=True) as client:
        assert "all_smi_process_memory_used_bytes{" in (await client.get("/metrics")).text


async def test_methods_paths_and_head() -> None:
    async with _client(Source(mock_snapshot("h100:1"))) as client:
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            response = await client.request(method, "/metrics")
            assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"
        assert (await client.get("/nope")).status_code == 404
        assert (await client.post("/nope")).status_code == 404
        get = await client.get("/metrics")
        head = await client.head("/metrics")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(len(get.content))


async def test_render_once_per_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    real = app_module.render_prometheus

    def counting(*args: object, **kwargs: object) -> str:
        calls.append(True)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(app_module, "render_prometheus", counting)
    source = Source(mock_snapshot("h100:2"))
    async with _client(source) as client:
        first = (await client.get("/metrics")).content
        for _ in range(5):
            assert (await client.get("/metrics")).content == first
        assert len(calls) == 1
        source.snapshot = mock_snapshot("h100:2", seed=2)
        assert (await client.get("/metrics")).content != first
        assert len(calls) == 2


async def test_broken_snapshot_gives_500_without_traceback() -> None:
    def broken() -> NodeSnapshot:
        raise RuntimeError("secret internals")

    app = make_app(broken)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        response = await client.get("/metrics")
    assert response.status_code == 500
    assert "secret" not in response.text and "Traceback" not in response.text


async def test_bearer_and_basic_auth() -> None:
    source = Source(mock_snapshot("h100:1"))
    auth = Auth(bearer_token="s3cret", basic_user="prom", basic_password="pw")
    good_basic = "Basic " + base64.b64encode(b"prom:pw").decode()
    bad_basic = "Basic " + base64.b64encode(b"prom:nope").decode()
    async with _client(source, auth=auth) as client:

        async def status(path: str, header: str | None) -> int:
            headers = {"Authorization": header} if header else {}
            return (await client.get(path, headers=headers)).status_code

        for path in ("/metrics", "/snapshot"):
            denied = await client.get(path)
            assert denied.status_code == 401 and "www-authenticate" in denied.headers
            for header in ("Bearer nope", bad_basic, "Basic !!", "s3cret"):
                assert await status(path, header) == 401, header
            assert await status(path, "Bearer s3cret") == 200
            assert await status(path, good_basic) == 200
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/-/ready")).status_code == 200
