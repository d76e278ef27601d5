"""Benchmark: N Server-Sent Events clients on /events of a real `allsmi api`.

Run: .venv/bin/python -m tests.benchmarks.bench_exporter_events [--clients 300] [--window 6]
Starts `allsmi api --mock h100:64 --interval 0.5` on a free loopback port and measures the
server's CPU (utime + stime, as a share of one core) and RSS over a fixed window: with no
stream (the baseline), with N readers that take every event, with N slow readers that never
read (the server must drop them once their buffers are full: watch its open files fall),
and once they are all gone. Goal (issue 21 item 3): CPU and RSS flat in the client count
(one render per snapshot for everyone), and slow readers cost no memory that stays.
Measured here (2 shared cores, 300 clients: 256 streams, 44 refused by the cap): readers
5-6 % of a core against 1.3 % idle, +4.7 MiB; slow readers +27 MiB at most (a frame and
the transport's 64 KiB each), all dropped 12-18 s in, RSS back to +4 MiB once gone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import tempfile
import time
from pathlib import Path

from tests.benchmarks.bench_exporter_load import rss_kib
from tests.prometheus_util import run_api

REQUEST = b"GET /events?throttle=0 HTTP/1.1\r\nHost: bench\r\n\r\n"
TICKS = os.sysconf("SC_CLK_TCK")
SLOW_WINDOWS = 10


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of `pid`, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def open_files(pid: int) -> int:
    """How many file descriptors `pid` holds."""
    return len(os.listdir(f"/proc/{pid}/fd"))


async def _reader(port: int, stop: asyncio.Event, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(REQUEST)
    try:
        while not stop.is_set():
            chunk = await asyncio.wait_for(reader.read(1 << 20), 1.0)
            if not chunk:
                return
            counts[0] += chunk.count(b"event: snapshot\n")
    except asyncio.TimeoutError:
        pass
    finally:
        writer.close()


def measure(pid: int, window_s: float) -> tuple[float, float, int]:
    """(CPU share of one core, RSS MiB at the end, open files) over `window_s`."""
    cpu0, t0 = cpu_s(pid), time.monotonic()
    time.sleep(window_s)
    return (cpu_s(pid) - cpu0) / (time.monotonic() - t0), rss_kib(pid) / 1024, open_files(pid)


def readers_phase(pid: int, port: int, clients: int, window_s: float) -> tuple[
        float, float, int, int]:
    """Measure while `clients` readers take every event; (cpu, rss, files, events)."""
    counts = [0]

    async def run() -> tuple[float, float, int]:
        stop = asyncio.Event()
        tasks = [asyncio.create_task(_reader(port, stop, counts)) for _ in range(clients)]
        await asyncio.sleep(1.0)  # connected, first frames sent
        result = await asyncio.to_thread(measure, pid, window_s)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        return result

    cpu, rss, files = asyncio.run(run())
    return cpu, rss, files, counts[0]


def slow_sockets(port: int, clients: int) -> list[socket.socket]:
    """`clients` connections that ask for /events and never read."""
    socks = []
    for _ in range(clients):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.sendall(REQUEST)
        socks.append(sock)
    return socks


def main() -> None:
    """Run every phase and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=300)  # past the 256-stream cap
    parser.add_argument("--window", type=float, default=6.0, help="seconds per measurement")
    args = parser.parse_args()
    rows: list[tuple[str, int, float, float, int, str]] = []
    with tempfile.TemporaryDirectory() as home, run_api(
            ["--mock", "h100:64", "--interval", "0.5"], Path(home),
            wait_path="/-/ready") as api:
        pid = api.proc.pid
        time.sleep(1.0)
        cpu, rss, files = measure(pid, args.window)
        rows.append(("no stream (baseline)", 0, cpu, rss, files, ""))
        cpu, rss, files, events = readers_phase(pid, api.port, args.clients, args.window)
        rows.append(("readers", args.clients, cpu, rss, files,
                     f"{events / args.clients:.1f} events each"))
        socks = slow_sockets(api.port, args.clients)
        try:
            # Each is dropped once its kernel buffers and the transport's are full and a
            # frame then waits stall_s (10 s); measure until they are all gone.
            for step in range(SLOW_WINDOWS):
                cpu, rss, files = measure(pid, args.window)
                rows.append((f"slow readers, {(step + 1) * args.window:.0f} s in", args.clients,
                             cpu, rss, files, ""))
                if files <= rows[0][4]:
                    break
        finally:
            for sock in socks:
                sock.close()
        time.sleep(1.0)
        cpu, rss, files = measure(pid, args.window)
        rows.append(("all gone", 0, cpu, rss, files, ""))
    base_cpu, base_rss = rows[0][2], rows[0][3]
    print(f"{'phase':<26} {'clients':>7} {'CPU %':>6} {'x base':>7} {'RSS MiB':>8} "
          f"{'+MiB':>6} {'fds':>5}  note")
    for name, clients, cpu, rss, files, note in rows:
        ratio = cpu / base_cpu if base_cpu else float("nan")
        print(f"{name:<26} {clients:>7} {cpu * 100:>6.1f} {ratio:>7.2f} {rss:>8.1f} "
              f"{rss - base_rss:>+6.1f} {files:>5}  {note}")


if __name__ == "__main__":
    main()
