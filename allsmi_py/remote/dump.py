"""A cluster printed for scripts (`allsmi snapshot --hosts/--hostfile/--prometheus`)."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import ssl
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from allsmi_py.errors import UsageError
from allsmi_py.model import ClusterSnapshot, DeviceReading, WorkloadReading
from allsmi_py.remote.aggregate import summarize
from allsmi_py.remote.prometheus_source import PrometheusSource
from allsmi_py.serialize import dumps_json

CLUSTER_FORMATS = ("json", "csv")
CLUSTER_FORMAT_MARKER = "allsmi-py/cluster/1"
_STATUS_COLUMNS = ("address", "state", "error", "http_status", "latency_s", "last_ok_at_s",
                   "source")
_DEVICE_COLUMNS = tuple(
    f.name for f in dataclasses.fields(DeviceReading)
    if f.name not in ("details", "processes", "problems", "mig_instances"))

T = TypeVar("T")


async def poll_prometheus(url: str, *, timeout_s: float, ssl_context: ssl.SSLContext | None = None,
                          at_s: float | None = None, max_response_bytes: int | None = None
                          ) -> tuple[ClusterSnapshot, str | None]:
    """One round from a Prometheus server (every series, at `at_s` or now): the cluster, and
    why Prometheus did not answer."""
    async with PrometheusSource(url, timeout_s=timeout_s, ssl_context=ssl_context, at_s=at_s,
                                max_response_bytes=max_response_bytes) as source:
        cluster = await source.poll_once()
        if source.failure is None:
            for problem in source.problems:
                print(f"allsmi: warning: {problem}", file=sys.stderr)
        return cluster, source.failure


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run for a coroutine whose result is large (a whole cluster)."""
    result: list[T] = []

    async def main() -> None:
        result.append(await coroutine)

    # The main task returns None on purpose: on Python 3.11 asyncio.run ends by restoring the
    # SIGINT handler, and signal's enum lookup formats the old handler, whose repr includes
    # the main task and so its result: ~0.5 s to repr a 1024-node cluster.
    asyncio.run(main())
    return result[0]


def format_cluster(cluster: ClusterSnapshot, fmt: str, compact: bool = False) -> str:
    """The cluster as JSON (status, latency and snapshot per node, plus totals) or CSV."""
    if fmt == "json":
        return dumps_json(cluster_dict(cluster), pretty=not compact).decode() + "\n"
    if fmt == "csv":
        return cluster_csv(cluster)
    raise UsageError(f"--format {fmt} is not available for a cluster; use json or csv")


def cluster_dict(cluster: ClusterSnapshot) -> dict[str, Any]:
    """JSON-ready cluster document."""
    nodes = []
    for node in cluster.nodes:
        entry: dict[str, Any] = {k: v for k, v in dataclasses.asdict(node.status).items()
                                 if v is not None}
        entry["stale_age_s"] = node.stale_age_s(cluster.taken_at_s)
        entry["snapshot"] = node.snapshot.to_dict() if node.snapshot is not None else None
        nodes.append(entry)
    return {"format": CLUSTER_FORMAT_MARKER, "taken_at_s": cluster.taken_at_s,
            "summary": dataclasses.asdict(summarize(cluster)), "nodes": nodes}


def cluster_csv(cluster: ClusterSnapshot) -> str:
    """One row per device (with its node's status); a node without devices gets one row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("hostname", *(f"node_{c}" for c in _STATUS_COLUMNS), "node_stale",
                     *_DEVICE_COLUMNS))
    for node in cluster.nodes:
        status = [_cell(getattr(node.status, c)) for c in _STATUS_COLUMNS]
        hostname = node.snapshot.hostname if node.snapshot is not None else ""
        stale = "" if node.is_live else ("true" if node.snapshot is not None else "")
        devices = node.snapshot.devices if node.snapshot is not None else ()
        if not devices:
            writer.writerow((hostname, *status, stale, *([""] * len(_DEVICE_COLUMNS))))
        for device in devices:
            writer.writerow((hostname, *status, stale,
                             *(_cell(getattr(device, c)) for c in _DEVICE_COLUMNS)))
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        # a device's pod containers as the node table writes them (snapshot_csv.workloads_cell)
        return ";".join((v.label or "") if isinstance(v, WorkloadReading) else str(v)
                        for v in value)
    return str(value)
