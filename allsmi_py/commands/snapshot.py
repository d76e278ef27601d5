"""`allsmi snapshot`: readings of this node or a cluster, printed as JSON, CSV or Prometheus text.

Options (issue 21 item 5): `--include` keeps some parts of a reading (snapshot_parts.py),
`--query` picks CSV columns by model path (snapshot_query.py), `--samples N --interval S`
takes several readings (snapshot_samples.py, formatted by snapshot_output.py), `-o FILE`
writes them atomically (output_file.py).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time

from allsmi_py.commands.output_file import check_writable, write_atomic
from allsmi_py.commands.snapshot_output import Output
from allsmi_py.commands.snapshot_parts import PARTS, parse_include
from allsmi_py.commands.snapshot_query import parse_query
from allsmi_py.commands.snapshot_samples import (
    DEFAULT_INTERVAL_S,
    SAMPLE_INTERVAL,
    SAMPLES,
    ClusterRounds,
    Samples,
    take_cluster_samples,
    take_samples,
)
from allsmi_py.commands.sources import (
    add_at_argument,
    add_cluster_arguments,
    add_source_arguments,
    at_time,
    build_collector,
)
from allsmi_py.commands.ssh_flags import (
    add_ssh_arguments,
    refuse_other_sources,
    ssh_source,
    take_ssh_samples,
    wants_ssh,
)
from allsmi_py.commands.tls import add_tls_arguments, tls_context
from allsmi_py.config import Config
from allsmi_py.errors import UsageError
from allsmi_py.model import NodeSnapshot
from allsmi_py.settings import NumberSetting, Range

FORMATS = ("json", "csv", "prometheus")
EXIT_INTERRUPTED = 130
# One read of the node: the kubelet usually answers within milliseconds; past this, no pods.
POD_RESOURCES_WAIT_S = 1.0
# The margin lets nodes queued behind stalled ones (concurrency) still be read after the
# stalled ones spend their per-node timeout (issue 15 item 1).
DEADLINE_MARGIN_S = 1.0
DEADLINE = NumberSetting("--deadline", float, Range(0, 3600.0, min_exclusive=True,
                                                     unit="seconds"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `allsmi snapshot`."""
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="output format (default json; csv with --query)")
    parser.add_argument("--processes", action="store_true",
                        help="include per-process metrics in Prometheus output")
    parser.add_argument("--compact", action="store_true", help="JSON on one line")
    parser.add_argument("--include", metavar="PARTS", action="append",
                        help=f"keep only these parts: {','.join(PARTS)} (default: all)")
    parser.add_argument("--query", metavar="PATHS", action="append",
                        help="CSV columns by model path, e.g. hostname,devices.power_w"
                             " (node.state ... with --hosts)")
    parser.add_argument("--samples", type=SAMPLES.flag_type(), default=None, metavar="N",
                        help="take N readings: a JSON array, or CSV with a timestamp column")
    parser.add_argument("--interval", type=SAMPLE_INTERVAL.flag_type(), default=None,
                        metavar="S", help="seconds between --samples readings"
                                          f" (default {DEFAULT_INTERVAL_S:g})")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write to FILE (atomically: the old FILE stays if writing fails)")
    add_source_arguments(parser)
    cluster = add_cluster_arguments(parser, "read")
    add_at_argument(cluster)
    cluster.add_argument("--deadline", type=DEADLINE.flag_type(), default=None, metavar="S",
                         help="seconds for the whole round; nodes not answered by then are"
                              f" reported timeout (default: the timeout + {DEADLINE_MARGIN_S:g})")
    add_tls_arguments(cluster)
    add_ssh_arguments(parser.add_argument_group("ssh (read hosts over SSH, no agent on them)"))


def run(args: argparse.Namespace, config: Config) -> int:
    """Read this node (or, with --hosts/--hostfile/--prometheus, a cluster) and print it."""
    if wants_ssh(args):
        return _run_ssh(args, config)
    if args.at is not None and not args.prometheus:
        raise UsageError("--at evaluates Prometheus queries at a time: it needs --prometheus")
    if args.prometheus:
        return _run_prometheus(args, config)
    if args.hosts or args.hostfile:
        return _run_cluster(args, config)
    output = _output(args, cluster=False)
    seed = config.value("mock", "seed", args.seed)
    collector = build_collector(args, interval_s=1.0, seed=seed,
                                include_disks=output.parts is None or "storage" in output.parts,
                                config=config, wait_for_pods_s=POD_RESOURCES_WAIT_S)
    try:
        samples = take_samples(lambda: output.node(collector.tick()), *_schedule(args))
    finally:
        collector.close()
    return _emit(output.document(samples.pieces, cluster=False), args, samples)


