"""The Prometheus-backed cluster view at 1,000 / 4,000 / 10,000 nodes x 8 GPUs (issue 20 item 3).

Run: .venv/bin/python -m tests.benchmarks.bench_prometheus_view [--small] [--sizes 1000,4000]
For each size, 30 minutes of history at 15 s steps are written by `allsmi-mock history` (the
mock simulator, seeded; the families the view reads, see VIEW_FAMILIES), turned into TSDB
blocks by `promtool tsdb create-blocks-from openmetrics`, and served by a real Prometheus on
loopback. The blocks are cached under --cache keyed by the parameters (the build is the slow
part: the table says how long it took when it was built). Then a child process, as `allsmi
view` would be, runs the view's source against it, round after round, each round evaluated
15 s later in the history than the one before (Prometheus' `time=` on every query), and
feeds the rounds to the cluster app headless (120x40) as bench_tui_cluster does:
  bytes      response bytes on the wire per round (gzip as Prometheus sends it), median
  round      wall seconds of one round (all its HTTP requests and decoding), median; max:
             the slowest round after the first (a round that refreshes the steady part, or
             asks a part in its turn, costs more than the median says)
  CPU        client CPU seconds per round (process time), median
  redraw     UI-thread CPU per refresh (derive excluded), median
  RSS        the child's peak resident memory
  req, nodes, devices: requests in a round, nodes it returned, devices it carried (the
             aggregated source: the page's rows); dropped: optional parts a round left out
             to stay in its budget (2 MB, 1 s); --queries lists each request, slowest first
Goals (issue 20) are printed beside each figure. Not a pytest module: figures depend on the
machine, and building 10,000 nodes takes a long while.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx

from mock_server.openmetrics_history import HistoryPlan, write_history_file
from tests.prometheus_util import PROMETHEUS_MISSING, REPO, build_history_tsdb, prometheus_on_tsdb

START_S = 1_750_000_000.0  # a fixed past, so a cached build serves every later run
STEP_S = 15.0
MINUTES = 30
SEED = 20
SPEC = "h100:8"
FORMAT = 1  # bump when the generator's output changes, so old caches are not reused
GOALS = {"bytes": 2e6, "round": 1.0, "redraw": 0.030, "rss": 300 * 2**20}


@dataclass
class Build:
    """A cached TSDB of one size and how long it took to make."""

    nodes: int
    data_dir: str
    generate_s: float
    file_bytes: int
    samples: int
    series: int
    promtool_s: float


def build(nodes: int, cache: Path) -> tuple[Build, bool]:
    """The TSDB of `nodes` nodes (built now unless cached); True when it was cached."""
    key = f"n{nodes}-m{MINUTES}-s{STEP_S:g}-seed{SEED}-{SPEC.replace(':', 'x')}-f{FORMAT}"
    folder = cache / key
    done = folder / "build.json"
    if done.exists():
        return Build(**json.loads(done.read_text())), True
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    history = folder / "history.om"
    plan = HistoryPlan(nodes=nodes, start_s=START_S, steps=MINUTES * 60 // int(STEP_S) + 1,
                       step_s=STEP_S, seed=SEED, spec=SPEC)

    def progress(count: int) -> None:
        if count % 500 == 0:
            print(f"  generated {count}/{nodes} nodes", file=sys.stderr, flush=True)

    stats = write_history_file(plan, str(history), progress)
    data = folder / "tsdb"
    promtool_s = build_history_tsdb(history, data)
    history.unlink()  # the blocks hold it all; the text is ten times their size
    result = Build(nodes, str(data), stats.seconds, stats.bytes, stats.samples, stats.series,
                   promtool_s)
    done.write_text(json.dumps(asdict(result)))
    return result, False


class AtTransport(httpx.AsyncBaseTransport):
    """Puts `time=` on every instant query and counts the bytes of every answer."""

    def __init__(self, at_s: float) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.at_s = at_s
        self.bytes = 0
        self.requests = 0
        self.calls: list[tuple[float, int, str]] = []  # (seconds, bytes, query) of each request

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        if request.url.path.endswith("/api/v1/query"):
            request = await self._at(request)
        response = await self.inner.handle_async_request(request)
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
        await response.aclose()
        self.bytes += len(raw)
        self.requests += 1
        query = dict(parse_qsl(request.content.decode())).get("query") if request.method == \
            "POST" else request.url.params.get("query")
        self.calls.append((time.perf_counter() - started, len(raw),
                           " ".join((query or request.url.path).split())))
        return httpx.Response(response.status_code, headers=response.headers, content=raw,
                              request=request)

    async def _at(self, request: httpx.Request) -> httpx.Request:
        at = f"{self.at_s:.3f}"
        if request.method == "GET":
            return httpx.Request("GET", request.url.copy_set_param("time", at),
                                 headers=request.headers)
        form = [(k, v) for k, v in parse_qsl((await request.aread()).decode())
                if k != "time"] + [("time", at)]
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        return httpx.Request("POST", request.url, headers=headers, content=urlencode(form))

    async def aclose(self) -> None:
        await self.inner.aclose()


MODES = ("aggregated", "users", "series")


def _source(mode: str, url: str, transport: AtTransport) -> Any:
    """The view's source (`aggregated`: what `allsmi view --prometheus` reads for its device
    table, sorted by utilization; `users`: the same with the Users tab open, which hides the
    table) or every series (`series`: what `allsmi snapshot --prometheus` reads, with its
    answer cap lifted)."""
    if mode == "series":
        from allsmi_py.remote.prometheus_source import PrometheusSource

        # the answer's cap raised (default 64 MiB), to measure what moving every series costs
        return PrometheusSource(url, timeout_s=120.0, transport=transport,
                                max_response_bytes=2**31)
    from allsmi_py.remote.prometheus_aggregate import PrometheusAggregateSource
    from allsmi_py.remote.prometheus_round import PageRequest

    source = PrometheusAggregateSource(url, timeout_s=120.0, transport=transport)
    request = PageRequest(sort_key="util", descending=True, users=mode == "users",
                          rows=source.page_rows)
    source.view = lambda: request
    return source


async def _rounds(mode: str, url: str, at_s: float,
                  count: int) -> tuple[list[dict[str, Any]], list[Any]]:
    transport = AtTransport(at_s)
    source = _source(mode, url, transport)
    figures: list[dict[str, Any]] = []
    snapshots = []
    try:
        for number in range(count):
            transport.at_s = at_s + number * STEP_S
            bytes0, requests0 = transport.bytes, transport.requests
            transport.calls.clear()
            cpu0, t0 = time.process_time(), time.perf_counter()
            snapshot = await source.poll_once()
            cost = getattr(snapshot, "cost", None)
            figures.append({"round": time.perf_counter() - t0, "cpu": time.process_time() - cpu0,
                            "bytes": transport.bytes - bytes0,
                            "requests": transport.requests - requests0,
                            "nodes": len(snapshot.nodes),
                            "devices": len(snapshot.page) if hasattr(snapshot, "page") else
                            sum(len(n.snapshot.devices) for n in snapshot.nodes
                                if n.snapshot is not None),
                            "calls": sorted(transport.calls, reverse=True),
                            "dropped": list(cost.dropped) if cost is not None else []})
            snapshots.append(snapshot)
            if source.problems:
                print(f"  {mode} problems: {source.problems}", file=sys.stderr)
    finally:
        await source.close()
    return figures, snapshots


def child(mode: str, url: str, at_s: float, count: int) -> dict[str, Any]:
    """One client process: the source's rounds, then the app's redraws of them."""
    from tests.benchmarks.bench_tui_cluster import measure

    figures, snapshots = asyncio.run(_rounds(mode, url, at_s, count))
    costs = asyncio.run(measure(iter(snapshots), (120, 40), None, True))
    return {"rounds": figures, "redraw": costs["ui"],
            "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def run_child(mode: str, url: str, at_s: float, count: int) -> dict[str, Any] | str:
    """`child` in a fresh interpreter, so its RSS is a client's alone; why not, if it failed."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_prometheus_view", "--child", mode,
         "--url", url, "--at", str(at_s), "--rounds", str(count)],
        cwd=REPO, capture_output=True, text=True, check=False)
    sys.stderr.write(done.stderr[-3000:] if done.returncode else done.stderr)
    if done.returncode != 0:
        return f"client failed ({done.returncode}): {done.stderr.strip().splitlines()[-1:]}"
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _median(rows: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in rows))


