"""The `allsmi` command: parses the command line and hands over to one subcommand.

Each subcommand lives in its own module with `add_arguments(parser)` and
`run(args, config) -> int`; only the chosen one is imported, so `allsmi snapshot` never
pays for the TUI. User errors (ConfigError, UsageError) print one line and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from allsmi_py import __version__
from allsmi_py.errors import ConfigError, UsageError

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "local": ("allsmi_py.commands.local", "terminal UI for this machine (the default)"),
    "view": ("allsmi_py.commands.view", "terminal UI for a cluster of nodes"),
    "api": ("allsmi_py.commands.api", "Prometheus exporter (/metrics, /snapshot)"),
    "snapshot": ("allsmi_py.commands.snapshot", "print one reading as JSON, CSV or Prometheus"),
    "record": ("allsmi_py.commands.record", "record this node or a cluster into a file"),
    "replay": ("allsmi_py.commands.replay", "replay a recording in the TUI, or print its frames"),
    "mock": ("mock_server.cli", "serve many simulated nodes (same as allsmi-mock)"),
    "config": ("allsmi_py.commands.config", "show, create or validate the configuration file"),
    "service": ("allsmi_py.commands.service", "install allsmi api as a systemd/launchd service"),
    "doctor": ("allsmi_py.commands.doctor", "what each backend needs here, and how to fix it"),
}
DEFAULT_COMMAND = "local"
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line, exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"{self.prog}: error: {message} (see '{self.prog} -h')", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _top_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="allsmi",
        description="Monitor every GPU and NPU: locally, as a Prometheus exporter, or a cluster.",
        epilog="commands:\n" + "\n".join(f"  {n:<10} {h}" for n, (_, h) in COMMANDS.items())
        + "\n\nRun 'allsmi COMMAND -h' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"allsmi {__version__}")
    parser.add_argument("--config", metavar="PATH", help="read this config file")
    parser.add_argument("--list-mock", action="store_true", help="list simulated device profiles")
    parser.add_argument("--list-backends", action="store_true",
                        help="list installed backends, whether each can run here, what it needs")
    return parser


def _split_command(argv: list[str]) -> tuple[list[str], str, list[str]]:
    """(global args, command, command args); the default command when none is named."""
    global_args: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in COMMANDS:
            return global_args, arg, argv[i + 1:]
        if arg == "--config" and i + 1 < len(argv):
            global_args += argv[i:i + 2]
            i += 2
            continue
        if arg.startswith("--config=") or arg in (
                "-V", "--version", "--list-mock", "--list-backends", "-h", "--help"):
            global_args.append(arg)
            i += 1
            continue
        break
    return global_args, DEFAULT_COMMAND, argv[i:]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `allsmi` and `python -m allsmi_py`."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    global_args, command, command_args = _split_command(args_list)
    top = _top_parser().parse_args(global_args)
    try:
        if top.list_mock:
            from allsmi_py.commands.listing import list_mock
            return list_mock()
        if top.list_backends:
            from allsmi_py.commands.listing import list_backends
            return list_backends()
        module_name, help_text = COMMANDS[command]
        if command == "mock":  # the mock server has its own full command line
            module = importlib.import_module(module_name)
            return int(module.main(command_args))
        from allsmi_py.config import load_config
        module = importlib.import_module(module_name)
        parser = _Parser(prog=f"allsmi {command}", description=help_text)
        module.add_arguments(parser)
        args = parser.parse_args(command_args)
        args.config_option = top.config  # the global --config PATH, or None
        # `config validate` reads a broken file itself, to report every problem in it.
        needs_config = getattr(module, "needs_config", None)
        config = load_config(top.config) if needs_config is None or needs_config(args) else None
        for note in config.notes if config is not None else ():
            print(note, file=sys.stderr)  # what all-smi's config.toml / ALL_SMI_* gave
        return int(module.run(args, config))
    except (ConfigError, UsageError) as exc:
        print(f"allsmi: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
