"""Docker and Podman container names from their API socket, looked up off the caller's thread.

`GET /containers/<id>/json` (Docker Engine API; Podman serves the same Docker-compatible
route) over the runtime's unix socket, only where this user may connect to it, each answer
within TIMEOUT_S and MAX_BODY_BYTES. `RuntimeNames.name` never waits: it answers from the
cache and queues what it does not know for one daemon thread, so a name shows a tick later.
Failures are remembered for RETRY_S, so a hung socket costs one lookup a minute, not one a tick.
Only the standard library (http.client parses the answer), so the engine floor stays free of
HTTP packages.
"""

from __future__ import annotations

import io
import json
import os
import queue
import re
import socket
import stat
import threading
import time
from collections.abc import Callable, Mapping, Sequence

TIMEOUT_S = 0.25
MAX_BODY_BYTES = 512 * 1024
MAX_CACHED = 4096
MAX_QUEUED = 256
RETRY_S = 60.0

_CONTAINER_ID = re.compile(r"[0-9a-f]{64}")
_CONTAINER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,254}")


def default_sockets(environ: Mapping[str, str] | None = None) -> dict[str, tuple[str, ...]]:
    """Where each runtime's API socket usually is: Docker's, rootful and rootless Podman's."""
    env = os.environ if environ is None else environ
    podman = ["/run/podman/podman.sock"]
    runtime_dir = env.get("XDG_RUNTIME_DIR", "")
    if runtime_dir.startswith("/") and len(runtime_dir) < 256:
        podman.append(os.path.join(runtime_dir, "podman", "podman.sock"))
    return {"docker": ("/var/run/docker.sock",), "podman": tuple(podman)}


def usable_socket(path: str) -> bool:
    """Whether `path` is a unix socket this user may connect to (read and write)."""
    try:
        if not stat.S_ISSOCK(os.stat(path).st_mode):
            return False
    except OSError:
        return False
    return os.access(path, os.R_OK | os.W_OK)


def fetch_container_name(socket_path: str, container_id: str, timeout_s: float = TIMEOUT_S,
                         max_bytes: int = MAX_BODY_BYTES) -> str | None:
    """The container's name from the runtime's API, or None (no answer in time, or a bad one)."""
    if not _CONTAINER_ID.fullmatch(container_id):
        return None
    raw = _exchange(socket_path, f"/containers/{container_id}/json", timeout_s, max_bytes)
    if raw is None:
        return None
    body = _http_body(raw, max_bytes)
    if body is None:
        return None
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    name = document.get("Name") if isinstance(document, dict) else None
    if not isinstance(name, str):
        return None
    name = name.removeprefix("/")
    return name if _CONTAINER_NAME.fullmatch(name) else None


def _exchange(socket_path: str, target: str, timeout_s: float, max_bytes: int) -> bytes | None:
    """One request and the whole answer (the server closes), within one deadline overall."""
    deadline = time.monotonic() + timeout_s
    request = (f"GET {target} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: allsmi-py\r\n"
               "Accept: application/json\r\nConnection: close\r\n\r\n").encode("ascii")
    limit = max_bytes + 16 * 1024  # the body's cap plus room for the headers
    chunks: list[bytes] = []
    received = 0
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout_s)
            conn.connect(socket_path)
            conn.sendall(request)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                conn.settimeout(left)
                chunk = conn.recv(65536)
                if not chunk:
                    break
                received += len(chunk)
                if received > limit:
                    return None
                chunks.append(chunk)
                if _complete(b"".join(chunks)):
                    break
    except OSError:
        return None
    return b"".join(chunks)


_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*([0-9]{1,9})\r\n", re.IGNORECASE)


def _complete(raw: bytes) -> bool:
    """Whether an answer with a Content-Length has all its body (a server may keep it open)."""
    head_end = raw.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    length = _CONTENT_LENGTH.search(raw[:head_end + 2])
    return length is not None and len(raw) - head_end - 4 >= int(length.group(1))


