"""Scrape rounds over N mock nodes x 8 GPUs: wall and client CPU seconds, JSON vs text.

Run: .venv/bin/python -m tests.benchmarks.bench_remote_scrape [--sizes 256,1024,4096]
The mock server (`python -m mock_server`) runs in its own process on 127.0.0.1, so the CPU
figures are the client's alone. "parse" is the CPU spent turning bodies into snapshots
(measured by re-decoding the bodies of one round); "network" is the rest of the client CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from allsmi_py.remote.nodes import snapshot_from_json, snapshot_from_text
from allsmi_py.remote.poller import ClusterPoller

ROOT = Path(__file__).resolve().parents[2]


def _raise_nofile(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, need))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def _start_mock(nodes: int, hostfile: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "--nodes", str(nodes), "--start-port", str(port),
         "--hostfile", str(hostfile), "--seed", "7", "--mock", "h100:8"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        preexec_fn=lambda: _raise_nofile(nodes + 1024))
    deadline = time.time() + 120
    while time.time() < deadline:
        if hostfile.exists() and len(hostfile.read_text().split()) >= nodes:
            time.sleep(0.5)
            return proc
        if proc.poll() is not None:
            raise RuntimeError(f"mock server exited: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("mock server did not start")


async def _rounds(hostfile: Path, prefer_json: bool, rounds: int,
                  concurrency: int) -> list[tuple[float, float, int, float]]:
    out = []
    async with ClusterPoller(hostfile=str(hostfile), timeout_s=5.0, concurrency=concurrency,
                             prefer_json=prefer_json) as poller:
        await poller.poll_once()  # warm-up: connections, path discovery
        for _ in range(rounds):
            wall0, cpu0 = time.perf_counter(), time.process_time()
            cluster = await poller.poll_once()
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            ok = sum(n.is_live for n in cluster.nodes)
            out.append((wall, cpu, ok, 0.0))
    return out


async def _parse_cost(hostfile: Path, prefer_json: bool, sample: int = 64) -> float:
    """CPU seconds per node to decode one body (measured on `sample` real bodies)."""
    import aiohttp
    targets = [line.strip() for line in hostfile.read_text().split() if line.strip()][:sample]
    path = "/snapshot" if prefer_json else "/metrics"
    async with aiohttp.ClientSession() as session:
        bodies = []
        for host in targets:
            async with session.get(f"http://{host}{path}") as resp:
                bodies.append(await resp.read())
    decode = snapshot_from_json if prefer_json else (lambda b: snapshot_from_text(b, "x"))
    start = time.process_time()
    for _ in range(5):
        for body in bodies:
            decode(body)
    return (time.process_time() - start) / (5 * len(bodies))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,1024,4096")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=512)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    _raise_nofile(max(sizes) * 2 + 1024)
    print(f"{'nodes':>6} {'path':>5} {'ok':>6} {'wall s':>7} {'cpu s':>7} {'parse s':>8}"
          f" {'net s':>7}")
    port = 20000
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            hostfile = Path(tmp) / "hosts.txt"
            mock = _start_mock(size, hostfile, port)
            port += size + 10
            try:
                for prefer_json in (True, False):
                    rounds = asyncio.run(_rounds(hostfile, prefer_json, args.rounds,
                                                 args.concurrency))
                    per_node = asyncio.run(_parse_cost(hostfile, prefer_json))
                    wall = min(r[0] for r in rounds)
                    cpu = min(r[1] for r in rounds)
                    ok = min(r[2] for r in rounds)
                    parse = per_node * size
                    print(f"{size:>6} {'json' if prefer_json else 'text':>5} {ok:>6} {wall:>7.2f}"
                          f" {cpu:>7.2f} {parse:>8.2f} {max(0.0, cpu - parse):>7.2f}",
                          flush=True)
            finally:
                mock.terminate()
                mock.wait(10)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
