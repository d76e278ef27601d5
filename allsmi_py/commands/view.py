"""`allsmi view`: the terminal UI for a cluster, read from node exporters or from Prometheus."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from allsmi_py.commands.alert_flags import (
    add_alert_arguments,
    alert_thresholds,
    alert_webhook,
    webhook_options,
)
from allsmi_py.commands.metering import energy_price
from allsmi_py.commands.sources import add_at_argument, at_time
from allsmi_py.commands.ssh_flags import (
    add_ssh_arguments,
    refuse_other_sources,
    ssh_source,
    wants_ssh,
)
from allsmi_py.commands.theme import add_theme_argument, chosen_theme
from allsmi_py.commands.tls import add_tls_arguments, tls_context
from allsmi_py.config import Config
from allsmi_py.errors import UsageError
from allsmi_py.recording.timespec import format_time
from allsmi_py.settings import flag_type

if TYPE_CHECKING:
    from allsmi_py.tui.cluster_app import ClusterSource



def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `allsmi view`."""
    parser.add_argument("--hosts", action="extend", nargs="+", default=None, metavar="HOST",
                        help="nodes to watch: host, host:port or URL; comma- or space-separated,"
                             " repeatable (default: config view.hosts)")
    parser.add_argument("--hostfile", default=None, metavar="FILE",
                        help="file with one node per line, re-read when it changes "
                             "(default: config view.hostfile)")
    parser.add_argument("--prometheus", default=None, metavar="URL",
                        help="read the cluster from this Prometheus server instead of the nodes")
    parser.add_argument("--interval", type=flag_type("view.interval_s"), default=None,
                        metavar="SECONDS",
                        help="seconds between rounds (default: config view.interval_s, 2)")
    parser.add_argument("--timeout", type=flag_type("view.timeout_s"), default=None,
                        metavar="SECONDS",
                        help="per-request timeout (default: config view.timeout_s, 5)")
    parser.add_argument("--concurrency", type=flag_type("view.concurrency"), default=None,
                        metavar="N",
                        help="requests in flight at once (default: config view.concurrency)")
    add_at_argument(parser)
    add_theme_argument(parser)
    add_alert_arguments(parser)
    add_tls_arguments(parser)
    add_ssh_arguments(parser.add_argument_group(
        "ssh (read hosts over SSH instead of from their exporters)"))


def run(args: argparse.Namespace, config: Config) -> int:
    """Open the cluster view; usage errors are raised before Textual is even imported."""
    # Ranges were checked where each value came in: flag_type, or load_config.
    interval_s = float(config.value("view", "interval_s", args.interval))
    timeout_s = float(config.value("view", "timeout_s", args.timeout))
    concurrency = int(config.value("view", "concurrency", args.concurrency))
    theme = chosen_theme(args, config)
    webhook = webhook_options(config)
    hosts = list(config.value("view", "hosts", args.hosts) or [])
    hostfile = str(config.value("view", "hostfile", args.hostfile) or "") or None
    prometheus = str(config.value("view", "prometheus", args.prometheus) or "") or None
    token = str(config.get("view", "auth_token") or "") or None
    if prometheus and (args.hosts or args.hostfile):
        raise UsageError("--prometheus reads every node from Prometheus: "
                         "give it without --hosts/--hostfile")
    at_s = at_time(args.at, time.time())
    if at_s is not None and not prometheus:
        raise UsageError("--at evaluates Prometheus queries at a time: it needs --prometheus")
    context = tls_context(args, config)
    source: ClusterSource
    if wants_ssh(args):
        refuse_other_sources(args, "hosts", "hostfile", "prometheus")
        ssh = ssh_source(args, config, timeout_s)
        source = ssh
        label = f"ssh hostfile {args.ssh_hostfile}" if args.ssh_hostfile else \
            f"{len(ssh.targets)} ssh hosts"
    elif prometheus:
        from allsmi_py.remote.hosts import redact_credentials

        if not prometheus.startswith(("http://", "https://")):
            raise UsageError("--prometheus needs an http:// or https:// URL, "
                             f"not {redact_credentials(prometheus)!r}")
        from allsmi_py.remote.prometheus_aggregate import PrometheusAggregateSource

        source = PrometheusAggregateSource(
            prometheus, timeout_s=timeout_s, auth_token=token, ssl_context=context, at_s=at_s,
            budget_bytes=int(config.get("prometheus", "budget_bytes")),
            budget_s=float(config.get("prometheus", "budget_s")),
            page_rows=int(config.get("prometheus", "page_rows")),
            max_response_bytes=int(config.get("prometheus", "max_response_bytes")))
        label = f"prometheus {source.shown_url}"
        if at_s is not None:
            label += f" at {format_time(at_s)}"
    else:
        if not hosts and not hostfile:
            raise UsageError("allsmi view needs nodes: --hosts HOST [HOST ...], --hostfile FILE "
                             "or --prometheus URL")
        from allsmi_py.remote.poller import ClusterPoller

        # Raises UsageError for an unreadable hostfile or no valid host at all.
        source = ClusterPoller(hosts, hostfile, timeout_s=timeout_s, concurrency=concurrency,
                               max_body_bytes=int(config.get("view", "max_body_bytes")),
                               auth_token=token, ssl_context=context)
        label = f"hostfile {hostfile}" if hostfile else f"{len(hosts)} host args"
    from allsmi_py.tui.cluster_app import ClusterApp
    from allsmi_py.tui.energy import use_price

    use_price(energy_price(config))  # the cost beside each node's and the cluster's kWh
    app = ClusterApp(source, interval_s=interval_s, label=label,
                     thresholds=alert_thresholds(args, config), theme=theme,
                     tune_gc=True)
    with alert_webhook(webhook, app.deriver.alerts):
        app.run()
    return 0
