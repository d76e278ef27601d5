"""The all-smi text path side by side: our client per round against a real Prometheus per sweep.

Run: .venv/bin/python -m tests.benchmarks.bench_text_path [--sizes 1024,4096] [--runs 5]

One table (issue 20 item 1), every figure measured in this run:
- parser: our tokenizer and whole node decoder against prometheus-client's parser, us per
  sample on one h100:8 body, over --runs runs; the ratio's minimum is the goal's figure;
- client: `allsmi view`'s poller (text path only, prefer_json=False, GC tuned as the view
  tunes it) over N mock nodes x 8 GPUs: client CPU-s and wall s per changed round (every
  node's values changed: the mock is stepped, and a second poller fetches every body first
  so the mock has rendered it) and per unchanged round;
- Prometheus: Debian's /usr/bin/prometheus on loopback, scraping the same N mock targets
  every --interval seconds while the mock is stepped once per sweep; its process CPU
  (user + system, psutil) over --sweeps sweeps, per sweep. Goal: ours <= 0.6x of it.
The mock (`python -m mock_server`) runs in its own process; its CPU is in no figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil
from prometheus_client.parser import text_string_to_metric_families

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.gc_tuning import RoundGc
from allsmi_py.model import NodeSnapshot
from allsmi_py.remote import exposition
from allsmi_py.remote.parse import parse_node_text
from allsmi_py.remote.poller import ClusterPoller
from backends.mock.backend import MockBackend

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = "/usr/bin/prometheus"
_ADMIN = re.compile(r"admin (http://\S+)/-/mock/nodes")
GOAL_ROUND_CPU_S = 0.5
GOAL_WALL_4096_S = 2.0
GOAL_RATIO = 20.0
GOAL_VS_PROMETHEUS = 0.6


@dataclass
class Mock:
    """A running mock cluster: its process, host file and admin URL."""

    proc: subprocess.Popen[str]
    hostfile: Path
    admin: str

    def step(self) -> None:
        """Move every node's values one step."""
        request = urllib.request.Request(f"{self.admin}/-/mock/step", method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()

    def stop(self) -> None:
        """End the mock process."""
        self.proc.terminate()
        self.proc.wait(30)


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _start_mock(nodes: int, tmp: Path) -> Mock:
    hostfile = tmp / f"hosts-{nodes}.txt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "--nodes", str(nodes), "--start-port", "0",
         "--hostfile", str(hostfile), "--seed", "7", "--mock", "h100:8", "--interval",
         "86400", "--admin-port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_raise_nofile)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the summary, once every node answers
    found = _ADMIN.search(line)
    if found is None:
        proc.kill()
        errors = proc.stderr.read()[-2000:] if proc.stderr is not None else ""
        raise RuntimeError(f"mock server did not start: {line} {errors}")
    return Mock(proc, hostfile, found.group(1))


def _per_call_s(fn: object, arg: str, seconds: float) -> float:
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn(arg)  # type: ignore[operator]
        calls += 1
    return (time.perf_counter() - start) / calls


def parser_rows(runs: int) -> tuple[int, list[tuple[float, float, float]]]:
    """Samples in the body; (prometheus-client, our tokenizer, our node decoder) us per sample,
    per run."""
    devices = MockBackend(spec="h100:8", seed=1, node="node-0001").read()
    snap = NodeSnapshot(hostname="node-0001", taken_at_s=time.time(), devices=tuple(devices))
    text = render_prometheus(snap, include_processes=False)
    samples = len(exposition.parse_samples(text))
    parse_node_text(text)
    rows = []
    for _ in range(runs):
        oracle = _per_call_s(lambda t: list(text_string_to_metric_families(t)), text, 0.4)
        ours = _per_call_s(exposition.parse_samples, text, 0.4)
        node = _per_call_s(parse_node_text, text, 0.4)
        rows.append((oracle / samples * 1e6, ours / samples * 1e6, node / samples * 1e6))
    return samples, rows


async def client_rounds(mock: Mock, rounds: int) -> dict[str, list[tuple[float, float]]]:
    """(wall s, client CPU s) per changed and per unchanged round, text path only."""
    out: dict[str, list[tuple[float, float]]] = {"changed": [], "same": []}
    tuning = RoundGc()
    def text_poller() -> ClusterPoller:
        return ClusterPoller(hostfile=str(mock.hostfile), timeout_s=20.0, concurrency=512,
                             prefer_json=False)

    async with text_poller() as warmer, text_poller() as poller:
        await poller.poll_once()
        tuning.after_round()
        for kind in ["changed"] * rounds + ["same"] * rounds:
            if kind == "changed":
                mock.step()
                await warmer.poll_once()
                tuning.after_round()
            wall0, cpu0 = time.perf_counter(), time.process_time()
            cluster = await poller.poll_once()
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            tuning.after_round()
            live = sum(n.is_live for n in cluster.nodes)
            if live != len(cluster.nodes):
                print(f"  note: {len(cluster.nodes) - live} nodes not live in a {kind} round")
            out[kind].append((wall, cpu))
    return out


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scrapes(base: str) -> float:
    """Scrapes Prometheus has finished, from its own /metrics."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=30) as response:
        text = response.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith("prometheus_target_interval_length_seconds_count"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _up_count(base: str) -> int:
    query = urllib.parse.quote("count(up == 1)")
    with urllib.request.urlopen(f"{base}/api/v1/query?query={query}", timeout=30) as response:
        result = json.loads(response.read())["data"]["result"]
    return int(float(result[0]["value"][1])) if result else 0


def prometheus_per_sweep(mock: Mock, tmp: Path, interval_s: float,
                         sweeps: int) -> tuple[float, float]:
    """(Prometheus CPU s per sweep of every target, sweeps measured)."""
    targets = mock.hostfile.read_text().split()
    config = tmp / "prometheus.yml"
    config.write_text(json.dumps({
        "global": {"scrape_interval": f"{interval_s:g}s", "scrape_timeout": f"{interval_s:g}s"},
        "scrape_configs": [{"job_name": "allsmi", "static_configs": [{"targets": targets}]}],
    }))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    data = tmp / "prometheus-data"
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={data}",
         f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_raise_nofile)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if _up_count(base) == len(targets):
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError("Prometheus did not scrape every target within 120 s")
        time.sleep(interval_s)  # past the first sweep: series created, caches filled
        process = psutil.Process(proc.pid)
        before, cpu0 = _scrapes(base), sum(process.cpu_times()[:2])
        for _ in range(sweeps):
            mock.step()  # new values for every sweep, as in the client's changed rounds
            time.sleep(interval_s)
        after, cpu1 = _scrapes(base), sum(process.cpu_times()[:2])
        done = (after - before) / len(targets)
        return (cpu1 - cpu0) / max(done, 1e-9), done
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1024,4096")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5, help="parser runs (the ratio's min)")
    parser.add_argument("--interval", type=float, default=5.0, help="Prometheus scrape s")
    parser.add_argument("--sweeps", type=int, default=6)
    args = parser.parse_args()
    _raise_nofile()
    print(f"{'what':<44} {'size':>6} {'value':>9} {'goal':>9} {'ratio':>7}")
    samples, rows = parser_rows(args.runs)
    ratios = [oracle / ours for oracle, ours, _ in rows]
    print(f"{'parser: prometheus-client us/sample (median)':<44} {samples:>6}"
          f" {statistics.median(r[0] for r in rows):>9.2f}")
    print(f"{'parser: ours us/sample (median)':<44} {samples:>6}"
          f" {statistics.median(r[1] for r in rows):>9.2f}")
    print(f"{'parser: node decode us/sample (median)':<44} {samples:>6}"
          f" {statistics.median(r[2] for r in rows):>9.2f}")
    print(f"{'parser: speedup over prometheus-client, min':<44} {args.runs:>6}"
          f" {min(ratios):>8.1f}x {GOAL_RATIO:>8.0f}x"
          f"   (runs: {' '.join(f'{r:.1f}' for r in ratios)})", flush=True)
    ours_1024: float | None = None
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for size in (int(s) for s in args.sizes.split(",")):
            mock = _start_mock(size, tmp)
            try:
                results = asyncio.run(client_rounds(mock, args.rounds))
                for kind, measured in results.items():
                    cpu = statistics.median(r[1] for r in measured)
                    wall = statistics.median(r[0] for r in measured)
                    goal = f"{GOAL_ROUND_CPU_S:>9.2f}" if kind == "changed" and size == 1024 \
                        else f"{'':>9}"
                    print(f"{'client: CPU s per ' + kind + ' round':<44} {size:>6}"
                          f" {cpu:>9.2f} {goal}", flush=True)
                    wall_goal = f"{GOAL_WALL_4096_S:>9.2f}" if size >= 4096 else f"{'':>9}"
                    print(f"{'client: wall s per ' + kind + ' round':<44} {size:>6}"
                          f" {wall:>9.2f} {wall_goal}", flush=True)
                    if kind == "changed" and size == 1024:
                        ours_1024 = cpu
                if size == 1024 and os.path.exists(PROMETHEUS):
                    theirs, sweeps = prometheus_per_sweep(mock, tmp, args.interval, args.sweeps)
                    print(f"{'Prometheus: CPU s per sweep':<44} {size:>6} {theirs:>9.2f}"
                          f" {'':>9}   ({sweeps:.1f} sweeps measured)", flush=True)
                    if ours_1024 is not None:
                        print(f"{'ours per changed round / Prometheus per sweep':<44} {size:>6}"
                              f" {'':>9} {GOAL_VS_PROMETHEUS:>8.2f}x"
                              f" {ours_1024 / theirs:>6.2f}x", flush=True)
            finally:
                mock.stop()


if __name__ == "__main__":
    main()
