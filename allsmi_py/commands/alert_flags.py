"""The alert flag of `allsmi local` and `allsmi view`, and the webhook their alerts go to."""

from __future__ import annotations

import argparse
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from allsmi_py.alerts import AlertEngine, AlertEvent, AlertThresholds, webhook_body
from allsmi_py.config import Config
from allsmi_py.errors import ConfigError
from allsmi_py.settings import flag_type
from allsmi_py.webhook import WebhookOptions, WebhookSender


def add_alert_arguments(parser: argparse.ArgumentParser) -> None:
    """--alert-util-low-mins, as all-smi's."""
    parser.add_argument("--alert-util-low-mins", type=flag_type("alerts.util_low_mins"),
                        default=None, metavar="MINUTES",
                        help="warn when a device holding memory has been idle this many minutes"
                             " (0: off; default: config alerts.util_low_mins, 0)")


def alert_thresholds(args: argparse.Namespace, config: Config) -> AlertThresholds:
    """The config's alert thresholds, with the flag's idle minutes when given."""
    return AlertThresholds.from_config(config, getattr(args, "alert_util_low_mins", None))


def webhook_options(config: Config) -> WebhookOptions | None:
    """The webhook alerts are POSTed to (None: none); ConfigError for a URL it cannot use."""
    url = str(config.get("alerts", "webhook_url") or "")
    if not url:
        return None
    try:
        return WebhookOptions(url, timeout_s=float(config.get("alerts", "webhook_timeout_s")),
                              retries=int(config.get("alerts", "webhook_retries")))
    except ValueError as exc:
        raise ConfigError(f"alerts.webhook_url: {exc}") from None


@contextmanager
def alert_webhook(options: WebhookOptions | None,
                  engine: AlertEngine) -> Iterator[WebhookSender | None]:
    """While the block runs, every transition of `engine` is queued for the webhook."""
    if options is None:
        yield None
        return
    sender = WebhookSender(options).start()
    local_host = socket.gethostname()

    def post(event: AlertEvent) -> None:
        sender.submit(webhook_body(event, local_host))

    engine.listeners.append(post)
    try:
        yield sender
    finally:
        engine.listeners.remove(post)
        sender.close()
