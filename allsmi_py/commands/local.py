"""`allsmi local` (the default command): the terminal UI for this machine."""

from __future__ import annotations

import argparse

from allsmi_py.collector import Collector
from allsmi_py.commands.alert_flags import (
    add_alert_arguments,
    alert_thresholds,
    alert_webhook,
    webhook_options,
)
from allsmi_py.commands.metering import energy_price, metered
from allsmi_py.commands.sources import add_source_arguments, build_collector
from allsmi_py.commands.theme import add_theme_argument, chosen_theme
from allsmi_py.config import Config
from allsmi_py.process_actions import ProcessSignaller
from allsmi_py.settings import flag_type


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `allsmi local`."""
    parser.add_argument("--interval", type=flag_type("local.interval_s"), default=None,
                        metavar="SECONDS",
                        help="seconds between readings (default: config local.interval_s, 2)")
    parser.add_argument("--readonly", action=argparse.BooleanOptionalAction, default=None,
                        help="offer no process actions (signals) (default: config "
                             "local.readonly, false)")
    add_theme_argument(parser)
    add_alert_arguments(parser)
    add_source_arguments(parser)


def process_actions(args: argparse.Namespace, config: Config,
                    readings: Collector) -> ProcessSignaller | None:
    """What signals the view's processes, or None with --readonly (config local.readonly).

    `readings` is the collector itself, not the energy meter around it: it knows which
    backends simulate their processes."""
    if config.value("local", "readonly", args.readonly):
        return None
    return ProcessSignaller(simulated=readings)


def run(args: argparse.Namespace, config: Config) -> int:
    """Open the local view; usage errors are raised before the screen is taken over."""
    interval_s = float(config.value("local", "interval_s", args.interval))
    theme = chosen_theme(args, config)
    webhook = webhook_options(config)
    seed = config.value("mock", "seed", args.seed)
    readings = build_collector(args, interval_s=interval_s, seed=seed, config=config)
    collector = metered(readings, config)
    # Import after the checks above so that a usage error costs no Textual import.
    from allsmi_py.tui.app import AllSmiApp
    from allsmi_py.tui.energy import use_price

    use_price(energy_price(config))
    app = AllSmiApp(collector, alert_thresholds(args, config), theme=theme,
                    process_actions=process_actions(args, config, readings),
                    simulated_backends=readings.simulated_backends)
    try:
        with alert_webhook(webhook, app.alerts):
            app.run()
    finally:
        collector.stop()
    return 0
