"""Builds this node's collector from the command line: which backends, which mock devices."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from allsmi_py.backend import Backend
from allsmi_py.collector import Collector
from allsmi_py.config import Config
from allsmi_py.errors import UsageError
from allsmi_py.host import HostReader
from allsmi_py.model import BackendStatus
from allsmi_py.plugins import backend_names, check_availability, load_backend_class
from allsmi_py.recording.timespec import parse_duration, parse_time
from allsmi_py.settings import flag_type
from allsmi_py.workloads.attach import WorkloadAttacher
from allsmi_py.workloads.pod_resources_watch import PodResourcesWatcher, watcher_if_present


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags that choose what a local collector reads: --mock, --backend, --seed."""
    parser.add_argument("--mock", metavar="SPEC",
                        help="simulated devices, e.g. h100:8 or h100:4,rngd:2 (see --list-mock)")
    parser.add_argument("--backend", metavar="NAME", action="append",
                        help="read only this backend (repeat or comma-separate for several)")
    parser.add_argument("--seed", type=flag_type("mock.seed"), default=None,
                        help="seed of simulated devices (default: config mock.seed, else random)")


def add_cluster_arguments(parser: argparse.ArgumentParser, verb: str) -> argparse._ArgumentGroup:
    """The flags that read a cluster instead of this node (`verb`: read, record), in a group
    the command adds its own cluster flags to."""
    cluster = parser.add_argument_group(f"cluster ({verb} remote nodes instead of this one)")
    cluster.add_argument("--hosts", action="extend", nargs="+", metavar="HOST",
                         help="nodes: host, host:port, [v6]:port or URL; space- or"
                              " comma-separated, repeatable")
    cluster.add_argument("--hostfile", metavar="FILE", help="file with one node per line")
    cluster.add_argument("--prometheus", metavar="URL",
                         help="read the cluster from this Prometheus server's query API")
    cluster.add_argument("--timeout", type=flag_type("view.timeout_s"), default=None, metavar="S",
                         help="per-node timeout in seconds (default: config view.timeout_s)")
    return cluster


def add_at_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """--at TIME: evaluate every Prometheus query at a fixed time instead of now."""
    parser.add_argument("--at", metavar="TIME", default=None,
                        help="with --prometheus: evaluate at this time: Unix seconds, "
                             "2026-12-04T05:00:00Z (RFC 3339), or --at=-10m (ago)")


def at_time(text: str | None, now_s: float) -> float | None:
    """The Unix time --at names (None: not given); UsageError in one line when unreadable."""
    if text is None:
        return None
    try:
        if text.strip().startswith("-"):
            return now_s - parse_duration(text.strip()[1:])
        return parse_time(text, now_s)
    except ValueError as exc:
        raise UsageError(f"--at: {exc}") from None


def requested_backends(values: Sequence[str] | None) -> list[str]:
    """Flatten repeated and comma-separated --backend values."""
    names: list[str] = []
    for value in values or []:
        names.extend(part.strip() for part in value.split(",") if part.strip())
    return names


def make_mock_backend(spec: str, seed: int | None) -> Backend:
    """The mock backend for SPEC; UsageError naming the valid profiles when SPEC is wrong."""
    loaded = load_backend_class("mock")
    if loaded.backend_class is None:
        reason = loaded.status.message if loaded.status else "unknown reason"
        raise UsageError(f"mock backend unavailable: {reason}")
    try:
        return loaded.backend_class(spec=spec, seed=seed)  # type: ignore[call-arg]
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def open_backends(mock_spec: str | None, names: Sequence[str],
                  seed: int | None) -> tuple[list[Backend], list[BackendStatus]]:
    """Backends to read, and the statuses of those that cannot run here."""
    backends: list[Backend] = []
    unavailable: list[BackendStatus] = []
    if mock_spec:
        backends.append(make_mock_backend(mock_spec, seed))
    chosen = list(names) if names else ([] if mock_spec else backend_names())
    for name in chosen:
        if name == "mock":
            if not mock_spec:
                raise UsageError(
                    "the mock backend needs devices: use --mock SPEC (see --list-mock)")
            continue
        loaded = load_backend_class(name)
        if loaded.backend_class is None:
            assert loaded.status is not None
            unavailable.append(loaded.status)
            continue
        availability = check_availability(loaded.backend_class)
        if not availability:
            unavailable.append(BackendStatus(name, "unavailable", availability.reason))
            continue
        try:
            backends.append(loaded.backend_class())
        except Exception as exc:  # noqa: BLE001 - a plugin's constructor must not crash us
            unavailable.append(BackendStatus(name, "unavailable",
                                             f"cannot start: {type(exc).__name__}: {exc}"))
    return backends, unavailable


def build_collector(args: argparse.Namespace, interval_s: float, seed: int | None,
                    include_disks: bool = True, *, config: Config,
                    wait_for_pods_s: float = 0.0) -> Collector:
    """A collector over the backends that `args` (from add_source_arguments) asks for, with
    containers and pods (the [kubernetes] settings) unless every backend simulates them.

    `wait_for_pods_s`: how long a one-shot reader waits for the pod-resources map's first read.
    """
    # Made first: its CPU sample window then overlaps the backends' imports.
    host_reader = HostReader(include_disks=include_disks)
    backends, unavailable = open_backends(args.mock, requested_backends(args.backend), seed)
    workloads, pod_devices = host_workloads(
        backends, config.get("kubernetes", "pod_resources_socket"),
        float(config.get("kubernetes", "pod_resources_interval_s")), wait_for_pods_s)
    return Collector(backends, unavailable, host_reader=host_reader, interval_s=interval_s,
                     workloads=workloads, pod_devices=pod_devices)


def host_workloads(backends: Sequence[Backend], pod_resources_socket: str,
                   pod_resources_interval_s: float, wait_s: float = 0.0,
                   ) -> tuple[WorkloadAttacher | None, PodResourcesWatcher | None]:
    """What puts this host's containers and pods on readings of real devices; (None, None)
    when every backend simulates its processes and their workloads (the mock)."""
    if all(backend.simulates_processes for backend in backends):
        return None, None
    watcher = watcher_if_present(pod_resources_socket, pod_resources_interval_s, wait_s)
    return WorkloadAttacher.on_host(), watcher
