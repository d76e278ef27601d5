"""Asking a vendor tool for its version, for the needs a backend declares (`allsmi doctor`)."""

from __future__ import annotations

from collections.abc import Sequence

from backends._common.tools import run_tool_result

MAX_VERSION_OUTPUT_BYTES = 64 * 1024
"""A version answer is a line or a short table; more than this is not a version answer."""


def version_output(argv: Sequence[str], timeout_s: float) -> str:
    """What `argv` printed, stdout then stderr, whatever its exit status; BackendReadError
    when it cannot start, hangs past `timeout_s` or prints more than 64 KiB."""
    result = run_tool_result(argv, timeout_s, max_output_bytes=MAX_VERSION_OUTPUT_BYTES)
    return result.stdout + "\n" + result.stderr
