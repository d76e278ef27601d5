"""`allsmi api --socket` end to end, read back by `allsmi snapshot --hosts unix:///...`."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.prometheus_util import REPO, free_port, isolated_env, stop_child, wait_http
from tests.unix_dirs import sock_dir

__all__ = ["sock_dir"]
pytestmark = pytest.mark.slow


def _start(args: Sequence[str], home: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "allsmi_py", "api", *args], cwd=REPO,
                            env=isolated_env(home), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def _get_over_unix(path: Path, target: str) -> bytes:
    """The raw HTTP/1.0 response to GET `target` on the socket at `path`."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        sock.sendall(f"GET {target} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _wait_ready(path: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
        try:
            if _get_over_unix(path, "/-/ready").startswith(b"HTTP/1.1 200"):
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{path} not ready")


def _snapshot(args: Sequence[str], home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "allsmi_py", "snapshot", *args], cwd=REPO,
                          env=isolated_env(home), capture_output=True, text=True, timeout=60)


def test_snapshot_reads_an_exporter_on_a_unix_socket(sock_dir: Path, tmp_path: Path) -> None:
    path = sock_dir / "api.sock"
    proc = _start(["--mock", "h100:2", "--seed", "3", "--socket", str(path)], tmp_path)
    try:
        _wait_ready(path, proc)
        assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600
        # the TCP listener's guards hold here too: a 20 KiB request head gets 431
        huge = "/metrics?" + "a" * 20_000
        assert _get_over_unix(path, huge).startswith(b"HTTP/1.1 431")
        result = _snapshot(["--hosts", f"unix://{path}", f"unix://{sock_dir}/gone.sock"],
                           tmp_path)
        assert result.returncode == 0, result.stderr
        nodes = {n["address"]: n for n in json.loads(result.stdout)["nodes"]}
        live = nodes[f"unix://{path}"]
        assert live["state"] == "ok" and live["source"] == "json"
        assert len(live["snapshot"]["devices"]) == 2
        assert live["snapshot"]["hostname"] == socket.gethostname()
        gone = nodes[f"unix://{sock_dir}/gone.sock"]
        assert gone["state"] == "unreachable" and "No such file" in gone["error"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stderr is not None
        said = proc.stderr.read().decode()
        assert f"serving unix:{path}" in said and "http://" not in said  # no TCP listener
    finally:
        stop_child(proc)
    assert not path.exists()  # removed on exit


def test_socket_beside_tcp_and_sigint_cleans_up(sock_dir: Path, tmp_path: Path) -> None:
    path = sock_dir / "api.sock"
    port = free_port()
    proc = _start(["--mock", "h100:1", "--socket", str(path), "--bind", "127.0.0.1",
                   "--port", str(port)], tmp_path)
    try:
        _wait_ready(path, proc)
        tcp = wait_http(f"http://127.0.0.1:{port}/metrics", proc=proc).text
        over_unix = _snapshot(["--hosts", f"unix://{path}", "--format", "csv"], tmp_path)
        assert over_unix.returncode == 0 and ",ok," in over_unix.stdout, over_unix.stderr
        assert "all_smi_gpu_utilization{" in tcp
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        stop_child(proc)
    assert not path.exists()


def test_a_socket_left_by_a_killed_server_is_taken_over(sock_dir: Path, tmp_path: Path) -> None:
    path = sock_dir / "api.sock"
    first = _start(["--mock", "h100:1", "--socket", str(path)], tmp_path)
    try:
        _wait_ready(path, first)
        first.kill()  # no cleanup: the socket file stays
        first.wait(timeout=10)
    finally:
        stop_child(first)
    assert path.exists()
    second = _start(["--mock", "h100:1", "--socket", str(path)], tmp_path)
    try:
        _wait_ready(path, second)
    finally:
        stop_child(second)
