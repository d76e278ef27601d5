"""`allsmi config path|print|init`: where the config lives, what it holds, a starting file."""

from __future__ import annotations

import argparse
import sys

import yaml

from allsmi_py.config import Config, default_file_text, search_paths
from allsmi_py.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `allsmi config`."""
    parser.add_argument("action", choices=("path", "print", "init"),
                        help="path: the file read; print: effective values; init: write defaults")
    parser.add_argument("--force", action="store_true", help="init: overwrite an existing file")


def run(args: argparse.Namespace, config: Config) -> int:
    """Carry out one config action."""
    if args.action == "path":
        if config.path is not None:
            print(config.path)
        else:
            print("no config file; looked in: " + ", ".join(str(p) for p in search_paths()))
        return 0
    if args.action == "print":
        sys.stdout.write(yaml.safe_dump(config.as_dict(), sort_keys=False))
        return 0
    target = config.path or search_paths()[0]
    if target.exists() and not args.force:
        raise UsageError(f"{target} exists; use --force to overwrite it")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(default_file_text(), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc}") from None
    print(f"wrote {target}")
    return 0
