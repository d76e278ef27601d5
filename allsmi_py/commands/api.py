"""`allsmi api`: a Prometheus exporter for this node (/metrics, /snapshot, /-/ready, /healthz)."""

from __future__ import annotations

import argparse
import sys

from allsmi_py.commands.metering import metered
from allsmi_py.commands.sources import add_source_arguments, build_collector
from allsmi_py.config import Config
from allsmi_py.errors import UsageError
from allsmi_py.exporter.app import Auth, make_app
from allsmi_py.exporter.events import EventOptions
from allsmi_py.exporter.server import LISTEN_BACKLOG, bind_socket, check_tls, serve
from allsmi_py.exporter.unix_socket import UnixListenSocket, bind_unix_socket, default_socket_path
from allsmi_py.settings import flag_type


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `allsmi api`; None means "take the config file's value"."""
    parser.add_argument("-p", "--port", type=flag_type("api.port"), default=None,
                        help="TCP port (default: config api.port, 9090)")
    parser.add_argument("--bind", metavar="ADDR", default=None,
                        help="address to listen on (default 0.0.0.0; 127.0.0.1 for local only)")
    parser.add_argument("-i", "--interval", type=flag_type("api.interval_s"), default=None,
                        metavar="SECONDS",
                        help="seconds between collections (default 3)")
    parser.add_argument("--processes", action=argparse.BooleanOptionalAction, default=None,
                        help="export per-process metrics (all_smi_process_*)")
    parser.add_argument("--auth-token", metavar="TOKEN", default=None,
                        help="require 'Authorization: Bearer TOKEN' (or ALLSMI_API_AUTH_TOKEN)")
    parser.add_argument("--basic-auth", metavar="USER:PASSWORD", default=None,
                        help="require HTTP basic auth (or ALLSMI_API_BASIC_AUTH)")
    parser.add_argument("--tls-cert", metavar="PEM", default=None,
                        help="serve HTTPS with this certificate")
    parser.add_argument("--tls-key", metavar="PEM", default=None, help="private key for --tls-cert")
    parser.add_argument("--socket", metavar="PATH", nargs="?", const="", default=None,
                        help="serve on a unix socket (mode 0600; default PATH "
                             "$XDG_RUNTIME_DIR/allsmi/api.sock, /run/allsmi/api.sock as root);"
                             " alone, unless --port or --bind also asks for TCP")
    add_source_arguments(parser)


def auth_from(token: str | None, basic: str | None) -> Auth | None:
    """The Auth the settings ask for, or None; UsageError when basic auth lacks a ':'."""
    if not token and not basic:
        return None
    user = password = None
    if basic:
        if ":" not in basic:
            raise UsageError("--basic-auth must be USER:PASSWORD")
        user, _, password = basic.partition(":")
    return Auth(bearer_token=token or None, basic_user=user, basic_password=password)


def run(args: argparse.Namespace, config: Config) -> int:
    """Collect on a background thread and serve the latest snapshot until interrupted."""
    port = int(config.value("api", "port", args.port))
    bind = str(config.value("api", "bind", args.bind))
    interval = float(config.value("api", "interval_s", args.interval))
    processes = bool(config.value("api", "processes", args.processes))
    auth = auth_from(config.value("api", "auth_token", args.auth_token),
                     config.value("api", "basic_auth", args.basic_auth))
    tls_cert = config.value("api", "tls_cert", args.tls_cert) or None
    tls_key = config.value("api", "tls_key", args.tls_key) or None
    check_tls(tls_cert, tls_key)
    serve_tcp = args.socket is None or args.port is not None or args.bind is not None
    collector = metered(build_collector(args, interval_s=interval,
                                        seed=config.value("mock", "seed", args.seed),
                                        config=config), config)
    unix: UnixListenSocket | None = None
    sockets = []
    try:
        if args.socket is not None:
            unix = bind_unix_socket(args.socket or default_socket_path(), LISTEN_BACKLOG,
                                    make_parent=not args.socket)
            sockets.append(unix.sock)
        if serve_tcp:
            sockets.append(bind_socket(bind, port))
    except UsageError:
        if unix is not None:
            unix.remove()
        collector.close()
        raise
    app = make_app(lambda: collector.latest, include_processes=processes, auth=auth,
                   events=EventOptions(interval_s=interval))
    scheme = "https" if tls_cert else "http"
    where = ([f"{scheme}://{bind}:{port}/metrics"] if serve_tcp else []) + \
        ([f"unix:{unix.path}"] if unix is not None else [])
    print(f"allsmi api: serving {' and '.join(where)}", file=sys.stderr, flush=True)
    collector.start()
    try:
        serve(app, sockets, tls_cert, tls_key)
    finally:
        collector.stop()
        for sock in sockets:
            sock.close()
        if unix is not None:
            unix.remove()
    return 0
