"""`allsmi local` (the default command): the terminal UI for this machine."""

from __future__ import annotations

import argparse

from allsmi_py.commands.sources import add_source_arguments, build_collector
from allsmi_py.config import Config, flag_type
from allsmi_py.errors import UsageError

THEMES = ("dark", "light")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `allsmi local`."""
    parser.add_argument("--interval", type=flag_type("local.interval_s"), default=None,
                        metavar="SECONDS",
                        help="seconds between readings (default: config local.interval_s, 2)")
    parser.add_argument("--theme", choices=THEMES, default=None,
                        help="colour theme (default: config general.theme); NO_COLOR is honoured")
    add_source_arguments(parser)


def run(args: argparse.Namespace, config: Config) -> int:
    """Open the local view; usage errors are raised before the screen is taken over."""
    interval_s = float(config.value("local", "interval_s", args.interval))
    theme = str(config.value("general", "theme", args.theme))
    if theme.strip().lower() not in THEMES:
        raise UsageError(f"general.theme must be one of {', '.join(THEMES)}, not {theme!r}")
    seed = config.value("mock", "seed", args.seed)
    collector = build_collector(args, interval_s=interval_s, seed=seed)
    # Import after the checks above so that a usage error costs no Textual import.
    from allsmi_py.alerts import AlertThresholds
    from allsmi_py.tui.app import AllSmiApp

    app = AllSmiApp(collector, AlertThresholds.from_config(config), theme=theme)
    try:
        app.run()
    finally:
        collector.stop()
    return 0
