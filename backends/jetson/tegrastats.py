"""A long-running line-printing tool (tegrastats) read on a daemon thread, latest line wins.

tegrastats prints one line per interval until killed; spawning it per poll would cost an
interval each time, so one child is kept and its newest line is handed out.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Sequence

from allsmi_py.backend import stop_process
from allsmi_py.errors import BackendReadError


class LineStream:
    """Runs `argv`, keeps its newest stdout line, and reports a dead or silent child."""

    def __init__(self, argv: Sequence[str], stale_after_s: float = 10.0) -> None:
        self.argv = list(argv)
        self.stale_after_s = stale_after_s
        self._process: subprocess.Popen[str] | None = None
        self._latest: str | None = None
        self._latest_at = 0.0
        self._first_line = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the child and its reader thread."""
        self._process = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        self._thread = threading.Thread(
            target=self._pump, name=f"{self.argv[0]}-reader", daemon=True
        )
        self._thread.start()

    def _pump(self) -> None:
        process = self._process
        assert process is not None and process.stdout is not None
        for line in process.stdout:
            if line.strip():
                self._latest = line.rstrip("\n")
                self._latest_at = time.monotonic()
                self._first_line.set()
        self._done.set()
        self._first_line.set()  # wake a waiting reader: the child has exited

    def latest(self, timeout_s: float) -> str:
        """The newest line; raise BackendReadError if none comes in `timeout_s` or it is stale."""
        if self._process is None:
            raise BackendReadError(f"{self.argv[0]} was not started")
        self._first_line.wait(timeout_s)
        line = self._latest
        code = self._process.poll()
        if code is None and self._done.is_set():
            # stdout closed: the child is exiting; give it a moment to be reaped.
            try:
                code = self._process.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                code = None
        if code is not None:
            raise BackendReadError(f"{self.argv[0]} exited with status {code}")
        if line is None:
            raise BackendReadError(f"{self.argv[0]} printed nothing within {timeout_s:g} s")
        age = time.monotonic() - self._latest_at
        if age > self.stale_after_s:
            raise BackendReadError(f"{self.argv[0]} has printed nothing for {age:.0f} s")
        return line

    def stop(self) -> None:
        """Terminate the child (kill it if it does not exit within a second). Idempotent."""
        process, self._process = self._process, None
        if process is None:
            return
        stop_process(process)
        if self._thread is not None:
            self._thread.join(timeout=1.0)
