"""`allsmi service install|uninstall|status`: run `allsmi api` under systemd or launchd."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from allsmi_py.commands.api import auth_from
from allsmi_py.config import Config
from allsmi_py.errors import UsageError
from allsmi_py.service.manage import Host, install, render, status, this_host, uninstall
from allsmi_py.service.spec import ApiOptions, current_executable
from allsmi_py.settings import flag_type


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Subcommands install, uninstall and status, each with --user and --manager."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    setup = actions.add_parser("install", help="write the unit (or plist), enable and start it")
    removal = actions.add_parser("uninstall", help="stop and disable the service, remove it")
    report = actions.add_parser("status", help="installed? active? does /healthz answer?")
    for sub in (setup, removal, report):
        sub.add_argument("--user", action="store_true",
                         help="your own service (systemctl --user, a LaunchAgent), not root's")
        sub.add_argument("--manager", choices=("systemd", "launchd"), default=None,
                         help="service manager (default: launchd on macOS, else systemd)")
    _add_api_arguments(setup)
    setup.add_argument("--dry-run", action="store_true",
                       help="print the unit (or plist) and change nothing")
    setup.add_argument("--no-start", action="store_true",
                       help="write the files but run no systemctl/launchctl")
    report.add_argument("-p", "--port", type=flag_type("api.port"), default=None,
                        help="port the service listens on (default: config api.port)")
    report.add_argument("--host", default="127.0.0.1", help="address to ask (default 127.0.0.1)")


def _add_api_arguments(parser: argparse.ArgumentParser) -> None:
    """The `allsmi api` flags the service passes on; left out, its config file decides."""
    from allsmi_py.commands.sources import add_source_arguments

    parser.add_argument("-p", "--port", type=flag_type("api.port"), default=None,
                        help="TCP port (below 1024: the unit grants CAP_NET_BIND_SERVICE)")
    parser.add_argument("--bind", metavar="ADDR", default=None, help="address to listen on")
    parser.add_argument("-i", "--interval", type=flag_type("api.interval_s"), default=None,
                        metavar="SECONDS", help="seconds between collections")
    parser.add_argument("--processes", action=argparse.BooleanOptionalAction, default=None,
                        help="export per-process metrics")
    parser.add_argument("--auth-token", metavar="TOKEN", default=None,
                        help="bearer token; kept in a 0600 environment file, not the unit")
    parser.add_argument("--basic-auth", metavar="USER:PASSWORD", default=None,
                        help="HTTP basic auth; kept like --auth-token")
    parser.add_argument("--tls-cert", metavar="PEM", default=None,
                        help="certificate (handed to the service with LoadCredential)")
    parser.add_argument("--tls-key", metavar="PEM", default=None, help="key for --tls-cert")
    add_source_arguments(parser)


def options_from(args: argparse.Namespace) -> ApiOptions:
    """The api flags of `args` as ApiOptions; UsageError for values a service cannot hold."""
    auth_from(args.auth_token, args.basic_auth)  # the same refusals `allsmi api` makes
    if args.bind is not None and not args.bind.strip():
        raise UsageError("--bind needs an address")
    secrets = {key: value for key, value in (("auth_token", args.auth_token),
                                             ("basic_auth", args.basic_auth)) if value}
    return ApiOptions(
        port=args.port, bind=args.bind, interval_s=args.interval, processes=args.processes,
        tls_cert=_absolute(args.tls_cert), tls_key=_absolute(args.tls_key), mock=args.mock,
        backends=tuple(args.backend or ()), seed=args.seed, secrets=secrets)


def _absolute(path: str | None) -> Path | None:
    return None if path is None else Path(path).absolute()


def run(args: argparse.Namespace, config: Config) -> int:
    """Carry out one service action on this machine."""
    return run_on(args, config, this_host(), out=sys.stdout, err=sys.stderr)


def run_on(args: argparse.Namespace, config: Config, host: Host, *, out: TextIO, err: TextIO,
           executable: tuple[str, ...] | None = None) -> int:
    """run() on a given Host (tests give a temporary root and a recording runner)."""
    if args.manager is not None:
        host = _with_manager(host, args.manager)
    system = not args.user
    if args.action == "uninstall":
        return uninstall(host, system=system, out=out, err=err)
    if args.action == "status":
        port = int(config.value("api", "port", args.port))
        return status(host, system=system, health_host=args.host, port=port, out=out)
    options = options_from(args)
    rendered = render(options, host, system=system,
                      executable=executable or current_executable())
    if args.dry_run:
        out.write(rendered.unit_bytes.decode())
        if rendered.environment_bytes is not None:
            names = ", ".join(sorted(options.secret_environment()))
            print(f"# {names}: written to {rendered.paths.environment_file} (0600), "
                  "not into the unit", file=err)
        return 0
    from allsmi_py.exporter.server import check_tls

    check_tls(str(options.tls_cert or ""), str(options.tls_key or ""))
    return install(rendered, host, start=not args.no_start, out=out, err=err)


def _with_manager(host: Host, manager: str) -> Host:
    return replace(host, manager="launchd" if manager == "launchd" else "systemd")
