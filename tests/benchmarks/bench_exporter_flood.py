"""Flood benchmark: a real `allsmi api` under idle, slowloris and TLS floods (issue 14).

Run: .venv/bin/python -m tests.benchmarks.bench_exporter_flood [--idle 2000] [--slow 200]
     [--tls-flood 3000] [--scrapes 400]

1. Scraper latency. `allsmi api --mock h100:8` with its default limits; a scraper sends
   GET /metrics every 5 ms, on a keep-alive connection (as Prometheus does; it reconnects when
   the connection was dropped) and on a new connection each time. First with no attack (the
   baseline), then while --idle connections that never send a byte and --slow slowloris ones
   (a header byte a second) are held open, and then with the attacker re-opening every
   connection the server drops ("churn"). Goal: p99 < 50 ms under attack, every answer 200.
2. TLS flood. The same with --tls-cert/--tls-key (a self-signed certificate from openssl):
   RSS before, while --tls-flood connections that never start the handshake are held, and
   after they close; then the same with connections that send half a ClientHello and stall.
   Goal: back within 10 MB of the baseline.
The open-file soft limit is raised for both processes (the server inherits it).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import ssl
import statistics
import tempfile
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

from tests.hostile.raw_clients import SLOW_HEAD, STALLED_HELLO, openssl_available, self_signed_cert
from tests.prometheus_util import ApiProcess, run_api

REQUEST = b"GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n"
SCRAPE_EVERY_S = 0.005
HANDSHAKE_TIMEOUT_S = 5.0  # allsmi_py.exporter.guard.HANDSHAKE_TIMEOUT_S, the default
Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def raise_fd_limit(wanted: int) -> None:
    """Raise the soft open-file limit to `wanted` (or the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def rss_mib(pid: int) -> float:
    """Resident set size of `pid` in MiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
    writer.write(REQUEST)
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    await reader.readexactly(length)
    return int(head.split(b" ")[1])


class Scraper:
    """GETs /metrics every SCRAPE_EVERY_S; records latency and status per request."""

    def __init__(self, port: int, context: ssl.SSLContext | None) -> None:
        self.port, self.context = port, context
        self.latencies: dict[str, list[float]] = {"keep-alive": [], "new conn": []}
        self.statuses: list[int] = []
        self.reconnects = 0
        self._kept: Streams | None = None

    async def _open(self) -> Streams:
        return await asyncio.open_connection("127.0.0.1", self.port, ssl=self.context)

    async def _keep_alive(self) -> int:
        for _ in range(2):  # a dropped idle connection is retried once, as Go's client does
            if self._kept is None:
                self._kept = await self._open()
            try:
                return await _answer(*self._kept)
            except (ConnectionError, asyncio.IncompleteReadError):
                self._kept[1].close()
                self._kept = None
                self.reconnects += 1
        raise ConnectionError("keep-alive scrape failed twice")

    async def _fresh(self) -> int:
        reader, writer = await self._open()
        try:
            return await _answer(reader, writer)
        finally:
            writer.close()

    async def run(self, count: int) -> None:
        """`count` scrapes of each kind, alternating."""
        for _ in range(count):
            for kind, scrape in (("keep-alive", self._keep_alive), ("new conn", self._fresh)):
                started = time.perf_counter()
                self.statuses.append(await asyncio.wait_for(scrape(), 10))
                self.latencies[kind].append(time.perf_counter() - started)
                await asyncio.sleep(SCRAPE_EVERY_S)
        if self._kept is not None:
            self._kept[1].close()


class Attacker:
    """Holds idle, slowloris or stalled-TLS connections; optionally re-opens dropped ones."""

    def __init__(self, port: int, wanted: dict[str, int]) -> None:
        self.port = port
        self.wanted = wanted
        self.held: dict[str, list[Streams]] = {kind: [] for kind in wanted}
        self.opened = 0
        self.dropped = 0

    async def _connect(self, kind: str) -> Streams | None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return None
        self.opened += 1
        if kind == "slow":
            writer.write(SLOW_HEAD)
        elif kind == "hello":
            writer.write(STALLED_HELLO)
        return reader, writer

    async def fill(self) -> None:
        """Open connections until each kind has its number (dropped ones replaced)."""
        for kind, wanted in self.wanted.items():
            alive = []
            for reader, writer in self.held[kind]:
                if reader.at_eof() or reader.exception() is not None:
                    self.dropped += 1
                    writer.close()
                else:
                    alive.append((reader, writer))
            opened = await asyncio.gather(*(self._connect(kind)
                                            for _ in range(wanted - len(alive))))
            self.held[kind] = alive + [s for s in opened if s is not None]

    async def hold(self, stop: EventType, churn: bool) -> None:
        """Until `stop`: a byte a second into every slowloris head; with churn, re-open drops."""
        trickled = time.monotonic()
        while not stop.is_set():
            if time.monotonic() - trickled >= 1.0:
                trickled = time.monotonic()
                for reader, writer in self.held.get("slow", []):
                    if not reader.at_eof() and not writer.is_closing():
                        writer.write(b"a")
            await asyncio.sleep(0.1)
            if churn:
                await self.fill()

    def count_dropped(self) -> int:
        """Connections the server closed: replaced ones plus those closed now."""
        return self.dropped + sum(reader.at_eof() or reader.exception() is not None
                                  for streams in self.held.values() for reader, _ in streams)

    def close(self) -> None:
        """Close every connection."""
        for streams in self.held.values():
            for _, writer in streams:
                writer.close()


def _attack(port: int, wanted: dict[str, int], churn: bool, ready: EventType,
            stop: EventType, results: Connection) -> None:
    async def run() -> None:
        attacker = Attacker(port, wanted)
        await attacker.fill()
        ready.set()
        await attacker.hold(stop, churn)
        results.send((attacker.opened, attacker.count_dropped()))
        attacker.close()
        await asyncio.sleep(0.2)

    asyncio.run(run())


@contextmanager
def attack(port: int, wanted: dict[str, int], churn: bool = False) -> Iterator[list[int]]:
    """Run an Attacker in a child process (so it does not share the scraper's loop or GIL);
    yields a list that holds [opened, dropped] once the block ends."""
    ctx = multiprocessing.get_context("fork")
    ready, stop = ctx.Event(), ctx.Event()
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=_attack, args=(port, wanted, churn, ready, stop, theirs))
    child.start()
    counts: list[int] = []
    try:
        if not ready.wait(60):
            raise RuntimeError("the attacker did not open its connections")
        yield counts
    finally:
        stop.set()
        if ours.poll(30):
            counts.extend(ours.recv())
        child.join(30)


async def _scrape(port: int, scrapes: int) -> Scraper:
    scraper = Scraper(port, None)
    await scraper.run(scrapes)
    return scraper


def latency_rows(port: int, idle: int, slow: int, scrapes: int) -> list[str]:
    """The scraper's table: no attack (baseline), attack held, attack with churn."""
    rows: list[str] = []
    base_p99: dict[str, float] = {}
    for name, flood, churn in (("none", 0, False), ("held", 1, False), ("churn", 1, True)):
        with attack(port, {"idle": idle * flood, "slow": slow * flood}, churn) as counts:
            started = time.perf_counter()
            scraper = asyncio.run(_scrape(port, scrapes))
            wall = time.perf_counter() - started
        opened, dropped = counts or [0, 0]
        ok = sum(s == 200 for s in scraper.statuses)
        for kind, values in scraper.latencies.items():
            values.sort()
            p50 = statistics.median(values) * 1e3
            p99 = values[int(0.99 * (len(values) - 1))] * 1e3
            base_p99.setdefault(kind, p99)
            rows.append(f"{name:<7}{idle * flood:>6}{slow * flood:>6}{kind:>12}{len(values):>6}"
                        f"{ok:>6}/{len(scraper.statuses):<5}{p50:>8.2f}{p99:>8.2f}"
                        f"{p99 / base_p99[kind]:>8.2f}x{opened:>8}{dropped:>8}"
                        f"{scraper.reconnects:>6}{wall:>7.1f}")
    return rows


async def _tls_scrape(port: int, context: ssl.SSLContext) -> float:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
    try:
        if await _answer(reader, writer) != 200:
            raise RuntimeError("TLS scrape not answered 200")
    finally:
        writer.close()
    return (time.perf_counter() - started) * 1e3


async def _tls_scrapes(port: int, context: ssl.SSLContext, count: int) -> float:
    return statistics.median([await _tls_scrape(port, context) for _ in range(count)])


def tls_rows(api: ApiProcess, context: ssl.SSLContext, flood: int) -> list[str]:
    """The TLS table: RSS before, during and after each kind of flood, and a scrape's time."""
    rows = []
    asyncio.run(_tls_scrapes(api.port, context, 50))  # warm-up: imports, contexts, caches
    baseline = rss_mib(api.proc.pid)
    for kind in ("silent", "hello"):
        before = rss_mib(api.proc.pid)
        started = time.perf_counter()
        with attack(api.port, {"idle" if kind == "silent" else "hello": flood}) as counts:
            fill_s = time.perf_counter() - started
            time.sleep(1.0)
            during = rss_mib(api.proc.pid)
            scrape_ms = asyncio.run(_tls_scrapes(api.port, context, 5))
        time.sleep(HANDSHAKE_TIMEOUT_S + 1.5)
        after = rss_mib(api.proc.pid)
        rows.append(f"{kind:<8}{flood:>7}{fill_s:>8.2f}{before:>10.1f}{during:>10.1f}"
                    f"{after:>10.1f}{after - baseline:>+10.1f}{scrape_ms:>11.2f}"
                    f"{counts[1] if counts else 0:>9}")
    return rows


def wait_ready(port: int, context: ssl.SSLContext | None, timeout_s: float = 30.0) -> None:
    """Wait until /metrics answers 200 over plain HTTP or TLS."""
    async def once() -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
        try:
            return await _answer(reader, writer)
        finally:
            writer.close()

    deadline = time.monotonic() + timeout_s
    while asyncio.run(_quietly(once())) != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("allsmi api did not come up")
        time.sleep(0.1)


async def _quietly(coro: Awaitable[int]) -> int:
    try:
        return await coro
    except (OSError, asyncio.IncompleteReadError):
        return 0


def main() -> None:
    """Run both parts and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--idle", type=int, default=2000)
    parser.add_argument("--slow", type=int, default=200)
    parser.add_argument("--tls-flood", type=int, default=3000)
    parser.add_argument("--scrapes", type=int, default=400)
    args = parser.parse_args()
    raise_fd_limit(2 * max(args.idle + args.slow, args.tls_flood) + 256)

    with tempfile.TemporaryDirectory() as home, run_api(
            ["--mock", "h100:8", "--seed", "1"], Path(home), wait_path="/-/ready") as api:
        rows = latency_rows(api.port, args.idle, args.slow, args.scrapes)
    print(f"{'attack':<7}{'idle':>6}{'slow':>6}{'scraper':>12}{'reqs':>7}{'ok':>11}"
          f"{'p50 ms':>8}{'p99 ms':>8}{'p99/base':>9}{'opened':>8}{'dropped':>8}{'recon':>6}"
          f"{'wall s':>7}")
    print("\n".join(rows))
    if not openssl_available():
        print("\nTLS flood skipped: openssl CLI not installed")
        return
    with tempfile.TemporaryDirectory() as tls_dir:
        cert, key = self_signed_cert(Path(tls_dir))
        context = ssl.create_default_context(cafile=str(cert))
        with run_api(["--mock", "h100:8", "--seed", "1", "--tls-cert", str(cert), "--tls-key",
                      str(key)], Path(tls_dir), wait_path=None) as api:
            wait_ready(api.port, context)
            rows = tls_rows(api, context, args.tls_flood)
    print(f"\n{'flood':<8}{'conns':>7}{'open s':>8}{'RSS MiB':>10}{'during':>10}{'after':>10}"
          f"{'vs base':>10}{'scrape ms':>11}{'dropped':>9}")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
