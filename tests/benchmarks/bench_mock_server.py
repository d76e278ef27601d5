"""Benchmark: one allsmi-mock process serving N nodes, every node scraped once a second.

    .venv/bin/python tests/benchmarks/bench_mock_server.py --nodes 1024 --rounds 10

Starts the mock server in a subprocess, scrapes every node with one aiohttp session
(keep-alive, all nodes in flight at once) each second for a fixed number of rounds, and
prints nodes, requests/s, the mock's CPU seconds per round (from /proc/<pid>/stat) and its
RSS. Target (issue 4): 1024 nodes under one core, i.e. under 1.0 CPU second per round.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
READY_TIMEOUT_S = 60.0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def rss_bytes(pid: int) -> int:
    """Resident set size of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def start_mock(nodes: int, interval_s: float, hostfile: str,
               extra: list[str]) -> subprocess.Popen[str]:
    """The mock server in a subprocess, returned once it says every node is ready."""
    cmd = [sys.executable, "-m", "mock_server", "--nodes", str(nodes), "--start-port", "0",
           "--seed", "1", "--interval", str(interval_s), "--hostfile", hostfile, *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the ready line, or "" when it exited
    if "ready" not in line:
        proc.kill()
        _, err = proc.communicate(timeout=10)
        raise SystemExit(f"mock server did not start: {line}{err}")
    return proc


async def scrape_round(session: aiohttp.ClientSession, urls: list[str]) -> tuple[int, int]:
    """GET every URL once, all in flight together; (successes, bytes)."""
    async def one(url: str) -> int:
        async with session.get(url) as response:
            body = await response.read()
            return len(body) if response.status == 200 else -1

    sizes = await asyncio.gather(*(one(u) for u in urls), return_exceptions=True)
    ok = [s for s in sizes if isinstance(s, int) and s >= 0]
    return len(ok), sum(ok)


async def run(nodes: int, rounds: int, path: str, interval_s: float, extra: list[str]) -> None:
    """Start, warm up one round, measure `rounds` rounds at 1/s, print the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        hostfile = os.path.join(tmp, "hosts.txt")
        started = time.perf_counter()
        proc = start_mock(nodes, interval_s, hostfile, extra)
        startup_s = time.perf_counter() - started
        try:
            urls = [f"http://{line.strip()}{path}" for line in Path(hostfile).read_text().split()]
            connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60)
            timeout = aiohttp.ClientTimeout(total=30)
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
                await scrape_round(session, urls)  # warm-up: connections and first renders
                cpu0, wall0 = cpu_seconds(proc.pid), time.perf_counter()
                ok_total = bytes_total = 0
                latencies: list[float] = []
                for number in range(rounds):
                    t0 = time.perf_counter()
                    ok, size = await scrape_round(session, urls)
                    latencies.append(time.perf_counter() - t0)
                    ok_total += ok
                    bytes_total += size
                    await asyncio.sleep(max(0.0, wall0 + number + 1 - time.perf_counter()))
                cpu1, wall1 = cpu_seconds(proc.pid), time.perf_counter()
            rss = rss_bytes(proc.pid)
        finally:
            proc.terminate()
            proc.communicate(timeout=30)
    cpu_per_round = (cpu1 - cpu0) / rounds
    print(f"nodes                 {nodes}")
    print(f"path                  {path}  (values change every {interval_s:g} s)")
    print(f"start-up              {startup_s:.2f} s to ready")
    print(f"rounds                {rounds}, {ok_total}/{nodes * rounds} answers ok, "
          f"{bytes_total / max(ok_total, 1) / 1024:.1f} KiB each")
    print(f"requests/s            {ok_total / (wall1 - wall0):.0f}")
    print(f"round latency         median {sorted(latencies)[len(latencies) // 2] * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms")
    print(f"mock CPU per round    {cpu_per_round:.3f} s  (= {cpu_per_round:.0%} of one core "
          f"at one round a second)")
    print(f"mock RSS              {rss / 2**20:.0f} MiB")


def main() -> None:
    """Parse flags and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--path", default="/metrics", choices=("/metrics", "/snapshot"))
    parser.add_argument("--interval", type=float, default=1.0,
                        help="the mock's value interval (1: a fresh render every round)")
    parser.add_argument("--mock", default="h100:8")
    args = parser.parse_args()
    asyncio.run(run(args.nodes, args.rounds, args.path, args.interval, ["--mock", args.mock]))


if __name__ == "__main__":
    main()
