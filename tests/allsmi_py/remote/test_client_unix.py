"""The scrape client over unix sockets: one session per socket, closed when its node leaves."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from allsmi_py.cli import main
from allsmi_py.model import DeviceReading, NodeSnapshot
from allsmi_py.remote.client import ScrapeClient
from allsmi_py.remote.hosts import parse_host
from allsmi_py.serialize import dumps_json
from tests.unix_dirs import sock_dir

__all__ = ["sock_dir"]


def _snapshot(name: str) -> NodeSnapshot:
    device = DeviceReading(backend="mock", index=0, uuid=f"GPU-{name}", name="H100")
    return NodeSnapshot(hostname=name, taken_at_s=1.0, devices=(device,))


async def _serve(path: Path, name: str) -> web.AppRunner:
    async def snapshot(request: web.Request) -> web.Response:
        return web.Response(body=dumps_json(_snapshot(name).to_dict()),
                            content_type="application/json")
    app = web.Application()
    app.router.add_get("/snapshot", snapshot)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.UnixSite(runner, str(path)).start()
    return runner


async def test_each_socket_is_its_own_node_and_dropped_ones_are_closed(sock_dir: Path) -> None:
    runners = [await _serve(sock_dir / f"{n}.sock", n) for n in ("a", "b")]
    client = ScrapeClient(timeout_s=2.0)
    try:
        targets = [parse_host(f"unix://{sock_dir}/{n}.sock") for n in ("a", "b")]
        nodes = [await client.fetch(t) for t in targets]
        assert [n.status.state for n in nodes] == ["ok", "ok"]
        assert [n.snapshot.hostname for n in nodes if n.snapshot] == ["a", "b"]
        assert nodes[0].status.address == f"unix://{sock_dir}/a.sock"
        sessions = dict(client._unix_sessions)
        assert len(sessions) == 2
        client.forget_except({targets[0].base_url})
        assert await client.fetch(targets[0]) is not None
        assert sessions[str(sock_dir / "b.sock")].closed  # the next fetch closed it
        assert not sessions[str(sock_dir / "a.sock")].closed
    finally:
        await client.close()
        for runner in runners:
            await runner.cleanup()
    assert all(s.closed for s in sessions.values())


def test_view_hands_unix_hosts_to_the_poller(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    seen: list[list[str]] = []

    class Reached(Exception):
        pass

    def poller(hosts: Sequence[str], hostfile: str | None, **_: Any) -> None:
        seen.append(list(hosts))
        raise Reached

    import allsmi_py.remote.poller as poller_module
    real_poller = poller_module.ClusterPoller
    monkeypatch.setattr("allsmi_py.remote.poller.ClusterPoller", poller)
    with pytest.raises(Reached):
        main(["view", "--hosts", "unix:///run/allsmi/api.sock", "--timeout", "1"])
    assert seen == [["unix:///run/allsmi/api.sock"]]
    monkeypatch.setattr("allsmi_py.remote.poller.ClusterPoller", real_poller)
    assert main(["view", "--hosts", "unix://relative.sock"]) == 2  # the real one checks it
