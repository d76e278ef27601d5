"""Running vendor tools, once (`run_tool`) or as a long-running stream (`StreamingTool`).

A vendor CLI is untrusted input three ways: it may print anything (bytes that are not UTF-8,
no newline, gigabytes), it may hang, and it may start children that outlive it holding its
pipes (a wrapper script; tegrastats, whose child kept stdout open and made close() block for
15 s, leaving orphans). So every tool runs in its own session, and one killpg() reaches all
it started; output is read in chunks under a cap and decoded with U+FFFD for bad bytes; and
nothing waits on a pipe without a deadline or a way to be woken.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from allsmi_py.errors import BackendReadError, BackendUnavailable

MIB = 1024 * 1024
MAX_OUTPUT_BYTES = 16 * MIB
"""The most stdout `run_tool` keeps; the largest real answer (amd-smi on 8 GPUs) is ~1 MiB."""
MAX_RECORD_BYTES = 1 * MIB
"""The longest line a `StreamingTool` keeps; a tegrastats or hl-smi line is under 2 kB."""
STDERR_TAIL_BYTES = 64 * 1024
EXIT_GRACE_S = 0.5
"""How long a tool's pipes may stay open after it exited (held by a child) before the group dies."""
_CHUNK_BYTES = 64 * 1024
_TICK_S = 0.1  # how often run_tool looks at the exit status and the cancel event
_TAIL_CHARS = 300


def _mib(size: int) -> str:
    return f"{size / MIB:g} MiB"


def _decode(data: bytes | bytearray) -> str:
    # Universal newlines, as the text-mode pipes these helpers replace gave the parsers.
    text = data.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:_TAIL_CHARS] if lines else "no message"


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, _CHUNK_BYTES)
    except OSError:  # EIO from a pty-like pipe or a closed fd: the stream is over
        return b""