def describe_build(b: Build, cached: bool) -> str:
    """One line: the size of the history and what building it cost."""
    steps = MINUTES * 60 // int(STEP_S) + 1
    return (f"{b.nodes} nodes: {b.series} series, {b.samples} samples; history "
            f"{b.file_bytes / 1e9:.2f} GB written in {b.generate_s:.0f} s "
            f"({b.nodes * steps / b.generate_s:.0f} node-steps/s), promtool "
            f"{b.promtool_s:.0f} s ({'cached' if cached else 'built now'})")


HEADER = (f"  {'mode':<11} {'MB/round':>9} {'round s':>8} {'max s':>7} {'CPU s':>7} "
          f"{'redraw ms':>10} {'RSS MiB':>8}  {'req':>4} {'nodes':>6} {'devices':>8}  dropped")
GOAL_ROW = (f"  {'goal':<11} {'< 2':>9} {'< 1':>8} {'< 1':>7} {'':>7} {'< 30':>10} "
            f"{'< 300':>8}")


def report_row(mode: str, result: dict[str, Any] | str) -> str:
    """One mode's row, each figure marked `!` where it misses its goal."""
    if isinstance(result, str):
        return f"  {mode:<11} {result}"
    rounds = result["rounds"][1:] or result["rounds"]  # the first round warms Prometheus
    size, wall, cpu = (_median(rounds, k) for k in ("bytes", "round", "cpu"))
    slowest = max(float(r["round"]) for r in rounds)
    redraw = statistics.median(result["redraw"])
    rss = float(result["rss"])

    def mark(value: float, goal: float) -> str:
        return " " if value < goal else "!"

    dropped = sorted({d for r in rounds for d in r["dropped"]})
    last = rounds[-1]
    return (f"  {mode:<11} {size / 1e6:>8.3f}{mark(size, GOALS['bytes'])} "
            f"{wall:>7.3f}{mark(wall, GOALS['round'])} "
            f"{slowest:>6.3f}{mark(slowest, GOALS['round'])} {cpu:>7.3f} "
            f"{redraw * 1000:>9.1f}{mark(redraw, GOALS['redraw'])} "
            f"{rss / 2**20:>7.0f}{mark(rss, GOALS['rss'])}  {last['requests']:>4} "
            f"{last['nodes']:>6} {last['devices']:>8}  {', '.join(dropped) or '-'}")


