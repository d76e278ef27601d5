"""In-process mock clusters on OS-chosen 127.0.0.1 ports, closed after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from mock_server.admin import AdminApi
from mock_server.cluster import Cluster
from mock_server.plan import Fault, build_plan

EPOCH_S = 1_750_000_000.0
MakeCluster = Callable[..., Awaitable[Cluster]]


@pytest.fixture
async def make_cluster() -> AsyncIterator[MakeCluster]:
    """A factory of started clusters; values move only when a test calls `advance()`."""
    clusters: list[Cluster] = []

    async def make(nodes: int = 2, *, seed: int = 7, spec: str = "h100:2",
                   faults: dict[int, Fault] | None = None, admin: bool = False,
                   interval_s: float = 10_000.0) -> Cluster:
        plans = build_plan([spec] * nodes, 0, 1, faults or {})
        cluster = Cluster(plans, seed=seed, interval_s=interval_s, epoch_s=EPOCH_S,
                          bind="127.0.0.1")
        cluster.bind_all(0 if admin else None)
        clusters.append(cluster)
        await cluster.start(AdminApi(cluster).handle if admin else None)
        return cluster

    yield make
    for cluster in clusters:
        await cluster.close()


def url(cluster: Cluster, index: int, path: str = "/metrics") -> str:
    """The URL of one node's path."""
    return f"http://127.0.0.1:{cluster.nodes[index].port}{path}"
