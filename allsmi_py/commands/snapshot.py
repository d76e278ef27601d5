"""`allsmi snapshot`: one reading of this node, printed as JSON, CSV or Prometheus text."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import gc
import io
import sys
from typing import Any

from allsmi_py.commands.sources import add_source_arguments, build_collector
from allsmi_py.commands.tls import add_tls_arguments, tls_context
from allsmi_py.config import Config
from allsmi_py.model import NodeSnapshot
from allsmi_py.serialize import dumps_json
from allsmi_py.settings import NumberSetting, Range, flag_type

FORMATS = ("json", "csv", "prometheus")
# The margin lets nodes queued behind stalled ones (concurrency) still be read after the
# stalled ones spend their per-node timeout (issue 15 item 1).
DEADLINE_MARGIN_S = 1.0
DEADLINE = NumberSetting("--deadline", float, Range(0, 3600.0, min_exclusive=True,
                                                     unit="seconds"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `allsmi snapshot`."""
    parser.add_argument("--format", choices=FORMATS, default="json", help="output format")
    parser.add_argument("--processes", action="store_true",
                        help="include per-process metrics in Prometheus output")
    parser.add_argument("--compact", action="store_true", help="JSON on one line")
    add_source_arguments(parser)
    cluster = parser.add_argument_group("cluster (read remote nodes instead of this one)")
    cluster.add_argument("--hosts", action="extend", nargs="+", metavar="HOST",
                         help="nodes: host, host:port, [v6]:port or URL; space- or"
                              " comma-separated, repeatable")
    cluster.add_argument("--hostfile", metavar="FILE", help="file with one node per line")
    cluster.add_argument("--prometheus", metavar="URL",
                         help="read the cluster from this Prometheus server's query API")
    cluster.add_argument("--timeout", type=flag_type("view.timeout_s"), default=None, metavar="S",
                         help="per-node timeout in seconds (default: config view.timeout_s)")
    cluster.add_argument("--deadline", type=DEADLINE.flag_type(), default=None, metavar="S",
                         help="seconds for the whole round; nodes not answered by then are"
                              f" reported timeout (default: the timeout + {DEADLINE_MARGIN_S:g})")
    add_tls_arguments(cluster)


def run(args: argparse.Namespace, config: Config) -> int:
    """Read this node (or, with --hosts/--hostfile/--prometheus, a cluster) once and print it."""
    if args.prometheus:
        return _run_prometheus(args, config)
    if args.hosts or args.hostfile:
        return _run_cluster(args, config)
    seed = config.value("mock", "seed", args.seed)
    collector = build_collector(args, interval_s=1.0, seed=seed)
    try:
        snapshot = collector.tick()
    finally:
        collector.close()
    sys.stdout.write(format_snapshot(snapshot, args.format, compact=args.compact,
                                     include_processes=args.processes))
    return 0


def format_snapshot(snapshot: NodeSnapshot, fmt: str, compact: bool = False,
                    include_processes: bool = False) -> str:
    """The snapshot as text in one of FORMATS."""
    if fmt == "json":
        return dumps_json(snapshot.to_dict(), pretty=not compact).decode() + "\n"
    if fmt == "csv":
        return snapshot_csv(snapshot)
    from allsmi_py.exporter.render import render_prometheus
    return render_prometheus(snapshot, include_processes=include_processes)


def _scalar_fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)
            if f.name not in ("details", "processes", "problems", "mig_instances",
                              "per_core_utilization_pct", "disks", "cpu", "memory")]


def snapshot_csv(snapshot: NodeSnapshot) -> str:
    """One table: a row per device, one for the host, one per backend status (column `section`)."""
    from allsmi_py.model import BackendStatus, CpuReading, DeviceReading, MemoryReading
    device_cols = _scalar_fields(DeviceReading)
    cpu_cols = [f"cpu_{c}" for c in _scalar_fields(CpuReading)]
    mem_cols = [f"memory_{c}" for c in _scalar_fields(MemoryReading)]
    status_cols = ["status_state", "status_message", "read_duration_s", "device_count"]
    header = ["section", "hostname", "taken_at_s", *device_cols, *cpu_cols, *mem_cols,
              *status_cols, "details", "problems"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    base = {"hostname": snapshot.hostname, "taken_at_s": f"{snapshot.taken_at_s:.3f}"}
    for device in snapshot.devices:
        row: dict[str, Any] = {"section": "device", **base}
        for col in device_cols:
            row[col] = _cell(getattr(device, col))
        row["details"] = ";".join(f"{k}={v}" for k, v in device.details.items())
        row["problems"] = ";".join(device.problems)
        writer.writerow(row)
    if snapshot.host is not None:
        row = {"section": "host", **base}
        for col in cpu_cols:
            row[col] = _cell(getattr(snapshot.host.cpu, col.removeprefix("cpu_")))
        for col in mem_cols:
            row[col] = _cell(getattr(snapshot.host.memory, col.removeprefix("memory_")))
        writer.writerow(row)
    for status in snapshot.backends:
        assert isinstance(status, BackendStatus)
        writer.writerow({"section": "backend", **base, "backend": status.name,
                         "status_state": status.state, "status_message": status.message,
                         "read_duration_s": _cell(status.read_duration_s),
                         "device_count": status.device_count})
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _run_cluster(args: argparse.Namespace, config: Config) -> int:
    """One round over the cluster; exit 0 even when nodes are down (their status says so)."""
    from allsmi_py.errors import UsageError
    from allsmi_py.remote.dump import format_cluster, run_once

    if args.format == "prometheus":
        raise UsageError("--format prometheus is for this node only; use json or csv with --hosts")
    if args.mock or args.backend:
        raise UsageError("--mock/--backend read this node; they cannot be combined with --hosts")
    # One round decodes ~10 objects per device; with the start-up heap frozen the collector
    # stops re-walking the imported modules while they pile up (see gc_tuning).
    context = tls_context(args, config)
    gc.freeze()
    timeout_s = config.value("view", "timeout_s", args.timeout)
    deadline_s = timeout_s + DEADLINE_MARGIN_S if args.deadline is None else args.deadline
    cluster = run_once(args.hosts or (), args.hostfile,
                       timeout_s=timeout_s, round_deadline_s=deadline_s,
                       concurrency=config.get("view", "concurrency"),
                       max_body_bytes=config.get("view", "max_body_bytes"),
                       auth_token=config.get("view", "auth_token") or None,
                       ssl_context=context)
    sys.stdout.write(format_cluster(cluster, args.format, compact=args.compact))
    return 0


def _run_prometheus(args: argparse.Namespace, config: Config) -> int:
    """One round from Prometheus; exit 1 when Prometheus itself does not answer."""

    from allsmi_py.errors import UsageError
    from allsmi_py.remote.dump import format_cluster, poll_prometheus, run_sync

    if args.hosts or args.hostfile or args.mock or args.backend:
        raise UsageError("--prometheus reads the cluster from Prometheus; "
                         "it cannot be combined with --hosts, --hostfile, --mock or --backend")
    if args.format == "prometheus":
        raise UsageError("--format prometheus is for this node only; use json or csv "
                         "with --prometheus")
    context = tls_context(args, config)
    cluster, failure = run_sync(poll_prometheus(
        args.prometheus, timeout_s=config.value("view", "timeout_s", args.timeout),
        ssl_context=context))
    if failure is not None:
        print(f"allsmi: error: {failure}", file=sys.stderr)
        return 1
    sys.stdout.write(format_cluster(cluster, args.format, compact=args.compact))
    return 0
