"""`allsmi-mock` (also `allsmi mock`, `python -m mock_server`): a cluster of simulated nodes.

`allsmi-mock history ...` writes their past as OpenMetrics instead (openmetrics_history.py).

Everything is checked before a port is bound, and every port is bound before one is served:
bad input is one line on stderr and exit 2, with nothing left behind.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import sys
import time
from collections.abc import Callable
from typing import NoReturn

from allsmi_py.errors import UsageError
from allsmi_py.settings import NUMBERS as CONFIG_NUMBERS
from allsmi_py.settings import PORT_OR_ANY, NumberSetting, Range
from mock_server.admin import FAULT_SECONDS, AdminApi
from mock_server.cluster import Cluster
from mock_server.limits import raise_open_file_limit
from mock_server.plan import (
    DEFAULT_SPEC,
    FAULTS,
    NodePlan,
    apply_device_count,
    assign_faults,
    build_plan,
    check_spec,
    mix_assignment,
    parse_fault_arg,
    parse_mix,
    parse_port_range,
    platform_spec,
)

PROG = "allsmi-mock"
DEFAULT_START_PORT = 10001
DEFAULT_NODES = 10
_FAULT_HELP = {
    "down": "K nodes refuse connections",
    "timeout": "K nodes accept and never answer",
    "slow": "K:SECONDS nodes answer after SECONDS",
    "500": "K nodes answer HTTP 500",
    "truncated": "K nodes close the connection halfway through the body",
    "garbage": "K nodes answer 200 with bytes that are not Prometheus text",
    "huge": "K nodes answer with a 256 MiB body",
    "flap": "K:PERIOD nodes go down and up every PERIOD seconds",
}
# The range of every numeric flag (issue 14): argparse refuses the rest in one line, exit 2.
NUMBERS = {n.name: n for n in (
    NumberSetting("nodes", int, Range(1, 65535)),
    NumberSetting("start-port", int, PORT_OR_ANY),
    NumberSetting("devices-per-node", int, Range(1, 64)),
    NumberSetting("interval", float, Range(0.05, 86_400.0, unit="seconds")),
    NumberSetting("epoch", float, Range(0, 253_402_300_799.0, unit="seconds")),  # to year 9999
    NumberSetting("start-index", int, Range(0, 999_999)),
    NumberSetting("admin-port", int, PORT_OR_ANY),
)}
NUMBERS["seed"] = CONFIG_NUMBERS["mock.seed"]


def _number(name: str) -> Callable[[str], object]:
    return NUMBERS[name].flag_type()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {PROG} --help)")


def build_parser() -> argparse.ArgumentParser:
    """The command line of allsmi-mock."""
    p = _Parser(
        prog=PROG,
        description="Serve many simulated allsmi-py nodes from one process, "
        "one port each, with the exporter's /metrics, /snapshot and /-/ready.",
    )
    size = p.add_mutually_exclusive_group()
    size.add_argument("--nodes", type=_number("nodes"),
                      help=f"number of nodes (default {DEFAULT_NODES})")
    size.add_argument("--port-range", metavar="A-B", help="one node per port from A to B")
    p.add_argument(
        "--start-port",
        type=_number("start-port"),
        default=DEFAULT_START_PORT,
        help=f"first port with --nodes (default {DEFAULT_START_PORT}; 0: let the OS "
        "choose every port, see --hostfile)",
    )
    p.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    devices = p.add_mutually_exclusive_group()
    devices.add_argument(
        "--mock", metavar="SPEC", help=f"devices of every node (default {DEFAULT_SPEC})"
    )
    devices.add_argument("--platform", help="all-smi platform name: nvidia, apple, jetson, ...")
    devices.add_argument(
        "--mix",
        help="share of nodes per spec, e.g. h100:8=60%%,m3max=10%%,"
        "rngd:4=30%%; '+' puts several profiles in one node",
    )
    p.add_argument(
        "--devices-per-node",
        type=_number("devices-per-node"),
        help="device count for specs that give none",
    )
    p.add_argument(
        "--seed",
        type=_number("seed"),
        help="seed of values, mix and faults (default: random, printed)",
    )
    p.add_argument(
        "--interval",
        type=_number("interval"),
        default=3.0,
        help="seconds between value changes (default 3)",
    )
    p.add_argument(
        "--epoch",
        type=_number("epoch"),
        help="Unix time of step 0 (default now); fix it "
        "together with --seed for byte-identical bodies across runs",
    )
    p.add_argument("--hostfile", metavar="PATH", help="write one host:port per line here")
    p.add_argument(
        "--start-index",
        type=_number("start-index"),
        default=1,
        help="number of the first node name (node-0001)",
    )
    p.add_argument("--processes", action="store_true", help="include per-process metrics")
    p.add_argument(
        "--admin-port",
        type=_number("admin-port"),
        help="serve the /-/mock/ control API here (0: any free port)",
    )
    for kind in FAULTS:
        flag = "--flap" if kind == "flap" else f"--fail-{kind}"
        p.add_argument(
            flag,
            dest=f"fail_{kind}",
            metavar="K:SECONDS" if kind in ("slow", "flap") else "K",
            help=_FAULT_HELP[kind],
        )
    return p


def plan_from_args(args: argparse.Namespace, seed: int) -> list[NodePlan]:
    """The cluster plan the flags ask for; UsageError naming the problem and the fix."""
    # Each number's range was checked by its flag's type (NUMBERS).
    if args.port_range:
        first, last = parse_port_range(args.port_range)
        nodes = last - first + 1
    else:
        nodes = DEFAULT_NODES if args.nodes is None else args.nodes
        first = args.start_port
    if args.mix:
        specs = mix_assignment(parse_mix(args.mix, args.devices_per_node), nodes, seed)
    else:
        base = platform_spec(args.platform) if args.platform else (args.mock or DEFAULT_SPEC)
        flag = "--platform" if args.platform else "--mock"
        spec = check_spec(apply_device_count(base, args.devices_per_node), flag)
        specs = [spec] * nodes
    wanted = {
        kind: _fault_arg(kind, text)
        for kind in FAULTS
        if (text := getattr(args, f"fail_{kind}")) is not None
    }
    return build_plan(specs, first, args.start_index, assign_faults(nodes, wanted, seed))


def _fault_arg(kind: str, text: str) -> tuple[int, float]:
    """parse_fault_arg, with slow and flap seconds held to FAULT_SECONDS as the admin API is."""
    count, seconds = parse_fault_arg(kind, text)
    if kind in ("slow", "flap"):
        try:
            FAULT_SECONDS.check(seconds)
        except ValueError as exc:
            flag = "--flap" if kind == "flap" else f"--fail-{kind}"
            raise UsageError(f"bad {flag} {text[:40]!r}: {exc}") from None
    return count, seconds


def hostfile_host(bind: str) -> str:
    """The host part of hostfile lines: the bind address, or this host's name for a wildcard."""
    import socket

    if bind in ("", "0.0.0.0", "::"):
        return socket.gethostname()
    return f"[{bind}]" if ":" in bind else bind


