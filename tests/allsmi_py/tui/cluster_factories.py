"""Deterministic ClusterSnapshots for the cluster view's tests and benchmark (seeded mock nodes)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

from allsmi_py.model import BackendStatus, ClusterNode, ClusterSnapshot, NodeSnapshot, NodeStatus
from backends.mock.backend import MockBackend
from tests.allsmi_py.tui.factories import HOST, T0


def cluster_rounds(nodes: int = 8, spec: str = "h100:8", rounds: int = 3, seed: int = 1,
                   step_s: float = 2.0, down: Collection[int] = (),
                   specs: dict[int, str] | None = None,
                   lazy: bool = False) -> Iterable[ClusterSnapshot]:
    """`rounds` successive rounds of `nodes` seeded mock nodes; nodes in `down` fail the last.

    A list, or with `lazy` a generator that builds each round when asked for it.
    """
    made = _rounds(nodes, spec, rounds, seed, step_s, down, specs or {})
    return made if lazy else list(made)


def _rounds(nodes: int, spec: str, rounds: int, seed: int, step_s: float,
            down: Collection[int], specs: dict[int, str]) -> Iterator[ClusterSnapshot]:
    now = [0.0]
    backends = [MockBackend(spec=specs.get(i, spec), seed=seed * 100_003 + i,
                            clock=lambda: now[0], start_time_s=T0 - 600) for i in range(nodes)]
    last_ok: dict[int, NodeSnapshot] = {}
    for r in range(rounds):
        now[0] = r * step_s
        taken = T0 + now[0]
        members = []
        for i, backend in enumerate(backends):
            address = f"10.0.{i // 256}.{i % 256}:9090"
            if r == rounds - 1 and i in down:
                status = NodeStatus(address, "unreachable", "connection refused",
                                    last_ok_at_s=taken - step_s if i in last_ok else None)
                members.append(ClusterNode(status, last_ok.get(i)))
                continue
            snap = NodeSnapshot(
                hostname=f"gpu-{i + 1:04d}", taken_at_s=taken, devices=tuple(backend.read()),
                host=HOST, backends=(BackendStatus("mock", "ok", "simulated"),), version="0.1.0")
            last_ok[i] = snap
            members.append(ClusterNode(NodeStatus(address, "ok", latency_s=0.004,
                                                  last_ok_at_s=taken, source="json"), snap))
        yield ClusterSnapshot(taken_at_s=taken, nodes=tuple(members))
