"""Vendor tools that leave children behind, through each backend's real process path.

The issue: tegrastats' child kept stdout open, so the Jetson backend's close() blocked for
more than 15 s and left orphans. Every backend that runs a tool (streaming or once) must
stop it within a few seconds, children included, whatever they do with the pipes.
"""

from __future__ import annotations

import stat
import sys
import time
from pathlib import Path

import pytest

from allsmi_py.errors import BackendReadError
from backends.apple.backend import AppleBackend
from backends.gaudi.backend import GaudiBackend
from backends.jetson.backend import JetsonBackend
from backends.tpu.backend import TpuBackend
from tests.backends._common.processes import (
    grandchild_pid_file,
    read_pid,
    spawn_sleeper,
    wait_gone,
)

FIXTURES = Path(__file__).parents[1] / "fixtures"
HL_SMI_ROWS = FIXTURES / "gaudi" / "hl-smi_query-aip_csv-noheader_gaudi3-hl325l.csv"


@pytest.fixture
def pid_file(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    return grandchild_pid_file(tmp_path, request)


def python_tool(tmp_path: Path, body: str) -> list[str]:
    script = tmp_path / "fake_tool.py"
    script.write_text(body)
    return [sys.executable, str(script)]


def shell_tool(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.mark.parametrize("ignore_term", [False, True], ids=["sleeper", "ignores-sigterm"])
def test_jetson_close_with_tegrastats_grandchild_holding_stdout(
        tmp_path: Path, pid_file: Path, ignore_term: bool) -> None:
    line = (FIXTURES / "jetson" / "tegrastats_jetson-xavier-nx.txt").read_text().strip()
    body = (spawn_sleeper(pid_file, ignore_term=ignore_term)
            + f"import time\ntime.sleep(0.5)\nprint({line!r}, flush=True)\ntime.sleep(30)\n")
    backend = JetsonBackend(root=str(tmp_path), tegrastats_argv=python_tool(tmp_path, body),
                            first_line_timeout_s=5.0)
    backend.open()
    try:
        deadline = time.monotonic() + 5
        while True:  # the grandchild's "sleeper up" may come first: wait for the real line
            try:
                (device,) = backend.read()
                break
            except BackendReadError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        assert device.power_w == 4.067
        pid = read_pid(pid_file)
    finally:
        started = time.monotonic()
        backend.close()
        elapsed = time.monotonic() - started
    assert elapsed < 3
    assert wait_gone(pid)


def test_jetson_tegrastats_that_exits_leaving_its_child(tmp_path: Path, pid_file: Path) -> None:
    argv = python_tool(tmp_path, spawn_sleeper(pid_file) + "import sys\nsys.exit(7)\n")
    backend = JetsonBackend(root=str(tmp_path), tegrastats_argv=argv, first_line_timeout_s=0.5)
    backend.open()
    pid = read_pid(pid_file)
    try:
        deadline = time.monotonic() + 5
        while True:
            try:
                backend.read()
            except BackendReadError as exc:
                if "status 7" in str(exc) or time.monotonic() > deadline:
                    assert "status 7" in str(exc)
                    break
            time.sleep(0.05)
    finally:
        started = time.monotonic()
        backend.close()
        elapsed = time.monotonic() - started
    assert elapsed < 3
    assert wait_gone(pid)


def test_powermetrics_close_with_a_grandchild(tmp_path: Path, pid_file: Path) -> None:
    argv = python_tool(tmp_path, spawn_sleeper(pid_file) + "import time\ntime.sleep(30)\n")
    backend = AppleBackend(powermetrics_argv=argv, source="powermetrics",
                           first_sample_timeout_s=0.3, sysctl_reader=lambda name: None)
    backend.open()
    pid = read_pid(pid_file)
    started = time.monotonic()
    backend.close()
    assert time.monotonic() - started < 3
    assert wait_gone(pid)


def test_hl_smi_wrapper_whose_background_child_holds_stdout(tmp_path: Path,
                                                            pid_file: Path) -> None:
    tool = shell_tool(tmp_path, "hl-smi", f'sleep 30 & echo $! > "{pid_file}"\n'
                      f'while true; do cat "{HL_SMI_ROWS}"; sleep 1; done')
    backend = GaudiBackend(tool=tool, first_sample_timeout_s=5.0)
    backend.open()
    try:
        assert [d.index for d in backend.read()] == [0, 1]
        pid = read_pid(pid_file)
    finally:
        started = time.monotonic()
        backend.close()
        elapsed = time.monotonic() - started
    assert elapsed < 3
    assert wait_gone(pid)


def test_tpu_info_that_leaves_a_child_on_its_pipes(tmp_path: Path, pid_file: Path) -> None:
    table = FIXTURES / "tpu" / "tpu-info_rich-table_tpu-v4-4chips.txt"
    tool = shell_tool(tmp_path, "tpu-info", f'sleep 30 & echo $! > "{pid_file}"; cat "{table}"')
    started = time.monotonic()
    with TpuBackend(tool=tool, first_sample_timeout_s=5.0) as backend:
        assert len(backend.read()) == 4
    assert time.monotonic() - started < 4
    assert wait_gone(read_pid(pid_file))
