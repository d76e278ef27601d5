"""`allsmi replay FILE`: a recording in the TUI it was recorded for, or printed for scripts.

With --format, every frame is printed (JSON: one compact document a line; CSV: one header,
then the rows of every frame; Prometheus: each frame's exposition after a comment line
naming it), or with --at only the frame shown at that time, as `allsmi snapshot` prints it.
What is wrong with the file is a warning line; exit 2 only when no frame can be read.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator

from allsmi_py.commands.snapshot import FORMATS, format_snapshot
from allsmi_py.commands.theme import add_theme_argument, chosen_theme
from allsmi_py.config import Config
from allsmi_py.errors import UsageError
from allsmi_py.model import NodeSnapshot
from allsmi_py.recording.format import DamagedFrames, DamagedRecord
from allsmi_py.recording.reader import Recording, Snapshot
from allsmi_py.recording.timespec import format_time, parse_time

MAX_FRAME_WARNINGS = 5  # then one line counts the rest


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `allsmi replay`."""
    parser.add_argument("file", metavar="FILE", help="a recording made by `allsmi record`")
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="print frames in this format instead of opening the TUI")
    parser.add_argument("--at", metavar="TIME",
                        help="only the frame shown at TIME: 05:00, 2026-12-04T05:00, +30m"
                             " (after the first frame) or a Unix time; in the TUI, start there")
    parser.add_argument("--compact", action="store_true", help="--at's JSON on one line")
    parser.add_argument("--processes", action="store_true",
                        help="include per-process metrics in Prometheus output")
    add_theme_argument(parser)


def run(args: argparse.Namespace, config: Config) -> int:
    """Open the recording, then print it or replay it in the TUI."""
    try:
        recording = Recording(args.file)
    except DamagedRecord as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    with recording:
        for problem in recording.problems:
            warn(args.file, problem)
        if not len(recording):
            raise UsageError(f"{args.file}: the recording holds no readable frame")
        if args.format == "prometheus" and recording.header.kind == "cluster":
            raise UsageError("--format prometheus is for a recording of one node; use json or"
                             " csv for a cluster recording")
        start = frame_at(recording, args.at) if args.at is not None else None
        if args.format is None:
            return _run_tui(recording, start, args, config)
        if start is not None:
            try:
                snapshot = recording.snapshot(start)
            except DamagedRecord as exc:
                raise UsageError(f"{args.file}: {exc}") from None
            sys.stdout.write(format_frame(snapshot, args.format, compact=args.compact,
                                          include_processes=args.processes))
            return 0
        return _print_all(recording, args)


def warn(path: str, text: str) -> None:
    """One warning line about the file."""
    print(f"allsmi: warning: {path}: {text}", file=sys.stderr)


def frame_at(recording: Recording, text: str) -> int:
    """The frame shown at --at TEXT; UsageError for a bad time or one before the recording."""
    first = recording.times[0]
    try:
        time_s = parse_time(text, first)
    except ValueError as exc:
        raise UsageError(f"--at: {exc}") from None
    index = recording.index_at(time_s)
    if index is None:
        raise UsageError(f"--at {text} ({format_time(time_s)}) is before the recording's first "
                         f"frame ({format_time(first)})")
    return index


def format_frame(snapshot: Snapshot, fmt: str, compact: bool = False,
                 include_processes: bool = False) -> str:
    """One frame as `allsmi snapshot` prints a node, or `allsmi snapshot --hosts` a cluster."""
    if isinstance(snapshot, NodeSnapshot):
        return format_snapshot(snapshot, fmt, compact=compact,
                               include_processes=include_processes)
    from allsmi_py.remote.dump import format_cluster

    return format_cluster(snapshot, fmt, compact=compact)


def readable_frames(recording: Recording, path: str) -> Iterator[tuple[int, Snapshot]]:
    """(index, snapshot) of every frame that decodes; a warning for the others.

    Frames that are lost together (a damaged delta frame and the ones after it that need it)
    are one warning.
    """
    damaged = 0
    index = 0
    while index < len(recording):
        try:
            snapshot = recording.snapshot(index)
        except DamagedRecord as exc:
            damaged += 1
            if damaged <= MAX_FRAME_WARNINGS:
                warn(path, f"{exc} (skipped)")
            index = max(index, exc.last if isinstance(exc, DamagedFrames) else index) + 1
            continue
        yield index, snapshot
        index += 1
    if damaged > MAX_FRAME_WARNINGS:
        warn(path, f"{damaged - MAX_FRAME_WARNINGS} more damaged stretch(es) skipped")


def _print_all(recording: Recording, args: argparse.Namespace) -> int:
    try:
        printed = _write_all(recording, args)
    except BrokenPipeError:  # `| head`: the reader has all it wants
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the exit's flush does not fail too
        return 0
    if not printed:
        raise UsageError(f"{args.file}: no frame could be read")
    return 0


def _write_all(recording: Recording, args: argparse.Namespace) -> int:
    printed = 0
    out = sys.stdout
    for index, snapshot in readable_frames(recording, args.file):
        text = format_frame(snapshot, args.format, compact=True,
                            include_processes=args.processes)
        if args.format == "csv" and printed:
            text = text.split("\n", 1)[1]  # the header once, at the top
        elif args.format == "prometheus":
            out.write(f"# allsmi replay: frame {index + 1} taken_at_s "
                      f"{recording.times[index]:.3f}\n")
        out.write(text)
        printed += 1
    out.flush()
    return printed


def _run_tui(recording: Recording, start: int | None, args: argparse.Namespace,
             config: Config) -> int:
    from allsmi_py.alerts import AlertThresholds
    from allsmi_py.tui.replay import replay_app

    app = replay_app(recording, start=start or 0, label=args.file,
                     thresholds=AlertThresholds.from_config(config),
                     theme=chosen_theme(args, config))
    app.run()
    return 0
