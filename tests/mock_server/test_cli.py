"""The command line: bad input exits 2 with one line and nothing started; hostfile; shutdown."""

from __future__ import annotations

import re
import resource
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mock_server import limits
from mock_server.cli import main
from tests.prometheus_util import REPO


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == "" and len(lines) == 1, captured
    assert lines[0].startswith("allsmi-mock: error: ")
    return lines[0]


@pytest.mark.parametrize(("argv", "words"), [
    (["--mix", "h100:8=60%,m3max=10%"], ["70%", "not 100%"]),
    (["--mix", "h100:8=60%,tpu=40%"], ["unknown mock profile", "valid"]),
    (["--mix", "h100:8"], ["SPEC=PERCENT"]),
    (["--mock", "h100:99"], ["--mock", "1 to 64"]),
    (["--platform", "tpu"], ["--platform", "nvidia"]),
    (["--nodes", "4", "--fail-500", "3", "--fail-down", "2"], ["5 failing nodes", "only 4"]),
    (["--fail-slow", "2"], ["K:SECONDS"]),
    (["--port-range", "20-10"], ["--port-range"]),
    (["--nodes", "3", "--start-port", "65534"], ["past 65535"]),
    (["--interval", "0"], ["--interval"]),
    (["--nodes", "2", "--port-range", "1-2"], ["not allowed with"]),
    (["--bogus"], ["unrecognized", "--help"]),
])
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                          words: list[str]) -> None:
    assert main(argv) == 2
    line = _error_line(capsys)
    for word in words:
        assert word in line


def _free_block(size: int) -> int:
    for base in range(31000, 60000, 97):  # bounded search for `size` free consecutive ports
        socks = []
        try:
            for port in range(base, base + size):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise AssertionError("no free port block")


def test_port_in_use_exits_2_and_leaves_nothing_behind(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path) -> None:
    base = _free_block(6)
    hostfile = tmp_path / "hosts.txt"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base + 3))
        taken.listen()
        code = main(["--port-range", f"{base}-{base + 5}", "--hostfile", str(hostfile)])
    assert code == 2
    line = _error_line(capsys)
    assert f"port {base + 3} (node-0004)" in line and "--port-range" in line
    assert not hostfile.exists()
    for port in range(base, base + 6):  # every port it had bound is free again
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))


def test_more_nodes_than_open_files_exits_2(capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resource, "getrlimit", lambda which: (256, 1024))
    monkeypatch.setattr(resource, "setrlimit", lambda which, value: None)
    assert main(["--nodes", "1000", "--start-port", "0"]) == 2
    line = _error_line(capsys)
    assert "open files" in line and "1024" in line and "ulimit -Hn" in line


def test_open_file_limit_is_raised_for_the_nodes() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        got = limits.raise_open_file_limit(100)
        assert got >= limits.files_needed(100)
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= limits.files_needed(100)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_hostfile_lists_every_node_and_sigterm_stops_cleanly(tmp_path: Path) -> None:
    hostfile = tmp_path / "hosts.txt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "--nodes", "5", "--start-port", "0", "--seed", "1",
         "--mix", "h100:2=60%,m3max+rngd:1=40%", "--fail-down", "1", "--hostfile", str(hostfile)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline()
        assert re.search(r"5 nodes ready on 127\.0\.0\.1 .*seed 1.*faults downx1", ready), ready
        lines = hostfile.read_text().splitlines()
        assert len(lines) == 5 and all(re.fullmatch(r"127\.0\.0\.1:\d{1,5}", x) for x in lines)
        assert len(set(lines)) == 5
        answers = []
        for line in lines:
            try:
                answers.append(httpx.get(f"http://{line}/snapshot", timeout=5).json()["hostname"])
            except httpx.ConnectError:
                answers.append("refused")
        assert answers.count("refused") == 1
        assert sorted(a for a in answers if a != "refused") == sorted(
            f"node-{i:04d}" for i in range(1, 6) if answers[i - 1] != "refused")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert err == ""
