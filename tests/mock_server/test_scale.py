"""1024 nodes from one process start in seconds and every one answers (issue 4)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.prometheus_util import REPO

NODES = 1024


@pytest.mark.slow
@pytest.mark.timeout(60)
async def test_1024_nodes_start_and_answer(tmp_path: Path) -> None:
    hostfile = tmp_path / "hosts.txt"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "--nodes", str(NODES), "--start-port", "0",
         "--seed", "5", "--mix", "h100:8=60%,m3max=10%,rngd:4=30%", "--hostfile", str(hostfile)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready = await asyncio.to_thread(proc.stdout.readline)
        assert f"{NODES} nodes ready" in ready, ready
        assert time.perf_counter() - started < 20
        addresses = hostfile.read_text().split()
        assert len(set(addresses)) == NODES
        connector = aiohttp.TCPConnector(limit=256)
        async with aiohttp.ClientSession(connector=connector,
                                         timeout=aiohttp.ClientTimeout(total=30)) as session:
            async def scrape(address: str) -> tuple[int, bytes]:
                async with session.get(f"http://{address}/metrics") as response:
                    return response.status, await response.read()

            results = await asyncio.gather(*(scrape(a) for a in addresses))
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.communicate, timeout=30)
    assert [status for status, _ in results] == [200] * NODES
    for number, (_, body) in enumerate(results, start=1):
        assert f'instance="node-{number:04d}"'.encode() in body
    kinds = [b"NVIDIA H100" in b for _, b in results].count(True)
    assert 600 <= kinds <= 630  # 60% of 1024, by largest remainder
