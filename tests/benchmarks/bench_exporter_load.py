"""Load benchmark: concurrent keep-alive clients on /metrics of a real `allsmi api`.

Run: .venv/bin/python -m tests.benchmarks.bench_exporter_load [--requests 50000] [--clients 8]
Starts `allsmi api --mock h100:8` on a free loopback port, warms it up, then sends a fixed
count of GETs over persistent connections and prints req/s, p50/p99 latency and the server's
RSS before and after. Target (issue 3): >= 1000 req/s, p99 < 20 ms, no memory growth.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from tests.prometheus_util import run_api

REQUEST = b"GET /metrics HTTP/1.1\r\nHost: bench\r\nAccept-Encoding: identity\r\n\r\n"


def rss_kib(pid: int) -> int:
    """Resident set size of `pid` in KiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def _client(port: int, count: int, latencies: list[float]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body_bytes = 0
    try:
        for _ in range(count):
            started = time.perf_counter()
            writer.write(REQUEST)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head.decode(errors="replace"))
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            body_bytes = len(await reader.readexactly(length))
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()
    return body_bytes


async def load(port: int, requests: int, clients: int) -> tuple[float, list[float], int]:
    """(seconds, latencies, body size) for `requests` GETs spread over `clients` connections."""
    latencies: list[float] = []
    per = requests // clients
    started = time.perf_counter()
    sizes = await asyncio.gather(*(_client(port, per, latencies) for _ in range(clients)))
    return time.perf_counter() - started, latencies, sizes[0]


def main() -> None:
    """Run the load and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--mock", default="h100:8")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home, run_api(
            ["--mock", args.mock, "--seed", "1"], Path(home), wait_path="/-/ready") as api:
        asyncio.run(load(api.port, 2_000, args.clients))  # warm-up: imports, caches, buffers
        before = rss_kib(api.proc.pid)
        seconds, latencies, size = asyncio.run(load(api.port, args.requests, args.clients))
        after = rss_kib(api.proc.pid)
    latencies.sort()
    p50 = statistics.median(latencies) * 1e3
    p99 = latencies[int(0.99 * (len(latencies) - 1))] * 1e3
    print(f"{'node':<10}{'clients':>8}{'requests':>10}{'body B':>8}{'req/s':>9}{'p50 ms':>8}"
          f"{'p99 ms':>8}{'RSS before':>12}{'RSS after':>11}")
    print(f"{args.mock:<10}{args.clients:>8}{len(latencies):>10}{size:>8}"
          f"{len(latencies) / seconds:>9.0f}{p50:>8.2f}{p99:>8.2f}"
          f"{before / 1024:>10.1f}MB{after / 1024:>9.1f}MB")


if __name__ == "__main__":
    main()
