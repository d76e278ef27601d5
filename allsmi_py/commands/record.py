"""`allsmi record -o FILE`: this node, or a cluster, into a recording for `allsmi replay`.

One frame per interval (a keyframe every --keyframe-every, deltas between), each written
and flushed whole, until --duration or --until, or
until Ctrl-C (a normal way to stop: exit 0). The file is never overwritten.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from allsmi_py import __version__
from allsmi_py.collector import Collector
from allsmi_py.commands.sources import (
    add_cluster_arguments,
    add_source_arguments,
    build_collector,
)
from allsmi_py.commands.tls import add_tls_arguments, tls_context
from allsmi_py.config import Config
from allsmi_py.errors import UsageError
from allsmi_py.recording.format import RecordingHeader
from allsmi_py.recording.timespec import format_time, parse_duration, parse_time
from allsmi_py.recording.writer import DEFAULT_KEYFRAME_EVERY, DEFAULT_LEVEL, RecordingWriter
from allsmi_py.settings import INTERVAL_S, NumberSetting, Range, flag_type

if TYPE_CHECKING:
    from allsmi_py.tui.poll_thread import ClusterSource

DEFAULT_INTERVAL_S = 10.0
INTERVAL = NumberSetting("--interval", float, INTERVAL_S)
LEVEL = NumberSetting("--level", int, Range(1, 19))
KEYFRAME_EVERY = NumberSetting("--keyframe-every", int, Range(1, 1000))
DEADLINE_MARGIN_S = 1.0  # as `allsmi snapshot --hosts`: a round ends at the timeout + this


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `allsmi record`."""
    parser.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="the recording to create (never overwritten)")
    parser.add_argument("--interval", type=INTERVAL.flag_type(), default=DEFAULT_INTERVAL_S,
                        metavar="S",
                        help=f"seconds between frames (default {DEFAULT_INTERVAL_S:g})")
    end = parser.add_mutually_exclusive_group()
    end.add_argument("--duration", metavar="S", help="stop after this long: 90, 15m, 1h30m, 2d")
    end.add_argument("--until", metavar="TIME",
                     help="stop at this time: 05:00, 2026-12-04T05:00, +30m or a Unix time")
    parser.add_argument("--level", type=LEVEL.flag_type(), default=None, metavar="N",
                        help="zstd level, 1 (fastest) to 19 (smallest); default 9")
    parser.add_argument("--keyframe-every", type=KEYFRAME_EVERY.flag_type(),
                        default=DEFAULT_KEYFRAME_EVERY, metavar="N",
                        help="a self-contained frame every N frames, deltas between (default "
                             f"{DEFAULT_KEYFRAME_EVERY}); damage or a seek costs at most N frames")
    add_source_arguments(parser)
    cluster = add_cluster_arguments(parser, "record")
    cluster.add_argument("--concurrency", type=flag_type("view.concurrency"), default=None,
                         metavar="N", help="requests in flight (default: config view.concurrency)")
    add_tls_arguments(cluster)


def end_time(args: argparse.Namespace, now_s: float) -> float:
    """Unix time to stop at (infinity: until interrupted); UsageError for a bad or past one."""
    try:
        if args.duration is not None:
            return now_s + parse_duration(args.duration)
        if args.until is None:
            return float("inf")
        until_s = parse_time(args.until, now_s)
    except ValueError as exc:
        flag = "--duration" if args.duration is not None else "--until"
        raise UsageError(f"{flag}: {exc}") from None
    if until_s <= now_s:
        raise UsageError(f"--until {args.until} is in the past ({format_time(until_s)}); "
                         "give a later time")
    return until_s


def run(args: argparse.Namespace, config: Config) -> int:
    """Record until the end time or Ctrl-C; usage errors before the file is created."""
    cluster = bool(args.hosts or args.hostfile or args.prometheus)
    if cluster and (args.mock or args.backend):
        raise UsageError("--mock/--backend record this node; they cannot be combined with "
                         "--hosts, --hostfile or --prometheus")
    if args.prometheus and (args.hosts or args.hostfile):
        raise UsageError("--prometheus reads every node from Prometheus: "
                         "give it without --hosts/--hostfile")
    started_s = time.time()
    until_s = end_time(args, started_s)
    with _stop_on_sigterm():
        writer = _record(args, config, cluster, started_s, until_s)
    print(f"allsmi: recorded {writer.frames} frame(s), {writer.bytes_written} bytes, "
          f"to {args.output}", file=sys.stderr)
    return 0


