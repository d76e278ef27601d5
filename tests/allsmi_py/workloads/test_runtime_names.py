"""runtime_names.py against a real HTTP server on a unix socket, polite and hostile."""

from __future__ import annotations

import json
import os
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from allsmi_py.workloads.runtime_names import (
    RuntimeNames,
    default_sockets,
    fetch_container_name,
    usable_socket,
)
from tests.unix_dirs import sock_dir

__all__ = ["sock_dir"]

CID = "3f1c9a7be2d04b8c9e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70819"
Reply = Callable[[socket.socket, bytes], None]


def _answer(body: bytes, status: str = "200 OK", extra: str = "") -> bytes:
    head = (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n")
    return head.encode() + body


def polite(conn: socket.socket, request: bytes) -> None:
    target = request.split(b" ")[1].decode()
    if target != f"/containers/{CID}/json":
        conn.sendall(_answer(b'{"message":"No such container"}', "404 Not Found"))
        return
    conn.sendall(_answer(json.dumps({"Id": CID, "Name": "/trainer-1"}).encode()))


@contextmanager
def serving(path: Path, reply: Reply) -> Iterator[list[bytes]]:
    """A unix socket HTTP server at `path` answering each request with `reply`."""
    requests: list[bytes] = []
    release = threading.Event()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = self.request.recv(4096)
                if not chunk:
                    return
                data += chunk
            requests.append(data)
            reply(self.request, data)
            if reply is hang:
                release.wait(10)

    server = socketserver.ThreadingUnixStreamServer(str(path), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield requests
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(10)


def hang(conn: socket.socket, request: bytes) -> None:
    """Reads the request and answers nothing (the handler then waits)."""


def test_polite_server(sock_dir: Path) -> None:
    path = sock_dir / "docker.sock"
    with serving(path, polite) as requests:
        assert fetch_container_name(str(path), CID) == "trainer-1"
        assert fetch_container_name(str(path), "f" * 64) is None  # 404
    assert requests[0].startswith(f"GET /containers/{CID}/json HTTP/1.1\r\n".encode())


def test_id_that_is_not_an_id_is_never_sent(sock_dir: Path) -> None:
    path = sock_dir / "docker.sock"
    with serving(path, polite) as requests:
        assert fetch_container_name(str(path), "../../info") is None
    assert requests == []


def test_chunked_answer(sock_dir: Path) -> None:
    def chunked(conn: socket.socket, request: bytes) -> None:
        body = json.dumps({"Name": "/chunky"}).encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
                     f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")

    path = sock_dir / "docker.sock"
    with serving(path, chunked):
        assert fetch_container_name(str(path), CID) == "chunky"


def test_hung_server_costs_the_timeout_and_no_name(sock_dir: Path) -> None:
    path = sock_dir / "docker.sock"
    with serving(path, hang):
        assert fetch_container_name(str(path), CID, timeout_s=0.05) is None


def test_drip_fed_headers_are_cut_at_the_deadline(sock_dir: Path) -> None:
    def drip(conn: socket.socket, request: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(400):
            try:
                conn.sendall(b"X-Slow: 1\r\n")
            except OSError:
                return
            threading.Event().wait(0.01)

    path = sock_dir / "docker.sock"
    with serving(path, drip):
        assert fetch_container_name(str(path), CID, timeout_s=0.1) is None


def test_garbage_answers(sock_dir: Path) -> None:
    answers = [
        b"\x00\xff\xfe garbage \r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nnot j",
        _answer(b"[1, 2, 3]"),
        _answer(b'{"Name": 42}'),
        _answer(b'{"Name": "/bad name; rm -rf"}'),
        _answer(b'{"Name": "/' + b"x" * 300 + b'"}'),
        _answer(b"[" * 100_000 + b"]" * 100_000),
        _answer(b'{"Name": "/ok"}', "500 Internal Server Error"),
        b"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n{\"Name\": \"/short\"}",
    ]
    for raw in answers:
        path = sock_dir / "docker.sock"
        with serving(path, lambda conn, _request, raw=raw: conn.sendall(raw)):
            assert fetch_container_name(str(path), CID) is None, raw[:60]
        path.unlink()


def test_huge_body_is_refused_at_the_cap(sock_dir: Path) -> None:
    def huge(conn: socket.socket, request: bytes) -> None:
        body = b'{"Name": "/big", "Pad": "' + b"a" * 4_000_000 + b'"}'
        try:
            conn.sendall(_answer(body))
        except OSError:
            pass  # the client hung up at its cap

    path = sock_dir / "docker.sock"
    with serving(path, huge):
        assert fetch_container_name(str(path), CID, timeout_s=2.0, max_bytes=64 * 1024) is None


def test_no_socket_and_not_a_socket(sock_dir: Path) -> None:
    assert not usable_socket(str(sock_dir / "missing.sock"))
    plain = sock_dir / "plain.sock"
    plain.write_text("")
    assert not usable_socket(str(plain))
    assert fetch_container_name(str(sock_dir / "missing.sock"), CID) is None


def test_socket_without_permission_is_not_tried(sock_dir: Path) -> None:
    path = sock_dir / "docker.sock"
    with serving(path, polite) as requests:
        assert usable_socket(str(path))
        os.chmod(path, 0)
        if os.geteuid() != 0:  # root may connect whatever the mode
            assert not usable_socket(str(path))
            names = RuntimeNames({"docker": (str(path),)})
            names.name("docker", CID)
            assert names.wait_settled(5)
            assert requests == []
            names.close()


def test_default_sockets() -> None:
    found = default_sockets({"XDG_RUNTIME_DIR": "/run/user/1000"})
    assert found["docker"] == ("/var/run/docker.sock",)
    assert found["podman"] == ("/run/podman/podman.sock", "/run/user/1000/podman/podman.sock")
    assert default_sockets({"XDG_RUNTIME_DIR": "relative"})["podman"] == (
        "/run/podman/podman.sock",)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_names_come_from_the_background_and_are_cached(sock_dir: Path) -> None:
    path = sock_dir / "podman.sock"
    with serving(path, polite) as requests:
        names = RuntimeNames({"podman": (str(path),)})
        assert names.name("podman", CID) is None  # not waited for
        assert names.wait_settled(5)
        assert names.name("podman", CID) == "trainer-1"
        assert names.name("podman", CID) == "trainer-1"
        assert names.name("docker", CID) is None  # no socket for that runtime
        assert names.name("cri-o", CID) is None
        assert names.name("podman", None) is None
        names.close()
    assert len(requests) == 1


def test_failures_are_retried_only_after_a_while(sock_dir: Path) -> None:
    path = sock_dir / "docker.sock"
    clock = Clock()
    with serving(path, hang) as requests:
        names = RuntimeNames({"docker": (str(path),)}, timeout_s=0.05, retry_s=60.0,
                             clock=clock)
        names.name("docker", CID)
        assert names.wait_settled(5)
        for _ in range(5):
            assert names.name("docker", CID) is None
        assert names.wait_settled(5)
        assert len(requests) == 1
        clock.now += 60.0
        names.name("docker", CID)
        assert names.wait_settled(5)
        assert len(requests) == 2
        names.close()


def test_name_never_blocks_on_a_hung_socket(sock_dir: Path) -> None:
    path = sock_dir / "docker.sock"
    with serving(path, hang):
        names = RuntimeNames({"docker": (str(path),)}, timeout_s=30.0)
        done = threading.Event()

        def ask_many() -> None:
            for n in range(300):  # more than the queue holds
                names.name("docker", f"{n:064x}")
            done.set()

        threading.Thread(target=ask_many, daemon=True).start()
        # Each lookup hangs for 30 s; the asking finishes long before the first one does.
        assert done.wait(20)
        names.close()


def test_close_then_ask_again(sock_dir: Path) -> None:
    path = sock_dir / "docker.sock"
    with serving(path, polite) as requests:
        names = RuntimeNames({"docker": (str(path),)})
        names.close()  # before any thread: nothing to stop
        names.name("docker", CID)
        assert names.wait_settled(5)
        names.close()
        assert names.name("docker", CID) == "trainer-1"  # names survive a close
        names.name("docker", "e" * 64)  # a new thread after the close
        assert names.wait_settled(5)
        names.close()
    assert len(requests) == 2
