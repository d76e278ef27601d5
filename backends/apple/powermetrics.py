"""A long-running `powermetrics -f plist -i N` child; samples are NUL-separated plists."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Sequence

from allsmi_py.backend import stop_process
from allsmi_py.errors import BackendReadError
from backends.apple.parse import split_plist_stream

MAX_PENDING_BYTES = 8 * 1024 * 1024  # one sample with all_tasks is ~260 kB


class PlistStream:
    """Runs `argv` and keeps the newest complete plist sample it printed."""

    def __init__(self, argv: Sequence[str], stale_after_s: float = 10.0) -> None:
        self.argv = list(argv)
        self.stale_after_s = stale_after_s
        self._process: subprocess.Popen[bytes] | None = None
        self._latest: bytes | None = None
        self._latest_at = 0.0
        self._ready = threading.Event()
        self._done = threading.Event()
        self._overflow = False

    def start(self) -> None:
        """Start the child and its reader thread."""
        self._process = subprocess.Popen(
            self.argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        threading.Thread(target=self._pump, name="powermetrics-reader", daemon=True).start()

    def _pump(self) -> None:
        process = self._process
        assert process is not None and process.stdout is not None
        pending = b""
        fd = process.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            samples, pending = split_plist_stream(pending + chunk)
            if samples:
                self._latest, self._latest_at = samples[-1], time.monotonic()
                self._ready.set()
            if len(pending) > MAX_PENDING_BYTES:
                self._overflow = True  # no NUL separator: not the stream we expect
                break
        self._done.set()
        self._ready.set()

    def latest(self, timeout_s: float) -> bytes:
        """The newest sample; BackendReadError when none arrives in time or the child died."""
        if self._process is None:
            raise BackendReadError("powermetrics was not started")
        self._ready.wait(timeout_s)
        if self._overflow:
            raise BackendReadError("powermetrics output has no sample separators")
        code = self._process.poll()
        if code is None and self._done.is_set():
            # stdout closed: the child is exiting; give it a moment to be reaped.
            try:
                code = self._process.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                code = None
        if code is not None:
            raise BackendReadError(f"powermetrics exited with status {code}")
        if self._latest is None:
            raise BackendReadError(f"powermetrics printed no sample within {timeout_s:g} s")
        age = time.monotonic() - self._latest_at
        if age > self.stale_after_s:
            raise BackendReadError(f"powermetrics has printed nothing for {age:.0f} s")
        return self._latest

    def stop(self) -> None:
        """Terminate the child, killing it if needed. Idempotent."""
        process, self._process = self._process, None
        if process is None:
            return
        stop_process(process)
