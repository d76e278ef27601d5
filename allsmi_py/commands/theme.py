"""The `--theme` flag of the two screens (`local`, `view`) and the theme a run uses."""

from __future__ import annotations

import argparse

from allsmi_py.config import Config
from allsmi_py.errors import UsageError

THEMES = ("dark", "light")


def add_theme_argument(parser: argparse.ArgumentParser) -> None:
    """`--theme dark|light`."""
    parser.add_argument("--theme", choices=THEMES, default=None,
                        help="colour theme (default: config general.theme); NO_COLOR is honoured")


def chosen_theme(args: argparse.Namespace, config: Config) -> str:
    """The flag's theme, else the config's; UsageError for a theme we do not have."""
    theme = str(config.value("general", "theme", args.theme))
    if theme.strip().lower() not in THEMES:
        raise UsageError(f"general.theme must be one of {', '.join(THEMES)}, not {theme!r}")
    return theme
