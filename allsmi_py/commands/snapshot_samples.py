"""`allsmi snapshot --samples N --interval S`: N readings S seconds apart, this node or a cluster.

Readings are taken on a fixed schedule (start + i * S), so a slow reading does not push the
later ones back. Ctrl-C stops the run: every reading already taken is kept, and the caller
prints them (`interrupted` is then True).
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from allsmi_py.model import ClusterSnapshot
from allsmi_py.settings import INTERVAL_S, NumberSetting, Range

SAMPLES = NumberSetting("--samples", int, Range(1, 100_000))
SAMPLE_INTERVAL = NumberSetting("--interval", float, INTERVAL_S)
DEFAULT_INTERVAL_S = 1.0


@dataclass(slots=True)
class Samples:
    """The pieces of output taken so far, and whether Ctrl-C cut the run short."""

    pieces: list[str] = field(default_factory=list)
    interrupted: bool = False


def take_samples(take: Callable[[], str], count: int, interval_s: float,
                 sleep: Callable[[float], None] = time.sleep) -> Samples:
    """`count` results of `take()`, `interval_s` apart; Ctrl-C keeps those already taken."""
    samples = Samples()
    start = time.monotonic()
    try:
        for i in range(count):
            if i:
                sleep(max(0.0, start + i * interval_s - time.monotonic()))
            samples.pieces.append(take())
    except KeyboardInterrupt:
        samples.interrupted = True
    return samples


@dataclass(frozen=True, slots=True)
class ClusterRounds:
    """How to read the cluster: the hosts and the poller's limits."""

    hosts: Sequence[str]
    hostfile: str | None
    timeout_s: float
    round_deadline_s: float
    concurrency: int
    max_body_bytes: int
    auth_token: str | None
    ssl_context: ssl.SSLContext | None


async def _rounds(spec: ClusterRounds, render: Callable[[ClusterSnapshot], str], count: int,
                  interval_s: float, samples: Samples) -> None:
    from allsmi_py.remote.poller import ClusterPoller

    loop = asyncio.get_running_loop()
    async with ClusterPoller(spec.hosts, spec.hostfile, timeout_s=spec.timeout_s,
                             concurrency=spec.concurrency, max_body_bytes=spec.max_body_bytes,
                             auth_token=spec.auth_token, round_deadline_s=spec.round_deadline_s,
                             ssl_context=spec.ssl_context) as poller:
        for problem in poller.problems:
            print(f"allsmi: warning: {problem} (skipped)", file=sys.stderr)
        start = loop.time()
        for i in range(count):
            if i:
                await asyncio.sleep(max(0.0, start + i * interval_s - loop.time()))
            samples.pieces.append(render(await poller.poll_once()))


def take_cluster_samples(spec: ClusterRounds, render: Callable[[ClusterSnapshot], str],
                         count: int, interval_s: float) -> Samples:
    """`count` rounds over the cluster, one poller (keep-alive) for all; Ctrl-C keeps them."""
    samples = Samples()
    try:
        asyncio.run(_rounds(spec, render, count, interval_s, samples))
    except KeyboardInterrupt:
        samples.interrupted = True
    return samples