def _output(args: argparse.Namespace, cluster: bool) -> Output:
    """The Output the flags ask for; UsageError for a combination that cannot be."""
    fmt = args.format or ("csv" if args.query else "json")
    if args.query and fmt != "csv":
        raise UsageError(f"--query picks CSV columns; it cannot be used with --format {fmt}")
    if args.interval is not None and args.samples is None:
        raise UsageError("--interval is the time between --samples readings; add --samples N")
    if args.samples is not None and fmt == "prometheus":
        raise UsageError("--samples needs --format json or csv (Prometheus text holds one "
                         "reading)")
    if args.output:
        check_writable(args.output)  # before --samples spends minutes reading
    return Output(fmt=fmt, compact=args.compact,
                  parts=parse_include(args.include) if args.include else None,
                  query=parse_query(args.query, cluster) if args.query else None,
                  samples=args.samples is not None, include_processes=args.processes)


def _schedule(args: argparse.Namespace) -> tuple[int, float]:
    interval = DEFAULT_INTERVAL_S if args.interval is None else args.interval
    return (1 if args.samples is None else args.samples), interval


def _emit(text: str, args: argparse.Namespace, samples: Samples) -> int:
    """Print or write the output; 130 after Ctrl-C (what was taken is still written)."""
    if args.output:
        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if samples.interrupted:
        wanted = 1 if args.samples is None else args.samples
        print(f"allsmi: interrupted after {len(samples.pieces)} of {wanted} readings",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def format_snapshot(snapshot: NodeSnapshot, fmt: str, compact: bool = False,
                    include_processes: bool = False) -> str:
    """One snapshot as text in one of FORMATS, as `allsmi snapshot` prints it."""
    output = Output(fmt=fmt, compact=compact, include_processes=include_processes)
    return output.document([output.node(snapshot)], cluster=False)


def _run_cluster(args: argparse.Namespace, config: Config) -> int:
    """Rounds over the cluster; exit 0 even when nodes are down (their status says so)."""
    if args.format == "prometheus":
        raise UsageError("--format prometheus is for this node only; use json or csv with --hosts")
    if args.mock or args.backend:
        raise UsageError("--mock/--backend read this node; they cannot be combined with --hosts")
    output = _output(args, cluster=True)
    # One round decodes ~10 objects per device; with the start-up heap frozen the collector
    # stops re-walking the imported modules while they pile up (see gc_tuning).
    context = tls_context(args, config)
    gc.freeze()
    timeout_s = config.value("view", "timeout_s", args.timeout)
    deadline_s = timeout_s + DEADLINE_MARGIN_S if args.deadline is None else args.deadline
    spec = ClusterRounds(hosts=args.hosts or (), hostfile=args.hostfile, timeout_s=timeout_s,
                         round_deadline_s=deadline_s,
                         concurrency=config.get("view", "concurrency"),
                         max_body_bytes=config.get("view", "max_body_bytes"),
                         auth_token=config.get("view", "auth_token") or None,
                         ssl_context=context)
    samples = take_cluster_samples(spec, output.cluster, *_schedule(args))
    return _emit(output.document(samples.pieces, cluster=True), args, samples)


def _run_ssh(args: argparse.Namespace, config: Config) -> int:
    """Rounds over SSH hosts; exit 0 even when hosts are down (their status says so)."""
    refuse_other_sources(args, "hosts", "hostfile", "prometheus", "mock", "backend")
    if args.format == "prometheus":
        raise UsageError("--format prometheus is for this node only; use json or csv with --ssh")
    if args.deadline is not None:
        raise UsageError("--deadline bounds --hosts rounds; with --ssh each host is bounded by "
                         "--ssh-connect-timeout and --timeout")
    output = _output(args, cluster=True)
    source = ssh_source(args, config, float(config.value("view", "timeout_s", args.timeout)))
    samples = take_ssh_samples(source, output.cluster, *_schedule(args))
    return _emit(output.document(samples.pieces, cluster=True), args, samples)


def _run_prometheus(args: argparse.Namespace, config: Config) -> int:
    """One round from Prometheus; exit 1 when Prometheus itself does not answer."""
    from allsmi_py.remote.dump import poll_prometheus, run_sync

    if args.hosts or args.hostfile or args.mock or args.backend:
        raise UsageError("--prometheus reads the cluster from Prometheus; "
                         "it cannot be combined with --hosts, --hostfile, --mock or --backend")
    if args.format == "prometheus":
        raise UsageError("--format prometheus is for this node only; use json or csv "
                         "with --prometheus")
    if args.samples is not None:
        raise UsageError("--samples reads this node or --hosts/--hostfile, not --prometheus")
    output = _output(args, cluster=True)
    context = tls_context(args, config)
    cluster, failure = run_sync(poll_prometheus(
        args.prometheus, timeout_s=config.value("view", "timeout_s", args.timeout),
        ssl_context=context, at_s=at_time(args.at, time.time()),
        max_response_bytes=int(config.get("prometheus", "max_response_bytes"))))
    if failure is not None:
        print(f"allsmi: error: {failure}", file=sys.stderr)
        return 1
    return _emit(output.document([output.cluster(cluster)], cluster=True), args, Samples())
