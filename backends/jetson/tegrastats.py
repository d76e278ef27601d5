"""A long-running line-printing tool (tegrastats) read on a daemon thread, latest line wins.

tegrastats prints one line per interval until killed; spawning it per poll would cost an
interval each time, so one child is kept and its newest line is handed out. The child runs
in its own process group: tegrastats starts a helper that kept stdout open after the
tool was stopped, which once made close() block for 15 s and left orphans.
"""

from __future__ import annotations

from collections.abc import Sequence

from backends._common.tools import StreamingTool


class LineStream(StreamingTool):
    """Runs `argv`, keeps its newest stdout line, and reports a dead or silent child."""

    def __init__(self, argv: Sequence[str], stale_after_s: float = 10.0) -> None:
        super().__init__(argv, stale_after_s=stale_after_s)

    def stop(self) -> None:
        """Kill the child's process group (SIGKILL after a second). Idempotent."""
        self.close()