def main() -> None:
    """Build (or reuse) each size, serve it, measure a client, print the table."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,4000,10000", help="node counts")
    parser.add_argument("--small", action="store_true", help="only 1000 nodes")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(),
                                                        "allsmi-bench-prometheus"))
    parser.add_argument("--build-only", action="store_true", help="build the caches, no runs")
    parser.add_argument("--queries", action="store_true",
                        help="list each request of the last round, slowest first")
    parser.add_argument("--modes", default=",".join(MODES), help="aggregated,users,series")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--at", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.url, args.at, args.rounds)))
        return
    if shutil.which("promtool") is None or shutil.which("prometheus") is None:
        raise SystemExit(PROMETHEUS_MISSING)
    sizes = [1000] if args.small else [int(s) for s in args.sizes.split(",")]
    cache = Path(args.cache)
    # the view's rounds start 20 minutes into the history and move 15 s each
    at_s = START_S + 20 * 60
    print(f"Prometheus-backed view: {SPEC} nodes, {MINUTES} min of history every "
          f"{STEP_S:g} s, {args.rounds} rounds (first one not counted), cache {cache}")
    for nodes in sizes:
        b, cached = build(nodes, cache)
        if args.build_only:
            print(f"{nodes} nodes built: {b}")
            continue
        print(describe_build(b, cached))
        print(HEADER)
        print(GOAL_ROW, flush=True)
        with tempfile.TemporaryDirectory() as work, \
                prometheus_on_tsdb(Path(b.data_dir), Path(work)) as url:
            for mode in args.modes.split(","):
                result = run_child(mode, url, at_s, args.rounds)
                print(report_row(mode, result), flush=True)
                if args.queries and not isinstance(result, str):
                    for seconds, size, query in result["rounds"][-1]["calls"]:
                        print(f"      {seconds:6.3f} s {size / 1e3:9.1f} kB  {query[:90]}")


if __name__ == "__main__":
    main()
