"""The alert webhook sender against a real local HTTP receiver: 200, 500, hanging, redirects."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from allsmi_py.webhook import WebhookOptions, WebhookSender, shown_url


class Receiver(ThreadingHTTPServer):
    """Answers POSTs with `statuses` in turn (then the last one); `hang` holds them instead."""

    daemon_threads = True

    def __init__(self, statuses: list[int], hang: bool = False, trickle: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.statuses = statuses
        self.hang = hang
        self.trickle = trickle  # answer a byte every 0.1 s: each read is quick, the whole is not
        self.release = threading.Event()
        self.bodies: list[dict[str, object]] = []
        self.paths: list[str] = []
        self.arrived = threading.Semaphore(0)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook?token=secret"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers["content-length"])
        body = json.loads(self.rfile.read(length))
        receiver = self.server
        receiver.bodies.append(body)
        receiver.paths.append(self.path)
        receiver.arrived.release()
        if receiver.hang:
            receiver.release.wait(30)
            return
        if receiver.trickle:
            for byte in b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n":
                if receiver.release.wait(0.1):
                    return
                try:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                except OSError:
                    return
            return
        status = receiver.statuses[min(len(receiver.bodies), len(receiver.statuses)) - 1]
        self.send_response(status)
        if status in (301, 302, 307):
            self.send_header("location", "http://127.0.0.1:1/elsewhere")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def receiving(statuses: list[int], hang: bool = False,
              trickle: bool = False) -> Iterator[Receiver]:
    receiver = Receiver(statuses, hang, trickle)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        receiver.shutdown()
        receiver.server_close()


def _wait(condition: object, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_each_body_is_posted_once_as_json() -> None:
    with receiving([200]) as receiver:
        sender = WebhookSender(WebhookOptions(receiver.url)).start()
        try:
            sender.submit({"rule": "temperature", "to": "warn"})
            sender.submit({"rule": "idle_utilization", "to": "ok"})
            _wait(lambda: sender.sent == 2)
        finally:
            sender.close()
        assert receiver.bodies == [{"rule": "temperature", "to": "warn"},
                                   {"rule": "idle_utilization", "to": "ok"}]
        assert receiver.paths == ["/hook?token=secret"] * 2
        assert (sender.attempts, sender.failed, sender.dropped) == (2, 0, 0)


def test_a_500_is_retried_with_backoff_then_given_up_and_logged_once(
        caplog: pytest.LogCaptureFixture) -> None:
    with receiving([500]) as receiver:
        options = WebhookOptions(receiver.url, retries=2, backoff_s=0.01)
        sender = WebhookSender(options).start()
        try:
            sender.submit({"n": 1})
            sender.submit({"n": 2})
            _wait(lambda: sender.failed == 2)
        finally:
            sender.close()
        assert len(receiver.bodies) == 6 and sender.attempts == 6 and sender.sent == 0
    lines = [r.getMessage() for r in caplog.records if r.name == "allsmi_py.webhook"]
    assert len(lines) == 1 and "answered 500" in lines[0]
    assert "secret" not in lines[0] and "/..." in lines[0]


def test_a_500_then_200_is_sent_on_the_retry() -> None:
    with receiving([500, 503, 200]) as receiver:
        sender = WebhookSender(WebhookOptions(receiver.url, backoff_s=0.01)).start()
        try:
            sender.submit({"n": 1})
            _wait(lambda: sender.sent == 1)
        finally:
            sender.close()
        assert sender.attempts == 3 and sender.failed == 0


@pytest.mark.parametrize("status", [400, 404, 302])
def test_a_client_error_or_a_redirect_is_not_retried_nor_followed(status: int) -> None:
    with receiving([status]) as receiver:
        sender = WebhookSender(WebhookOptions(receiver.url, backoff_s=0.01)).start()
        try:
            sender.submit({"n": 1})
            _wait(lambda: sender.failed == 1)
        finally:
            sender.close()
        assert sender.attempts == 1 and len(receiver.bodies) == 1


def test_a_hanging_receiver_times_out_and_never_blocks_the_caller() -> None:
    with receiving([200], hang=True) as receiver:
        options = WebhookOptions(receiver.url, timeout_s=0.2, retries=1, backoff_s=0.01,
                                 queue_size=4)
        sender = WebhookSender(options).start()
        try:
            sender.submit({"n": 0})
            assert receiver.arrived.acquire(timeout=5)
            for n in range(1, 101):  # the sender is stuck on the first: these only queue
                sender.submit({"n": n})
            assert sender.pending() == 4 and sender.dropped == 96
            # Each POST is cut off after its timeout: the first body twice, then the next.
            _wait(lambda: len(receiver.bodies) >= 3)
        finally:
            sender.close()
        # The newest bodies were kept: the queue dropped its oldest.
        assert receiver.bodies[:3] == [{"n": 0}, {"n": 0}, {"n": 97}]
        assert sender.failed >= 1


def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_timeout() -> None:
    with receiving([200], trickle=True) as receiver:
        options = WebhookOptions(receiver.url, timeout_s=0.3, retries=0)
        sender = WebhookSender(options).start()
        try:
            sender.submit({"n": 1})
            _wait(lambda: sender.failed == 1)
        finally:
            sender.close()
        assert sender.sent == 0 and sender.attempts == 1


def test_a_full_queue_drops_the_oldest_and_counts_it() -> None:
    sender = WebhookSender(WebhookOptions("http://127.0.0.1:9/x", queue_size=3))  # not started
    for n in range(5):
        sender.submit({"n": n})
    assert sender.pending() == 3 and sender.dropped == 2
    assert [body["n"] for body in sender._queue] == [2, 3, 4]


def test_a_receiver_that_is_not_there_counts_as_failed() -> None:
    with receiving([200]) as receiver:
        url = receiver.url
    sender = WebhookSender(WebhookOptions(url, retries=1, backoff_s=0.01)).start()
    try:
        sender.submit({"n": 1})
        _wait(lambda: sender.failed == 1)
    finally:
        sender.close()
    assert sender.attempts == 2


def test_close_returns_while_a_post_hangs() -> None:
    with receiving([200], hang=True) as receiver:
        sender = WebhookSender(WebhookOptions(receiver.url, timeout_s=30)).start()
        sender.submit({"n": 1})
        assert receiver.arrived.acquire(timeout=5)
        sender.close(wait_s=0.1)  # a daemon thread: the process may exit under it


@pytest.mark.parametrize("url", ["", "ftp://host/x", "http://", "hooks.example.com/x",
                                 "file:///etc/passwd"])
def test_only_http_urls_with_a_host_are_taken(url: str) -> None:
    with pytest.raises(ValueError, match="http:// or https://"):
        WebhookOptions(url)


def test_urls_in_logs_show_scheme_and_host_only() -> None:
    assert shown_url("https://user:pw@hooks.slack.com/services/T0/B0/XYZ") == \
        "https://hooks.slack.com/..."
    assert shown_url("http://10.0.0.1:8080/?key=abc") == "http://10.0.0.1:8080/..."
    assert shown_url("http://receiver") == "http://receiver"
