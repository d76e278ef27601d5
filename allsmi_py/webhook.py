"""POSTing JSON bodies to one webhook URL from a thread of its own (issue 21, item 2).

`submit()` never blocks: it puts the body on a bounded queue and returns; when the queue is
full the oldest body waiting is dropped, and counted. The sender thread POSTs one body at a
time within `timeout_s` for the whole exchange (connect, request, answer: a receiver that
hangs or trickles is cut off), retries network failures, timeouts, 5xx, 408 and 429 with
exponential backoff, gives up at once on any other answer, and follows no redirect (as
all-smi: a redirect could turn the POST onto an internal service). Failures are counted and
logged at most once a minute, with the URL reduced to its scheme and host.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

QUEUE_SIZE = 64  # all-smi's WEBHOOK_QUEUE_CAPACITY
TIMEOUT_S = 2.0  # all-smi's WEBHOOK_TIMEOUT
MAX_REPLY_BYTES = 64 * 1024  # read (and ignore) at most this much of an answer
RETRIED = frozenset({408, 429})  # and every 5xx
LOG_EVERY_S = 60.0


@dataclass(frozen=True, slots=True)
class WebhookOptions:
    """Where and how to POST: the URL, seconds per POST, retries, first backoff, queue size."""

    url: str
    timeout_s: float = TIMEOUT_S
    retries: int = 3
    backoff_s: float = 0.5  # before the first retry; doubled before each next one
    queue_size: int = QUEUE_SIZE

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the webhook URL must be http:// or https:// with a host (the "
                             "value is not shown: it may hold a token)")
        if not (self.timeout_s > 0 and self.backoff_s >= 0 and self.retries >= 0
                and self.queue_size > 0):
            raise ValueError("webhook timeout and queue size must be positive, retries and "
                             "backoff not negative")


def shown_url(url: str) -> str:
    """The URL as logs may show it: scheme and host only (a path or query may hold a token)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or "?"
    rest = "/..." if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme or '?'}://{host}{f':{port}' if port else ''}{rest}"


class WebhookSender:
    """A queue of JSON bodies and the daemon thread that POSTs them, oldest first."""

    def __init__(self, options: WebhookOptions) -> None:
        self.options = options
        parts = urlsplit(options.url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._queue: deque[Mapping[str, Any]] = deque()
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alert-webhook", daemon=True)
        self._logged_at: float | None = None
        self.sent = 0
        self.failed = 0  # bodies given up on after their retries
        self.dropped = 0  # bodies pushed out of a full queue before they were tried
        self.attempts = 0

    def start(self) -> WebhookSender:
        """Start the sender thread; returns self."""
        self._thread.start()
        return self

    def submit(self, body: Mapping[str, Any]) -> None:
        """Queue one JSON body; returns at once (a full queue drops its oldest)."""
        with self._wake:
            if len(self._queue) >= self.options.queue_size:
                self._queue.popleft()
                self.dropped += 1
            self._queue.append(body)
            self._wake.notify()

    def pending(self) -> int:
        """Bodies waiting to be sent."""
        with self._wake:
            return len(self._queue)

    def close(self, wait_s: float = 0.5) -> None:
        """Stop the thread, waiting at most `wait_s` for a POST under way; the rest is dropped."""
        self._stop.set()
        with self._wake:
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(wait_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._wake:
                while not self._queue and not self._stop.is_set():
                    self._wake.wait()
                if self._stop.is_set():
                    return
                body = self._queue.popleft()
            self._deliver(json.dumps(body, separators=(",", ":")).encode())

    def _deliver(self, data: bytes) -> None:
        problem = ""
        for attempt in range(self.options.retries + 1):
            if attempt and self._stop.wait(self.options.backoff_s * 2 ** (attempt - 1)):
                return
            self.attempts += 1
            status, problem = self._post(data)
            if status is not None and 200 <= status < 300:
                self.sent += 1
                return
            if status is not None and status < 500 and status not in RETRIED:
                break
        self.failed += 1
        self._log(problem)

    def _post(self, data: bytes) -> tuple[int | None, str]:
        """(HTTP status or None, what went wrong) of one POST within timeout_s."""
        timeout_s = self.options.timeout_s
        conn: http.client.HTTPConnection
        if self._https:
            conn = http.client.HTTPSConnection(self._host, self._port, timeout=timeout_s,
                                               context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=timeout_s)
        # The socket timeout bounds each read; this bounds the whole exchange.
        watchdog = threading.Timer(timeout_s, _cut, args=(conn,))
        watchdog.daemon = True
        watchdog.start()
        try:
            conn.request("POST", self._target, body=data, headers={
                "content-type": "application/json", "user-agent": "allsmi-py"})
            response = conn.getresponse()
            response.read(MAX_REPLY_BYTES)
            status = response.status
            return status, f"answered {status}"
        except (OSError, http.client.HTTPException) as exc:
            return None, f"{type(exc).__name__}: {exc}"[:200]
        finally:
            watchdog.cancel()
            conn.close()

    def _log(self, problem: str) -> None:
        now = time.monotonic()
        if self._logged_at is None or now - self._logged_at >= LOG_EVERY_S:
            self._logged_at = now
            log.warning("alert webhook %s: giving up on one alert after %d tries (%s); "
                        "%d given up on so far, logged at most once a minute",
                        shown_url(self.options.url), self.options.retries + 1, problem,
                        self.failed)


def _cut(conn: http.client.HTTPConnection) -> None:
    sock = conn.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes a recv() blocked in the sender thread
        except OSError:
            pass
