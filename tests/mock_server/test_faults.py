"""Every injected failure, observed from an httpx client; the admin API scripts an outage."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from mock_server.http import HANG_MAX_S
from mock_server.node import HUGE_BODY_BYTES
from mock_server.plan import Fault
from tests.mock_server.conftest import MakeCluster, url


async def test_down_refuses_connections(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(faults={0: Fault("down")})
    async with httpx.AsyncClient(timeout=5) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(url(cluster, 0))
        assert (await client.get(url(cluster, 1))).status_code == 200


async def test_timeout_accepts_and_never_answers(make_cluster: MakeCluster) -> None:
    assert HANG_MAX_S >= 60
    cluster = await make_cluster(faults={1: Fault("timeout")})
    async with httpx.AsyncClient(timeout=httpx.Timeout(5, read=0.5)) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(url(cluster, 1))


async def test_slow_answers_after_the_delay(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(faults={0: Fault("slow", 0.4)})
    async with httpx.AsyncClient(timeout=5) as client:
        started = time.perf_counter()
        response = await client.get(url(cluster, 0))
        assert response.status_code == 200 and response.content.startswith(b"# HELP")
        assert time.perf_counter() - started >= 0.4
        with pytest.raises(httpx.ReadTimeout):
            await client.get(url(cluster, 0), timeout=httpx.Timeout(5, read=0.1))


async def test_500(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(faults={0: Fault("500")})
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(url(cluster, 0, "/snapshot"))
    assert response.status_code == 500 and b"node-0001" in response.content


async def test_truncated_body_ends_early(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(faults={0: Fault("truncated")})
    async with httpx.AsyncClient(timeout=5) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(url(cluster, 0))


async def test_garbage_is_not_prometheus_text(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(faults={0: Fault("garbage")})
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(url(cluster, 0))
    assert response.status_code == 200 and len(response.content) == 4096
    with pytest.raises(ValueError):
        list(text_string_to_metric_families(response.content.decode("latin-1")))


async def test_huge_body_is_far_above_any_sane_size(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(faults={0: Fault("huge")})
    client = httpx.AsyncClient(timeout=10)
    async with client, client.stream("GET", url(cluster, 0)) as response:
        assert int(response.headers["content-length"]) == HUGE_BODY_BYTES >= 100 * 2**20
        received = 0
        async for chunk in response.aiter_raw():
            received += len(chunk)
            if received > 4 * 2**20:
                break  # a careful client gives up here
    assert received > 4 * 2**20


async def test_flap_goes_down_and_up_in_turns(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(faults={0: Fault("flap", 0.2)})
    seen: list[bool] = []
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(40):  # bounded: 40 x 50 ms covers several periods
            try:
                seen.append((await client.get(url(cluster, 0))).status_code == 200)
            except httpx.TransportError:  # refused, or reset on a connection it dropped
                seen.append(False)
            await asyncio.sleep(0.05)
    assert seen[0] is True
    changes = sum(1 for a, b in zip(seen, seen[1:], strict=False) if a != b)
    assert changes >= 3, seen


async def test_admin_scripts_an_outage(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(nodes=3, admin=True)
    admin = f"http://127.0.0.1:{cluster.admin_port}/-/mock"
    async with httpx.AsyncClient(timeout=5) as client:
        listing = (await client.get(f"{admin}/nodes")).json()
        assert [n["name"] for n in listing["nodes"]] == ["node-0001", "node-0002", "node-0003"]
        assert listing["nodes"][1]["address"] == f"127.0.0.1:{cluster.nodes[1].port}"
        assert (await client.get(url(cluster, 1))).status_code == 200  # open a keep-alive conn

        down = await client.post(f"{admin}/node/node-0002/down")
        assert down.status_code == 200 and down.json()["up"] is False
        with pytest.raises(httpx.ConnectError):
            await client.get(url(cluster, 1))
        assert (await client.get(url(cluster, 0))).status_code == 200

        assert (await client.post(f"{admin}/node/node-0002/up")).json()["up"] is True
        assert (await client.get(url(cluster, 1))).status_code == 200

        assert (await client.post(f"{admin}/node/node-0003/fault/500")).status_code == 200
        assert (await client.get(url(cluster, 2))).status_code == 500
        assert (await client.post(f"{admin}/node/node-0003/fault/none")).status_code == 200
        assert (await client.get(url(cluster, 2))).status_code == 200

        before = (await client.get(url(cluster, 2))).content
        assert (await client.post(f"{admin}/step")).json() == {"step": 1}
        assert (await client.get(url(cluster, 2))).content != before


async def test_admin_rejects_what_it_cannot_do(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(nodes=1, admin=True)
    admin = f"http://127.0.0.1:{cluster.admin_port}/-/mock"
    async with httpx.AsyncClient(timeout=5) as client:
        assert (await client.post(f"{admin}/node/node-9999/down")).status_code == 404
        assert (await client.get(f"{admin}/node/node-0001/down")).status_code == 405
        assert (await client.post(f"{admin}/node/node-0001/fault/melt")).status_code == 400
        assert (await client.post(f"{admin}/node/node-0001/fault/slow")).status_code == 400
        assert (await client.post(f"{admin}/nodes")).status_code == 405
        assert (await client.get(f"http://127.0.0.1:{cluster.admin_port}/")).status_code == 404
        one = (await client.get(f"{admin}/node/node-0001")).json()
    assert one["fault"] is None and one["up"] is True
