"""`allsmi config path|print|init|validate`: the file read, its values, a new one, its problems."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import yaml

from allsmi_py.config import Config, default_file_text, find_config_file, search_paths
from allsmi_py.config_file import check_file
from allsmi_py.errors import UsageError
from allsmi_py.settings import redacted

EXIT_PROBLEMS = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `allsmi config`."""
    parser.add_argument("action", choices=("path", "print", "init", "validate"),
                        help="path: the file read; print: effective values; init: write defaults;"
                             " validate: check every key of FILE, one line per problem (exit 2)")
    parser.add_argument("file", nargs="?", metavar="FILE",
                        help="validate: the file to check (default: the one allsmi would read)")
    parser.add_argument("--force", action="store_true", help="init: overwrite an existing file")


def needs_config(args: argparse.Namespace) -> bool:
    """False for validate: it reads the file itself, to report every problem, not the first."""
    return bool(args.action != "validate")


def run(args: argparse.Namespace, config: Config | None) -> int:
    """Carry out one config action."""
    if args.action == "validate":
        return validate(args.file or getattr(args, "config_option", None))
    if args.file is not None:
        raise UsageError(f"FILE is for 'allsmi config validate' only, not {args.action}")
    assert config is not None  # cli.py loads it for every action but validate
    if args.action == "path":
        if config.path is not None:
            print(config.path)
        else:
            print("no config file; looked in: " + ", ".join(str(p) for p in search_paths()))
        return 0
    if args.action == "print":
        # Tokens, passwords and the webhook URL (which often holds one) stay off the screen.
        sys.stdout.write(yaml.safe_dump(redacted(config.as_dict()), sort_keys=False))
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


def validate(file: str | None) -> int:
    """Print `FILE: OK` (exit 0) or one line per problem (exit 2); no file to read is OK."""
    if file is None:
        found = find_config_file()
        if found is None:
            print("no config file to validate (allsmi uses the defaults); looked in: "
                  + ", ".join(str(p) for p in search_paths()))
            return 0
        path = found
    else:
        path = Path(file)
    check = check_file(path)
    if check.ok:
        print(f"{path}: OK")
        return 0
    for problem in check.problems:
        print(problem)
    if check.more_problems:
        print(f"{path}: {check.more_problems} more problems not shown")
    return EXIT_PROBLEMS


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path` readable by its owner only (0600), from its first byte on."""
    # The file holds view.auth_token and api.auth_token / basic_auth (issue 15): creating it
    # 0600 leaves no window where it is world-readable, and fchmod tightens a file --force
    # overwrites, which O_CREAT leaves at its old mode.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(fd, 0o600)
        file.write(text)
