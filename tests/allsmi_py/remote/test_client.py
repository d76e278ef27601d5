"""The scrape engine against a loopback server of sick and healthy nodes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from allsmi_py.model import ClusterSnapshot
from allsmi_py.remote.poller import ClusterPoller
from tests.allsmi_py.remote.faults import FaultServer


@pytest.fixture
async def server() -> AsyncIterator[FaultServer]:
    srv = FaultServer({"ok": "json", "txt": "text", "asm": "allsmi", "hang": "timeout",
                       "err": "500", "cut": "truncated", "junk": "garbage", "big": "huge",
                       "bigc": "huge_chunked", "down": "down", "slow": "slow"},
                      hang_s=5.0, huge_bytes=300_000)
    await srv.start()
    yield srv
    await srv.stop()


def _by_name(server: FaultServer, cluster: ClusterSnapshot) -> dict[str, object]:
    names = {server.target(n).removeprefix("http://"): n for n in server.nodes}
    out = {}
    for node in cluster.nodes:
        key = node.status.address.removeprefix("http://")
        out[names[key]] = node
    return out


async def test_every_outcome_becomes_the_right_status(server: FaultServer) -> None:
    hosts = [server.target(n) for n in server.nodes]
    async with ClusterPoller(hosts, timeout_s=1.0, max_body_bytes=100_000) as poller:
        cluster = await poller.poll_once()
    nodes = _by_name(server, cluster)
    expect = {"ok": ("ok", "json"), "txt": ("ok", "text"), "asm": ("ok", "text"),
              "slow": ("ok", "json"), "hang": ("timeout", None), "err": ("http_error", None),
              "cut": ("bad_payload", None), "junk": ("bad_payload", None),
              "big": ("too_large", None), "bigc": ("too_large", None),
              "down": ("unreachable", None)}
    for name, (state, source) in expect.items():
        status = nodes[name].status  # type: ignore[attr-defined]
        assert status.state == state, (name, status)
        if source:
            assert status.source == source, (name, status)
            assert nodes[name].snapshot.devices, name  # type: ignore[attr-defined]
        else:
            assert status.error, (name, status)
    assert nodes["err"].status.http_status == 500  # type: ignore[attr-defined]
    assert "truncated" in nodes["cut"].status.error  # type: ignore[attr-defined]


async def test_text_and_json_paths_give_the_same_devices(server: FaultServer) -> None:
    async with ClusterPoller([server.target("ok")]) as poller:
        via_json = (await poller.poll_once()).nodes[0].snapshot
    async with ClusterPoller([server.target("ok")], prefer_json=False) as poller:
        node = (await poller.poll_once()).nodes[0]
    assert node.status.source == "text"
    via_text = node.snapshot
    assert via_json is not None and via_text is not None
    assert [d.uuid for d in via_json.devices] == [d.uuid for d in via_text.devices]
    for a, b in zip(via_json.devices, via_text.devices, strict=True):
        assert (a.name, a.memory_total_bytes, a.memory_used_bytes, a.power_w) == (
            b.name, b.memory_total_bytes, b.memory_used_bytes, b.power_w)
        assert a.utilization_pct == pytest.approx(b.utilization_pct)
        assert a.temperature_c == pytest.approx(b.temperature_c, abs=0.5)  # whole degrees


async def test_path_that_worked_is_remembered(server: FaultServer) -> None:
    async with ClusterPoller([server.target("asm")]) as poller:
        first = (await poller.poll_once()).nodes[0].snapshot
        hits = server.nodes["asm"].hits
        assert hits == 2  # /snapshot (not ours), then /metrics
        second = (await poller.poll_once()).nodes[0].snapshot
        assert server.nodes["asm"].hits == hits + 1  # straight to /metrics
        assert second is first  # same body: not decoded again
        server.nodes["asm"].text_body = server.nodes["asm"].text_body.replace(b"} 1\n", b"} 1.0\n")
        assert (await poller.poll_once()).nodes[0].snapshot is not first


async def test_a_node_that_fails_keeps_its_last_snapshot_marked_stale(
        server: FaultServer) -> None:
    async with ClusterPoller([server.target("ok")], timeout_s=1.0) as poller:
        first = (await poller.poll_once()).nodes[0]
        assert first.is_live and first.snapshot is not None
        server.nodes["ok"].mode = "500"
        second = (await poller.poll_once()).nodes[0]
    assert not second.is_live
    assert second.status.state == "http_error"
    assert second.snapshot is first.snapshot
    assert second.status.last_ok_at_s == first.status.last_ok_at_s
    age = second.stale_age_s(first.status.last_ok_at_s + 7.0)  # type: ignore[operator]
    assert age == pytest.approx(7.0)


async def test_bearer_token_is_sent(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    server.nodes["ok"].mode = "auth"
    async with ClusterPoller([server.target("ok")]) as poller:
        denied = (await poller.poll_once()).nodes[0].status
    assert (denied.state, denied.http_status) == ("http_error", 401)
    monkeypatch.setenv("ALLSMI_AUTH_TOKEN", "sesame")
    async with ClusterPoller([server.target("ok")]) as poller:
        assert (await poller.poll_once()).nodes[0].status.state == "ok"
    monkeypatch.delenv("ALLSMI_AUTH_TOKEN")
    async with ClusterPoller([server.target("ok")], auth_token="sesame") as poller:
        assert (await poller.poll_once()).nodes[0].status.state == "ok"


async def test_unreachable_node_is_retried_only_within_the_deadline(server: FaultServer) -> None:
    async with ClusterPoller([server.target("down")], timeout_s=0.5) as poller:
        status = (await poller.poll_once()).nodes[0].status
    assert status.state == "unreachable"
    assert "connect" in (status.error or "")
    assert status.latency_s is not None and status.latency_s < 0.5
