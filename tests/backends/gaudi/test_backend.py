"""GaudiBackend's streaming hl-smi: availability here, a stream, and a tool that misbehaves."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from allsmi_py.errors import BackendReadError, BackendUnavailable
from backends.gaudi.backend import GaudiBackend

FIXTURE = (
    Path(__file__).parents[2]
    / "fixtures"
    / "gaudi"
    / "hl-smi_query-aip_csv-noheader_gaudi3-hl325l.csv"
)


def fake_tool(tmp_path: Path, body: str) -> str:
    path = tmp_path / "hl-smi"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_unavailable_here_with_a_reason_and_fast() -> None:
    start = time.perf_counter()
    availability = GaudiBackend.available()
    elapsed = time.perf_counter() - start
    assert not availability
    assert "Habana" in availability.reason or "hl-smi" in availability.reason
    assert elapsed < 0.05


def test_streamed_rows_are_read_and_the_tool_is_killed_on_close(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    tool = fake_tool(
        tmp_path,
        f'echo $$ > "{pid_file}"; case "$*" in *"-l 1"*) ;; *) exit 3;; esac\n'
        f'while true; do cat "{FIXTURE}"; sleep 1; done',
    )
    backend = GaudiBackend(tool=tool, first_sample_timeout_s=5.0)
    with backend:
        devices = backend.read()
        assert [d.index for d in devices] == [0, 1]
        assert devices[1].power_w == 230.0
        assert backend.read()[0].temperature_c == 36.0
    pid = int(pid_file.read_text())
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()


def test_silent_tool_is_a_read_error_not_a_hang(tmp_path: Path) -> None:
    backend = GaudiBackend(tool=fake_tool(tmp_path, "sleep 30"), first_sample_timeout_s=0.3)
    start = time.monotonic()
    try:
        with pytest.raises(BackendReadError, match="no output from hl-smi"):
            backend.read()
    finally:
        backend.close()
    assert time.monotonic() - start < 5


def test_garbage_is_a_read_error_with_the_reason(tmp_path: Path) -> None:
    backend = GaudiBackend(
        tool=fake_tool(tmp_path, "echo 'Segmentation fault?'; sleep 30"),
        first_sample_timeout_s=5.0,
    )
    try:
        with pytest.raises(BackendReadError, match="unexpected line"):
            backend.read()
    finally:
        backend.close()


def test_tool_that_exits_reports_its_message(tmp_path: Path) -> None:
    tool = fake_tool(tmp_path, "echo 'hl-smi: driver not loaded' >&2; exit 1")
    backend = GaudiBackend(tool=tool, first_sample_timeout_s=2.0)
    try:
        with pytest.raises(BackendReadError, match="exited with 1: hl-smi: driver not loaded"):
            backend.read()
    finally:
        backend.close()


def test_missing_tool_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable, match="cannot run"):
        GaudiBackend(tool=str(tmp_path / "absent")).open()
