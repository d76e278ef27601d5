"""A long-running `powermetrics -f plist -i N` child; samples are NUL-separated plists."""

from __future__ import annotations

from collections.abc import Sequence

from backends._common.tools import StreamingTool

MAX_SAMPLE_BYTES = 8 * 1024 * 1024  # one sample with all_tasks is ~260 kB


class PlistStream:
    """Runs `argv` and keeps the newest complete plist sample it printed."""

    def __init__(self, argv: Sequence[str], stale_after_s: float = 10.0) -> None:
        self._tool = StreamingTool(argv, name="powermetrics", separator=b"\0",
                                   max_record_bytes=MAX_SAMPLE_BYTES,
                                   stale_after_s=stale_after_s, record_name="sample")

    def start(self) -> None:
        """Start the child and its reader thread."""
        self._tool.start()

    def latest(self, timeout_s: float) -> bytes:
        """The newest sample (UTF-8 plist); BackendReadError when none arrives in time, the
        child died or it printed a sample over 8 MiB."""
        return self._tool.latest(timeout_s).encode()

    def stop(self) -> None:
        """Kill the child's process group (SIGKILL after a second). Idempotent."""
        self._tool.close()