class _Recorded:
    """The bytes of an answer already read, as the socket http.client parses from."""

    def __init__(self, raw: bytes) -> None:
        self._raw = raw

    def makefile(self, mode: str) -> io.BytesIO:
        return io.BytesIO(self._raw)


def _http_body(raw: bytes, max_bytes: int) -> bytes | None:
    import http.client  # here: it loads ssl (~10 ms), and only the lookup thread needs it

    response = http.client.HTTPResponse(_Recorded(raw))  # type: ignore[arg-type]
    try:
        response.begin()
        if response.status != 200:
            return None
        body = response.read()  # the answer is already capped: this reads no more
    except (http.client.HTTPException, ValueError, OSError):
        return None
    return body if len(body) <= max_bytes else None


class RuntimeNames:
    """Container names by (runtime, id), filled in by a background thread as they come."""

    def __init__(self, sockets: Mapping[str, Sequence[str]] | None = None,
                 timeout_s: float = TIMEOUT_S, max_body_bytes: int = MAX_BODY_BYTES,
                 retry_s: float = RETRY_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._sockets = {k: tuple(v) for k, v in (sockets or default_sockets()).items()}
        self._timeout_s = timeout_s
        self._max_body_bytes = max_body_bytes
        self._retry_s = retry_s
        self._clock = clock
        self._names: dict[tuple[str, str], str] = {}
        self._failed_at: dict[tuple[str, str], float] = {}
        self._pending: set[tuple[str, str]] = set()
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue(MAX_QUEUED)
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self.version = 0  # counts the names learned: a cache of answers is stale when it moves

    def name(self, runtime: str | None, container_id: str | None) -> str | None:
        """The name if known; otherwise None now, and a lookup queued (never waited for)."""
        if runtime not in self._sockets or not container_id:
            return None
        key = (runtime, container_id)
        with self._lock:
            known = self._names.get(key)
            if known is not None or key in self._pending:
                return known
            failed_at = self._failed_at.get(key)
            if failed_at is not None and self._clock() - failed_at < self._retry_s:
                return None
            try:
                self._queue.put_nowait(key)
            except queue.Full:
                return None
            self._pending.add(key)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, args=(self._queue,),
                                                name="allsmi-runtime-names", daemon=True)
                self._thread.start()
        return None

    def wait_settled(self, timeout_s: float) -> bool:
        """Wait until no lookup is queued or running; False if `timeout_s` passed first."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._pending, timeout_s)

    def close(self) -> None:
        """Stop the lookup thread after the lookup it is in; queued ones are dropped, names kept.

        A later `name` starts a new thread (the collector closes its parts between runs)."""
        with self._lock:
            if self._thread is None:
                return
            stopping, self._queue = self._queue, queue.Queue(MAX_QUEUED)
            self._thread = None
            self._pending.clear()
            self._lock.notify_all()
        while not stopping.empty():  # nothing puts here any more: what is queued is dropped
            stopping.get_nowait()
        stopping.put_nowait(None)

    def _work(self, work: queue.Queue[tuple[str, str] | None]) -> None:
        while (key := work.get()) is not None:
            name = self._look_up(*key)
            with self._lock:
                if name is not None:
                    if len(self._names) >= MAX_CACHED:
                        self._names.pop(next(iter(self._names)))
                    self._names[key] = name
                    self._failed_at.pop(key, None)
                    self.version += 1
                else:
                    if len(self._failed_at) >= MAX_CACHED:
                        self._failed_at.pop(next(iter(self._failed_at)))
                    self._failed_at[key] = self._clock()
                self._pending.discard(key)
                self._lock.notify_all()

    def _look_up(self, runtime: str, container_id: str) -> str | None:
        for path in self._sockets[runtime]:
            if usable_socket(path):
                return fetch_container_name(path, container_id, self._timeout_s,
                                            self._max_body_bytes)
        return None
