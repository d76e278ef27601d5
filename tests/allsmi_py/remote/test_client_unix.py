"""The scrape client over unix sockets: one session per socket, closed when its node leaves."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

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
