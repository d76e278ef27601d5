"""TLS flags of the commands that scrape nodes or Prometheus: --ca-file and --insecure."""

from __future__ import annotations

import argparse
import ssl
import sys

from allsmi_py.config import Config


def add_tls_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """Flags of https scrapes: --ca-file, --insecure."""
    parser.add_argument("--ca-file", default=None, metavar="PATH",
                        help="PEM file of the CA that signed https nodes and Prometheus "
                             "(default: config view.ca_file, else the system trust store)")
    parser.add_argument("--insecure", action="store_true",
                        help="do not verify TLS certificates (prints a warning)")


def tls_context(args: argparse.Namespace, config: Config) -> ssl.SSLContext | None:
    """The one SSLContext of this run (None: system defaults); UsageError for a bad CA file."""
    from allsmi_py.remote.tls import INSECURE_WARNING, client_ssl_context

    ca_file = str(config.value("view", "ca_file", args.ca_file) or "") or None
    if args.insecure:
        print(INSECURE_WARNING, file=sys.stderr)
    return client_ssl_context(ca_file, insecure=bool(args.insecure))