def write_hostfile(path: str, host: str, ports: list[int]) -> None:
    """One host:port per line, written whole or not at all."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as out:
        out.writelines(f"{host}:{port}\n" for port in ports)
    os.replace(tmp, path)


def summary(cluster: Cluster, seed: int, args: argparse.Namespace) -> str:
    """The one line printed when every node answers."""
    ports = [n.port for n in cluster.nodes]
    span = (
        f"{ports[0]}-{ports[-1]}"
        if ports == list(range(ports[0], ports[0] + len(ports)))
        else "OS-chosen ports"
    )
    faults = sorted({n.fault.describe() for n in cluster.nodes if n.fault})
    parts = [
        f"{PROG}: {len(ports)} nodes ready on {cluster.host} {span}",
        f"seed {seed}",
        f"interval {args.interval:g}s",
    ]
    if faults:
        counts = {
            f: sum(1 for n in cluster.nodes if n.fault and n.fault.describe() == f) for f in faults
        }
        parts.append("faults " + " ".join(f"{f}x{c}" for f, c in counts.items()))
    if cluster.admin_site is not None:
        parts.append(
            f"admin http://{hostfile_host(cluster.host)}:{cluster.admin_port}/-/mock/nodes"
        )
    if args.hostfile:
        parts.append(f"hostfile {args.hostfile}")
    return "; ".join(parts)


async def serve(
    cluster: Cluster, on_ready: Callable[[], None], stop: asyncio.Event | None = None
) -> None:
    """Serve until SIGINT/SIGTERM (or `stop` is set), then close everything."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (ValueError, RuntimeError, NotImplementedError):
            pass  # not the main thread: the caller stops us through `stop`
    admin = AdminApi(cluster).handle
    try:
        await cluster.start(admin)
        on_ready()
        await stop.wait()
    finally:
        await cluster.close()


def main(argv: list[str] | None = None) -> int:
    """Run the mock cluster; 2 on bad input, 0 after a clean stop."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["history"]:
        from mock_server.openmetrics_history import main as history_main

        return history_main(argv[1:])
    try:
        args = build_parser().parse_args(argv)
        seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
        plans = plan_from_args(args, seed)
        raise_open_file_limit(len(plans))
        epoch = float(int(time.time())) if args.epoch is None else args.epoch
        cluster = Cluster(
            plans,
            seed=seed,
            interval_s=args.interval,
            epoch_s=epoch,
            bind=args.bind,
            include_processes=args.processes,
        )
        cluster.bind_all(args.admin_port)
        if args.hostfile:
            try:
                write_hostfile(
                    args.hostfile, hostfile_host(args.bind), [n.port for n in cluster.nodes]
                )
            except OSError as exc:
                cluster.close_sockets()
                raise UsageError(
                    f"cannot write --hostfile {args.hostfile}: {exc.strerror}"
                ) from None
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2

    def ready() -> None:
        print(summary(cluster, seed, args), flush=True)

    try:
        asyncio.run(serve(cluster, ready))
    except KeyboardInterrupt:
        pass
    return 0