def _record(args: argparse.Namespace, config: Config, cluster: bool, started_s: float,
            until_s: float) -> RecordingWriter:
    """Record until the end time, Ctrl-C or SIGTERM; the closed writer."""
    if cluster:
        source, label = _cluster_source(args, config)
        header = RecordingHeader("cluster", args.interval, started_s, label,
                                 allsmi_version=__version__)
        try:
            writer = _open_writer(args, header)
        except UsageError:
            asyncio.run(source.close())
            raise
        try:
            asyncio.run(_record_cluster(source, writer, args.interval, until_s))
        except KeyboardInterrupt:
            pass
        finally:
            writer.close()
    else:
        collector = build_collector(args, interval_s=args.interval,
                                    seed=config.value("mock", "seed", args.seed), config=config)
        label = f"mock {args.mock}" if args.mock else "this node"
        header = RecordingHeader("local", args.interval, started_s, label,
                                 allsmi_version=__version__)
        try:
            writer = _open_writer(args, header)
            try:
                _record_local(collector, writer, args.interval, until_s)
            except KeyboardInterrupt:
                pass
            finally:
                writer.close()
        finally:
            collector.close()
    return writer


@contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """SIGTERM (systemd stop, kill) ends the recording as Ctrl-C does: summary, exit 0."""
    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _open_writer(args: argparse.Namespace, header: RecordingHeader) -> RecordingWriter:
    try:
        return RecordingWriter(args.output, header,
                               level=DEFAULT_LEVEL if args.level is None else args.level,
                               keyframe_every=args.keyframe_every)
    except FileExistsError:
        raise UsageError(f"{args.output} exists: record into a new file") from None
    except OSError as exc:
        raise UsageError(f"cannot create {args.output}: {exc.strerror or exc}") from None


def _record_local(collector: Collector, writer: RecordingWriter, interval_s: float,
                  until_s: float) -> None:
    next_at = time.monotonic()
    while True:
        writer.append(collector.tick())
        now = time.monotonic()  # read once: a second reading could pass next_at (sleep < 0)
        next_at = max(next_at + interval_s, now)
        wait_s = next_at - now
        if time.time() + wait_s >= until_s:
            return
        time.sleep(wait_s)


async def _record_cluster(source: ClusterSource, writer: RecordingWriter, interval_s: float,
                          until_s: float) -> None:
    loop = asyncio.get_running_loop()
    try:
        for problem in source.problems:
            print(f"allsmi: warning: {problem} (skipped)", file=sys.stderr)
        next_at = loop.time()
        while True:
            writer.append(await source.poll_once())
            now = loop.time()
            next_at = max(next_at + interval_s, now)
            wait_s = next_at - now
            if time.time() + wait_s >= until_s:
                return
            await asyncio.sleep(wait_s)
    finally:
        await source.close()


def _cluster_source(args: argparse.Namespace, config: Config) -> tuple[ClusterSource, str]:
    """The poller (or Prometheus source) to record, and its label; UsageError for bad hosts."""
    context = tls_context(args, config)
    timeout_s = float(config.value("view", "timeout_s", args.timeout))
    token = str(config.get("view", "auth_token") or "") or None
    if args.prometheus:
        from allsmi_py.remote.hosts import redact_credentials
        from allsmi_py.remote.prometheus_source import PrometheusSource

        if not args.prometheus.startswith(("http://", "https://")):
            raise UsageError("--prometheus needs an http:// or https:// URL, "
                             f"not {redact_credentials(args.prometheus)!r}")
        source = PrometheusSource(args.prometheus, timeout_s=timeout_s, auth_token=token,
                                  ssl_context=context)
        return source, f"prometheus {source.shown_url}"
    from allsmi_py.remote.poller import ClusterPoller

    poller = ClusterPoller(args.hosts or (), args.hostfile, timeout_s=timeout_s,
                           concurrency=int(config.value("view", "concurrency", args.concurrency)),
                           max_body_bytes=int(config.get("view", "max_body_bytes")),
                           auth_token=token, round_deadline_s=timeout_s + DEADLINE_MARGIN_S,
                           ssl_context=context)
    label = f"hostfile {args.hostfile}" if args.hostfile else f"{len(args.hosts)} host args"
    return poller, label
