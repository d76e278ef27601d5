"""Client memory against decompression bombs: peak RSS of `allsmi snapshot --hosts`.

Run: .venv/bin/python -m tests.benchmarks.bench_remote_bomb [--gib 1] [--bombs 4]

A loopback server (tests/hostile/hostile_nodes.py) serves an honest node and nodes whose
/snapshot is gzip of `--gib` GiB of zeros (about 1 MiB on the wire, so it passes any cap on
Content-Length). Each case runs the real command in a child process and reads the child's
peak RSS from the kernel (wait4); the baseline is the same command against the honest node
alone. Goal (issue 14): under 150 MB against a 1 GiB bomb, and the honest node still `ok`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.hostile.hostile_nodes import MIB, HostileServer

ROOT = Path(__file__).resolve().parents[2]


def _serve(server: HostileServer, ready: threading.Event, stop: threading.Event) -> None:
    async def main() -> None:
        await server.start()
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await server.stop()
    asyncio.run(main())


def run_case(urls: list[str]) -> tuple[float, float, dict[str, str]]:
    """(wall s, peak RSS MiB, state by URL) of one `allsmi snapshot --hosts` run."""
    argv = [sys.executable, "-m", "allsmi_py", "snapshot", "--hosts", ",".join(urls),
            "--format", "json", "--timeout", "30"]
    started = time.perf_counter()
    child = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = child.stdout.read() if child.stdout is not None else b""
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"allsmi snapshot exited with {os.waitstatus_to_exitcode(status)}")
    doc = json.loads(out)
    states = {node["address"]: node["state"] for node in doc["nodes"]}
    return wall, usage.ru_maxrss / 1024, states


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=1.0, help="decoded size of each bomb")
    parser.add_argument("--bombs", type=int, default=4, help="bomb nodes in the last case")
    args = parser.parse_args()

    server = HostileServer(bomb_bytes=int(args.gib * 1024) * MIB)
    for extra in range(1, args.bombs):
        server.handlers[f"bomb{extra}"] = server.handlers["bomb"]
    ready, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=_serve, args=(server, ready, stop), daemon=True)
    thread.start()
    ready.wait(30)
    bombs = [server.url("bomb")] + [server.url(f"bomb{i}") for i in range(1, args.bombs)]
    healthy = server.url("healthy")
    cases = [
        ("honest node only (baseline)", [healthy]),
        ("honest + gzip honest", [healthy, server.url("gzip")]),
        (f"honest + 1 bomb ({args.gib:g} GiB)", [healthy, bombs[0]]),
        (f"honest + {args.bombs} bombs", [healthy, *bombs]),
    ]
    print(f"bomb body on the wire: {len(server.bomb) / MIB:.2f} MiB, "
          f"decoded {args.gib:g} GiB each")
    print(f"{'case':34} {'nodes':>5} {'wall s':>7} {'peak RSS MiB':>13} {'x baseline':>10}"
          f"  honest node  bombs")
    baseline = 0.0
    try:
        for label, urls in cases:
            wall, rss, states = run_case(urls)
            baseline = baseline or rss
            bomb_states = sorted({states[u] for u in urls if u != healthy}) or ["-"]
            print(f"{label:34} {len(urls):5d} {wall:7.2f} {rss:13.1f} {rss / baseline:10.2f}"
                  f"  {states[healthy]:11}  {','.join(bomb_states)}")
    finally:
        stop.set()
        thread.join(10)


if __name__ == "__main__":
    main()
