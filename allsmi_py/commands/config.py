"""`allsmi config path|print|init`: where the config lives, what it holds, a starting file."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

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
        _write_private(target, default_file_text())
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc}") from None
    print(f"wrote {target}")
    return 0


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path` readable by its owner only (0600), from its first byte on."""
    # The file holds view.auth_token and api.auth_token / basic_auth (issue 15): creating it
    # 0600 leaves no window where it is world-readable, and fchmod tightens a file --force
    # overwrites, which O_CREAT leaves at its old mode.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(fd, 0o600)
        file.write(text)
