"""Every fault at once, many rounds: no exception, right statuses, deadline kept, memory flat."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc

import pytest

from allsmi_py.remote.poller import ClusterPoller
from tests.allsmi_py.remote.faults import FaultServer

SICK = {"timeout": "timeout", "500": "http_error", "truncated": "bad_payload",
        "garbage": "bad_payload", "huge": "too_large", "huge_chunked": "too_large",
        "down": "unreachable"}


@pytest.mark.slow
async def test_all_faults_many_rounds() -> None:
    modes = {f"h{i}": ("json" if i % 2 else "text") for i in range(24)}
    modes.update({f"s{i}": mode for i, mode in enumerate(list(SICK) * 2)})
    modes.update({"slow0": "slow", "flap0": "flap", "asm0": "allsmi"})
    server = FaultServer(modes, hang_s=3.0, slow_s=0.2, huge_bytes=400_000)
    await server.start()
    deadline_s = 0.8
    try:
        async with ClusterPoller([server.target(n) for n in modes], timeout_s=deadline_s,
                                 concurrency=8, max_body_bytes=200_000) as poller:
            names = list(modes)
            sizes = []
            flap_states = set()
            loop = asyncio.get_running_loop()
            tracemalloc.start()
            for round_no in range(12):
                started = loop.time()
                cluster = await poller.poll_once()
                elapsed = loop.time() - started
                # the round did not wait for the hung nodes (3 s): the deadline cut them off;
                # not a timing figure, which a loaded 2-core machine stretches
                assert elapsed < 3.0, elapsed
                by_name = dict(zip(names, cluster.nodes, strict=True))
                for name, node in by_name.items():
                    mode = modes[name]
                    if mode in SICK:
                        assert node.status.state == SICK[mode], (name, node.status)
                    elif mode == "flap":
                        flap_states.add(node.status.state)
                    else:
                        assert node.status.state == "ok", (round_no, name, node.status)
                        assert node.status.latency_s is not None
                        assert node.status.latency_s < 3.0
                gc.collect()
                sizes.append(tracemalloc.get_traced_memory()[0])
            tracemalloc.stop()
            assert flap_states == {"ok", "http_error"}
            # after warm-up, memory does not grow round over round
            assert max(sizes[6:]) - sizes[5] < 1_000_000, sizes
    finally:
        await server.stop()
