"""Scrape rounds over N mock nodes x 8 GPUs: wall and client CPU seconds per round.

Run: .venv/bin/python tests/benchmarks/bench_remote_scrape.py [--sizes 256,1024,4096]

The mock server (`python -m mock_server`) runs in its own process on 127.0.0.1, so the CPU
figures are the client's alone. Two kinds of round are measured:
- "changed": every node's values changed since the last round (the mock is stepped through
  its admin API, and a second client fetches every body first so that the mock has rendered
  it, as a real exporter has between its collections);
- "same": nothing changed since the last round (a view polling faster than the exporters
  collect); unchanged bodies are not decoded again.
"decode" is the CPU to turn one round of bodies into snapshots, measured apart by decoding
the bodies of 64 nodes; "net" is the rest of the client CPU. The collector is tuned as
`allsmi view` tunes it (allsmi_py.gc_tuning.RoundGc).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from allsmi_py.gc_tuning import RoundGc
from allsmi_py.remote.nodes import snapshot_from_json, snapshot_from_text
from allsmi_py.remote.poller import ClusterPoller

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PORT = 21500
FIRST_PORT = 22000  # below the kernel's ephemeral range (32768-), so no clash with clients


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _start_mock(nodes: int, hostfile: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "--nodes", str(nodes), "--start-port",
         str(FIRST_PORT), "--hostfile", str(hostfile), "--seed", "7", "--mock", "h100:8",
         "--interval", "86400", "--admin-port", str(ADMIN_PORT)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_raise_nofile)
    deadline = time.time() + 120
    while time.time() < deadline:
        if hostfile.exists() and len(hostfile.read_text().split()) >= nodes:
            time.sleep(0.3)
            return proc
        if proc.poll() is not None:
            assert proc.stderr is not None
            raise RuntimeError(f"mock server exited: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("mock server did not start")


def _step_mock() -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{ADMIN_PORT}/-/mock/step",
                                     method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


async def _rounds(hostfile: Path, prefer_json: bool, rounds: int,
                  no_gc_tuning: bool = False) -> dict[str, list[tuple[float, float, int]]]:
    """(wall s, client CPU s, nodes ok) per round, for changed and unchanged rounds."""
    out: dict[str, list[tuple[float, float, int]]] = {"changed": [], "same": []}
    tuning = None if no_gc_tuning else RoundGc()
    limits = {"timeout_s": 10.0, "concurrency": 512, "prefer_json": prefer_json}
    async with ClusterPoller(hostfile=str(hostfile), **limits) as warmer, \
            ClusterPoller(hostfile=str(hostfile), **limits) as poller:
        await poller.poll_once()  # connections, path discovery
        if tuning:
            tuning.after_round()
        for kind in ["changed"] * rounds + ["same"] * rounds:
            if kind == "changed":
                _step_mock()
                await warmer.poll_once()  # the mock renders now, outside the measured round
                if tuning:
                    tuning.after_round()
            wall0, cpu0 = time.perf_counter(), time.process_time()
            cluster = await poller.poll_once()
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            if tuning:
                tuning.after_round()
            out[kind].append((wall, cpu, sum(n.is_live for n in cluster.nodes)))
    return out


def _decode_cost(hostfile: Path, prefer_json: bool, sample: int = 64) -> float:
    """CPU seconds per node to decode one body."""
    hosts = hostfile.read_text().split()[:sample]
    path = "/snapshot" if prefer_json else "/metrics"
    bodies = []
    for host in hosts:
        with urllib.request.urlopen(f"http://{host}{path}", timeout=10) as response:
            bodies.append(response.read())
    started = time.process_time()
    for _ in range(5):
        for body in bodies:
            if prefer_json:
                snapshot_from_json(body)
            else:
                snapshot_from_text(body, "x")
    return (time.process_time() - started) / (5 * len(bodies))


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,1024,4096")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-gc-tuning", action="store_true")
    args = parser.parse_args()
    _raise_nofile()
    print(f"{'nodes':>6} {'path':>5} {'round':>8} {'ok':>6} {'wall s':>7} {'cpu s':>7}"
          f" {'decode s':>9} {'net s':>7}")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            hostfile = Path(tmp) / "hosts.txt"
            mock = _start_mock(size, hostfile)
            try:
                for prefer_json in (True, False):
                    path = "json" if prefer_json else "text"
                    results = asyncio.run(_rounds(hostfile, prefer_json, args.rounds,
                                                  args.no_gc_tuning))
                    decode = _decode_cost(hostfile, prefer_json) * size
                    for kind, rows in results.items():
                        wall = statistics.median(r[0] for r in rows)
                        cpu = statistics.median(r[1] for r in rows)
                        ok = min(r[2] for r in rows)
                        decoded = decode if kind == "changed" else 0.0
                        print(f"{size:>6} {path:>5} {kind:>8} {ok:>6} {wall:>7.2f} {cpu:>7.2f}"
                              f" {decoded:>9.2f} {max(0.0, cpu - decoded):>7.2f}", flush=True)
            finally:
                mock.terminate()
                mock.wait(30)


if __name__ == "__main__":
    main()
