"""`allsmi api` end to end: a real uvicorn server in a subprocess."""

from __future__ import annotations

import http.client
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.prometheus_util import REPO, free_port, isolated_env, run_api

pytestmark = pytest.mark.slow


def test_serves_ready_metrics_snapshot_with_keep_alive(tmp_path: Path) -> None:
    with run_api(["--mock", "h100:8", "--seed", "1", "--interval", "0.5"], tmp_path,
                 wait_path=None) as api:
        seen: list[int] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (not seen or seen[-1] != 200):
            try:
                seen.append(httpx.get(api.url + "/-/ready", timeout=2).status_code)
            except httpx.TransportError:
                time.sleep(0.02)
        assert seen and seen[-1] == 200
        assert set(seen) <= {200, 503} and seen == sorted(seen, reverse=True)  # 503s, then 200

        conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=5)
        conn.connect()
        first_sock = conn.sock
        for path in ("/metrics", "/snapshot", "/metrics", "/healthz"):
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200 and not response.will_close, path
            assert conn.sock is first_sock  # the same TCP connection served every request
        timings = []
        for _ in range(11):  # delayed-ACK stalls (no TCP_NODELAY) would cost ~40 ms each
            started = time.perf_counter()
            conn.request("GET", "/metrics")
            conn.getresponse().read()
            timings.append(time.perf_counter() - started)
        # a delayed-ACK stall costs every request ~40 ms; on a loaded 2-core runner some
        # requests are slow anyway, so ask only that a few are clearly faster than a stall
        assert sum(t < 0.03 for t in timings) >= 3, timings
        conn.close()
        text = httpx.get(api.url + "/metrics").text
        assert text.count("all_smi_gpu_utilization{") == 8
        assert 'all_smi_up{instance="' in text and "all_smi_process_" not in text
        assert body == b"ok\n"


def test_processes_flag(tmp_path: Path) -> None:
    with run_api(["--mock", "h100:2", "--processes"], tmp_path, wait_path="/-/ready") as api:
        assert "all_smi_process_memory_used_bytes{" in httpx.get(api.url + "/metrics").text


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_shuts_down_cleanly_with_exit_0(tmp_path: Path, sig: int) -> None:
    with run_api(["--mock", "h100:1"], tmp_path, wait_path="/-/ready") as api:
        api.proc.send_signal(sig)
        assert api.proc.wait(timeout=10) == 0
        assert api.proc.stderr is not None
        assert b"Traceback" not in api.proc.stderr.read()


def _run(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "allsmi_py", "api", *args], cwd=REPO,
                          env=isolated_env(home), capture_output=True, text=True, timeout=30)


def _one_line_usage_error(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = _run(["--mock", "h100:1", "--bind", "127.0.0.1", "--port", str(port)], tmp_path)
    _one_line_usage_error(result, "address already in use")


@pytest.mark.parametrize(("args", "words"), [
    (["--port", "70000"], "between 1 and 65535"),
    (["--port", "0"], "between 1 and 65535"),
    (["--port", "http"], "invalid int value"),
    (["--bind", "256.1.1.1"], "cannot listen on 256.1.1.1"),
    (["--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"], "cannot load TLS"),
    (["--tls-cert", "/nonexistent.pem"], "both --tls-cert and --tls-key"),
    (["--basic-auth", "nocolon"], "USER:PASSWORD"),
    (["--interval", "0"], "--interval"),
    (["--mock", "nosuchgpu:2"], "nosuchgpu"),
])
def test_bad_input_is_a_one_line_error(tmp_path: Path, args: list[str], words: str) -> None:
    port = str(free_port())
    base = ["--bind", "127.0.0.1", "--port", port] if "--port" not in args else []
    mock = [] if "--mock" in args else ["--mock", "h100:1"]
    _one_line_usage_error(_run([*base, *mock, *args], tmp_path), words)


def test_unreadable_cert_file(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("not a certificate")
    result = _run(["--mock", "h100:1", "--port", str(free_port()), "--tls-cert", str(cert),
                   "--tls-key", str(cert)], tmp_path)
    _one_line_usage_error(result, "cannot load TLS")


def test_slow_and_huge_clients_do_not_stall_scrapes(tmp_path: Path) -> None:
    with run_api(["--mock", "h100:8"], tmp_path, wait_path="/-/ready") as api:
        slow = [socket.create_connection(("127.0.0.1", api.port)) for _ in range(20)]
        for sock in slow:  # slowloris: headers that never end
            sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        huge = socket.create_connection(("127.0.0.1", api.port))
        huge.settimeout(5)
        try:
            huge.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 2_000_000
                         + b"\r\n\r\n")
        except OSError:
            pass  # the server may cut us off mid-send: that is fine
        garbage = socket.create_connection(("127.0.0.1", api.port))
        garbage.sendall(b"\x16\x03\x01 not http at all\r\n\r\n")
        try:
            started = time.monotonic()
            for _ in range(20):
                response = httpx.get(api.url + "/metrics", timeout=2)
                assert response.status_code == 200
            assert time.monotonic() - started < 5
            garbage.settimeout(5)
            reply = garbage.recv(200)
            assert reply == b"" or reply.startswith(b"HTTP/1.1 400")
        finally:
            for sock in [*slow, huge, garbage]:
                sock.close()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")
def test_tls(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    port = free_port()
    trust = ssl.create_default_context(cafile=str(cert))
    with run_api(["--mock", "h100:1", "--tls-cert", str(cert), "--tls-key", str(key)], tmp_path,
                 port=port, wait_path=None) as api:
        url = f"https://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(url + "/-/ready", verify=trust, timeout=2)
                if response.status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or api.proc.poll() is not None:
                    raise
            time.sleep(0.05)
        assert "all_smi_gpu_info{" in httpx.get(url + "/metrics", verify=trust).text
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_auth_token_from_flag(tmp_path: Path) -> None:
    with run_api(["--mock", "h100:1", "--auth-token", "tok"], tmp_path) as api:
        assert httpx.get(api.url + "/metrics").status_code == 401
        ok = httpx.get(api.url + "/metrics", headers={"Authorization": "Bearer tok"})
        assert ok.status_code == 200
