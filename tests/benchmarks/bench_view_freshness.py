"""How fresh the cluster view's picture is when some nodes stall: per-node schedule vs rounds.

Run: .venv/bin/python tests/benchmarks/bench_view_freshness.py [--nodes 1024] [--stalled 10]
     [--interval 2] [--timeout 5] [--seconds 60]

The mock server (`python -m mock_server`, its own process, ports chosen by the OS) serves
N nodes x 8 GPUs, `--stalled` of which accept and never answer. The client reads them as
`allsmi view` does, without the screen: at every redraw (once per interval) it takes the
picture it would draw and, for each healthy node, the age of that node's data (now minus its
last good read). Two ways of reading are measured in the same run:
- "schedule": ClusterPoller.live, every node on its own schedule (the view since issue 15);
- "rounds": poll_once round after round, each waiting for its last node up to the timeout
  (the view before issue 15, and still `allsmi snapshot --hosts`).
Goal (issue 15): with the schedule, the age's median and max over the run <= interval + 0.5 s.
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
from pathlib import Path

from allsmi_py.model import ClusterSnapshot
from allsmi_py.remote.poller import ClusterPoller

ROOT = Path(__file__).resolve().parents[2]


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _start_mock(nodes: int, stalled: int, hostfile: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "--nodes", str(nodes), "--start-port", "0",
         "--hostfile", str(hostfile), "--seed", "7", "--mock", "h100:8", "--interval", "1",
         "--fail-timeout", str(stalled)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_raise_nofile)
    deadline = time.time() + 120
    while time.time() < deadline:
        if hostfile.exists() and len(hostfile.read_text().split()) >= nodes:
            return proc
        if proc.poll() is not None:
            assert proc.stderr is not None
            raise RuntimeError(f"mock server exited: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("mock server did not start")


def _ages(cluster: ClusterSnapshot, now_s: float) -> list[float]:
    """Data age of every healthy node (a stalled node never answered: no last good read)."""
    return [now_s - node.status.last_ok_at_s for node in cluster.nodes
            if node.status.last_ok_at_s is not None]


async def _schedule(hostfile: Path, interval_s: float, timeout_s: float,
                    seconds: float) -> tuple[list[float], float]:
    poller = ClusterPoller(hostfile=str(hostfile), timeout_s=timeout_s)
    live = asyncio.create_task(poller.live(interval_s))
    ages: list[float] = []
    cpu0 = time.process_time()
    try:
        await asyncio.sleep(timeout_s + interval_s)  # every node has answered or timed out
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            cluster = poller.current()
            if cluster is not None:
                ages += _ages(cluster, time.time())
            await asyncio.sleep(interval_s)
    finally:
        live.cancel()
        await asyncio.gather(live, return_exceptions=True)
        await poller.close()
    return ages, (time.process_time() - cpu0) / seconds


async def _rounds(hostfile: Path, interval_s: float, timeout_s: float,
                  seconds: float) -> tuple[list[float], float]:
    """The pre-issue-15 view: a redraw per interval of the last finished round."""
    poller = ClusterPoller(hostfile=str(hostfile), timeout_s=timeout_s)
    latest: list[ClusterSnapshot] = []

    async def rounds() -> None:
        async for cluster in poller.rounds(interval_s):
            latest[:] = [cluster]

    task = asyncio.create_task(rounds())
    ages: list[float] = []
    cpu0 = time.process_time()
    try:
        await asyncio.sleep(timeout_s + interval_s)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if latest:
                ages += _ages(latest[0], time.time())
            await asyncio.sleep(interval_s)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await poller.close()
    return ages, (time.process_time() - cpu0) / seconds


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=1024)
    parser.add_argument("--stalled", type=int, default=10)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    _raise_nofile()
    with tempfile.TemporaryDirectory() as folder:
        hostfile = Path(folder) / "hosts.txt"
        mock = _start_mock(args.nodes, args.stalled, hostfile)
        try:
            print(f"{args.nodes} nodes x 8 GPUs, {args.stalled} never answer; interval "
                  f"{args.interval} s, timeout {args.timeout} s, {args.seconds:.0f} s each; "
                  f"age = redraw time - the node's last good read, over every healthy node")
            print(f"{'reading':<10} {'median s':>9} {'p99 s':>7} {'max s':>7} {'goal s':>7} "
                  f"{'CPU/s':>6} {'samples':>8}")
            goal = args.interval + 0.5
            results = {}
            for name, run in (("schedule", _schedule), ("rounds", _rounds)):
                ages, cpu = asyncio.run(run(hostfile, args.interval, args.timeout,
                                            args.seconds))
                ages.sort()
                p99 = ages[min(len(ages) - 1, int(0.99 * len(ages)))]
                results[name] = statistics.median(ages)
                print(f"{name:<10} {statistics.median(ages):>9.2f} {p99:>7.2f} {ages[-1]:>7.2f} "
                      f"{goal:>7.1f} {cpu:>6.2f} {len(ages):>8}")
            print(f"median age, rounds / schedule: {results['rounds'] / results['schedule']:.1f}x")
        finally:
            mock.terminate()
            mock.wait(10)


if __name__ == "__main__":
    main()