def _spawn(argv: Sequence[str], env: Mapping[str, str] | None) -> subprocess.Popen[bytes]:
    """Start `argv` in a new session, stdin from /dev/null; OSError passes through."""
    return subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=None if env is None else dict(env),
                            start_new_session=True)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def stop_process(process: subprocess.Popen[Any], grace_s: float = 1.0) -> None:
    """SIGTERM the process group a tool leads, SIGKILL it after `grace_s` s, reap the tool.

    Returns within about `grace_s` + 1 s even when the tool is stuck in the kernel (a hung
    driver ioctl delays SIGKILL); the pipes are left to whoever reads them.
    """
    if process.poll() is None:
        _signal_group(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace_s)
    # The group, not the tool: its children may ignore SIGTERM or outlive it holding stdout.
    _signal_group(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=1.0)


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a finished tool printed: all of stdout (under the cap), the tail of stderr."""

    returncode: int
    stdout: str
    stderr: str

    def stderr_tail(self) -> str:
        """The last non-blank stderr line (at most 300 characters), or 'no message'."""
        return _last_line(self.stderr)


def run_tool_result(argv: Sequence[str], timeout_s: float,
                    max_output_bytes: int = MAX_OUTPUT_BYTES, *,
                    env: Mapping[str, str] | None = None,
                    cancel: threading.Event | None = None) -> ToolResult:
    """Run a tool to its end, whatever its exit status; BackendReadError if it cannot finish.

    It cannot when it does not start, runs past `timeout_s`, prints more than
    `max_output_bytes` to stdout, or `cancel` is set; then its whole group is killed.
    """
    label = " ".join(argv)
    try:
        process = _spawn(argv, env)
    except OSError as exc:
        raise BackendReadError(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc
    clean = False
    try:
        out, err, clean = _collect(process, label, timeout_s, max_output_bytes, cancel)
    finally:
        if not clean:
            stop_process(process, grace_s=0.0)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    return ToolResult(process.returncode, _decode(out), _decode(err))


def _collect(process: subprocess.Popen[bytes], label: str, timeout_s: float, cap: int,
             cancel: threading.Event | None) -> tuple[bytearray, bytearray, bool]:
    """Read stdout (whole, up to `cap`) and stderr (its tail) until the tool ends or time is
    up; the flag is False when the tool ended but a child of it still holds the pipes."""
    assert process.stdout is not None and process.stderr is not None
    out, err = bytearray(), bytearray()
    deadline = time.monotonic() + timeout_s
    exited_at: float | None = None

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise BackendReadError(f"{label} did not answer within {timeout_s:g} s")
        if cancel is not None and cancel.is_set():
            raise BackendReadError(f"{label} was stopped")
        return left

    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout.fileno(), selectors.EVENT_READ, out)
        selector.register(process.stderr.fileno(), selectors.EVENT_READ, err)
        while selector.get_map():
            left = remaining()
            if exited_at is None and process.poll() is not None:
                exited_at = time.monotonic()
            if exited_at is not None and time.monotonic() - exited_at > EXIT_GRACE_S:
                return out, err, False
            for key, _ in selector.select(min(left, _TICK_S)):
                chunk = _read(key.fd)
                if not chunk:
                    selector.unregister(key.fd)
                    continue
                buffer: bytearray = key.data
                buffer += chunk
                if buffer is out and len(out) > cap:
                    raise BackendReadError(f"{label} output over {_mib(cap)}")
                if buffer is err and len(err) > 2 * STDERR_TAIL_BYTES:
                    del err[:-STDERR_TAIL_BYTES]
    while process.poll() is None:  # pipes closed; the tool may still be cleaning up
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=min(remaining(), _TICK_S))
    return out, err, True


def run_tool(argv: Sequence[str], timeout_s: float, max_output_bytes: int = MAX_OUTPUT_BYTES,
             *, env: Mapping[str, str] | None = None) -> str:
    """Run a tool in its own process group and return its stdout; BackendReadError on any
    failure (cannot start, timeout, output over `max_output_bytes`, nonzero exit)."""
    result = run_tool_result(argv, timeout_s, max_output_bytes, env=env)
    if result.returncode != 0:
        raise BackendReadError(
            f"{' '.join(argv)} exited with {result.returncode}: {result.stderr_tail()}"
        )
    return result.stdout


class StreamingTool:
    """A long-running tool (tegrastats, powermetrics, hl-smi -l) read by a daemon thread.

    The thread splits stdout at `separator` into records, decoded with U+FFFD for bad bytes,
    and keeps the newest non-blank one (or hands each to `on_record`). A record over
    `max_record_bytes` is dropped and counted, so memory stays under that plus one chunk
    whatever the tool prints. The last lines of stderr are kept for error messages.
    """

    def __init__(self, argv: Sequence[str], *, name: str | None = None,
                 separator: bytes = b"\n", max_record_bytes: int = MAX_RECORD_BYTES,
                 stale_after_s: float = 10.0, record_name: str | None = None,
                 on_record: Callable[[str], None] | None = None) -> None:
        if len(separator) != 1:
            raise ValueError("a StreamingTool separator is one byte")
        self.argv = list(argv)
        self.name = name or os.path.basename(self.argv[0])
        self.separator = separator
        self.max_record_bytes = max_record_bytes
        self.stale_after_s = stale_after_s
        self.record_name = record_name
        self._on_record = on_record
        self._process: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._latest: str | None = None
        self._latest_at = 0.0
        self.dropped = 0  # records over max_record_bytes, dropped
        self._dropped_at = -1.0
        self.callback_errors = 0  # times on_record raised; the reader went on
        self._stderr: deque[str] = deque(maxlen=5)
        self._ready = threading.Event()  # a record, a dropped record or the end of stdout
        self._stdout_closed = threading.Event()
        self._reader_done = threading.Event()
        self._wake_w: int | None = None

    def start(self) -> None:
        """Start the tool and its reader; BackendUnavailable if the tool cannot be run."""
        if self._process is not None:
            return
        try:
            process = _spawn(self.argv, None)
        except OSError as exc:
            raise BackendUnavailable(f"cannot run {self.argv[0]}: {exc.strerror or exc}") from exc
        wake_r, self._wake_w = os.pipe()
        self._process = process
        self._thread = threading.Thread(target=self._pump, args=(process, wake_r),
                                        name=f"{self.name}-reader", daemon=True)
        self._thread.start()

    def stderr_tail(self) -> str:
        """The last non-blank stderr line, or 'no message'."""
        return _last_line("\n".join(self._stderr))

    def wait_ready(self, timeout_s: float) -> bool:
        """Wait for the first record (or the end of stdout); True if it came."""
        return self._ready.wait(timeout_s)

    def returncode(self) -> int | None:
        """The tool's exit status, None while it runs (or before start)."""
        process = self._process
        if process is None:
            return None
        code = process.poll()
        if code is None and self._stdout_closed.is_set():
            # stdout closed: the tool is exiting; give it a moment to be reaped.
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = process.wait(timeout=1.0)
        if code is not None:
            self._reader_done.wait(EXIT_GRACE_S)  # so stderr_tail() has its last words
        return code

    def latest(self, timeout_s: float) -> str:
        """The newest record; BackendReadError if the tool died, fell silent or went astray."""
        if self._process is None:
            raise BackendReadError(f"{self.name} was not started")
        self._ready.wait(timeout_s)
        code = self.returncode()
        if code is not None:
            raise BackendReadError(f"{self.name} exited with status {code}")
        with self._lock:
            record, at, dropped_at = self._latest, self._latest_at, self._dropped_at
        if dropped_at > at:
            raise BackendReadError(f"{self.name} printed a {self.record_name or 'line'} over "
                                   f"{_mib(self.max_record_bytes)} ({self.dropped} dropped)")
        if record is None:
            what = f"no {self.record_name}" if self.record_name else "nothing"
            raise BackendReadError(f"{self.name} printed {what} within {timeout_s:g} s")
        age = time.monotonic() - at
        if age > self.stale_after_s:
            raise BackendReadError(f"{self.name} has printed nothing for {age:.0f} s")
        return record

    def close(self, grace_s: float = 1.0) -> None:
        """Kill the tool's whole process group (SIGTERM, SIGKILL after `grace_s`). Idempotent;
        returns in about `grace_s` + 1 s even if something outside the group holds stdout."""
        process, self._process = self._process, None
        if process is None:
            return
        # Once stdout is closed and the tool reaped, its group id may belong to someone else.
        if process.returncode is None or not self._stdout_closed.is_set():
            stop_process(process, grace_s)
        self._wake_reader()
        if self._thread is not None:
            self._thread.join(timeout=1.0)

    def _wake_reader(self) -> None:
        with self._lock:
            if self._wake_w is not None:
                with contextlib.suppress(OSError):
                    os.write(self._wake_w, b"\0")

    def _pump(self, process: subprocess.Popen[bytes], wake_r: int) -> None:
        assert process.stdout is not None and process.stderr is not None
        out_fd, err_fd = process.stdout.fileno(), process.stderr.fileno()
        pending, err_pending = bytearray(), bytearray()
        skipping = False  # inside a record already over the cap: drop up to the next separator
        try:
            with selectors.DefaultSelector() as selector:
                for fd in (out_fd, err_fd, wake_r):
                    selector.register(fd, selectors.EVENT_READ)
                while len(selector.get_map()) > 1:
                    for key, _ in selector.select():
                        fd = int(key.fd)
                        if fd == wake_r:
                            return
                        chunk = _read(fd)
                        if not chunk:
                            selector.unregister(fd)
                            if fd == out_fd:
                                if pending.strip() and not skipping:
                                    self._take([bytes(pending)])
                                self._stdout_closed.set()
                                self._ready.set()
                        elif fd == out_fd:
                            skipping = self._split(pending, chunk, skipping)
                        else:
                            self._keep_stderr(err_pending, chunk)
        except Exception:  # the reader ends quietly; latest() reports the tool
            pass
        finally:
            with self._lock:
                if self._wake_w is not None:
                    os.close(self._wake_w)
                    self._wake_w = None
            os.close(wake_r)
            process.stdout.close()
            process.stderr.close()
            self._stdout_closed.set()
            self._reader_done.set()
            self._ready.set()

    def _split(self, pending: bytearray, chunk: bytes, skipping: bool) -> bool:
        """Add `chunk` to `pending`, take the whole records out; True while dropping one.

        Only the new chunk is searched, so a long record costs linear time, not quadratic."""
        first, *parts = chunk.split(self.separator)
        records: list[bytes] = []
        if not skipping:
            pending += first
        if parts:
            if not skipping:
                records.append(bytes(pending))
            skipping = False  # a separator ends the dropped record too
            *middle, rest = parts
            records += middle
            pending[:] = rest
        kept = [r for r in records if len(r) <= self.max_record_bytes]
        last_dropped = bool(records) and len(records[-1]) > self.max_record_bytes
        if len(kept) < len(records) and not last_dropped:
            self._drop()
        self._take(kept)
        if last_dropped:
            self._drop()
        if len(pending) > self.max_record_bytes:
            pending.clear()
            self._drop()
            skipping = True
        return skipping

    def _drop(self) -> None:
        with self._lock:
            self.dropped += 1
            self._dropped_at = time.monotonic()
        self._ready.set()

    def _take(self, records: list[bytes]) -> None:
        records = [r for r in records if r.strip()]
        if not records:
            return
        if self._on_record is None:
            records = records[-1:]  # only the newest is kept: decode no more
        for raw in records:
            text = raw.decode("utf-8", errors="replace")
            if self.separator == b"\n":
                text = text.rstrip("\r")
            if self._on_record is not None:
                try:
                    self._on_record(text)
                except Exception:  # a bad record must not stop the reader
                    self.callback_errors += 1
            with self._lock:
                self._latest, self._latest_at = text, time.monotonic()
        self._ready.set()

    def _keep_stderr(self, pending: bytearray, chunk: bytes) -> None:
        pending += chunk
        *lines, rest = pending.split(b"\n")
        pending[:] = rest[-4096:]
        for line in lines:
            if line.strip():
                self._stderr.append(line[-4096:].decode("utf-8", errors="replace").strip())
