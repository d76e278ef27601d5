"""TpuBackend I/O: availability here, and a tpu-info that hangs, fails or prints garbage."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from allsmi_py.errors import BackendReadError
from backends.tpu.backend import TpuBackend

FIXTURE = Path(__file__).parents[2] / "fixtures" / "tpu" / "tpu-info_rich-table_tpu-v4-4chips.txt"


def fake_tool(tmp_path: Path, body: str) -> str:
    path = tmp_path / "tpu-info"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_unavailable_here_with_a_reason_and_fast() -> None:
    availability = TpuBackend.available()  # no process: see tests/backends/test_contract.py
    assert not availability
    assert "TPU" in availability.reason or "tpu-info" in availability.reason


def test_reads_the_latest_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TPU_ACCELERATOR_TYPE", "v4-8")
    tool = fake_tool(tmp_path, f'[ "$NO_COLOR" = 1 ] || exit 9; cat "{FIXTURE}"')
    with TpuBackend(tool=tool, first_sample_timeout_s=5.0) as backend:
        chips = backend.read()
    assert len(chips) == 4
    assert chips[0].details["accelerator_type"] == "v4-8"


def test_hanging_tool_is_a_read_error_and_close_is_prompt(tmp_path: Path) -> None:
    backend = TpuBackend(tool=fake_tool(tmp_path, "sleep 30"), first_sample_timeout_s=0.3)
    start = time.monotonic()
    with pytest.raises(BackendReadError, match="waiting for the first"):
        backend.read()
    backend.close()
    assert time.monotonic() - start < 5


def test_timeout_is_reported(tmp_path: Path) -> None:
    backend = TpuBackend(
        tool=fake_tool(tmp_path, "sleep 30"), timeout_s=0.3, first_sample_timeout_s=5.0
    )
    try:
        with pytest.raises(BackendReadError, match="did not answer within 0.3 s"):
            backend.read()
    finally:
        backend.close()


def test_garbage_output_is_a_read_error(tmp_path: Path) -> None:
    tool = fake_tool(tmp_path, "echo 'Traceback: grpc._channel._InactiveRpcError'; exit 1")
    backend = TpuBackend(tool=tool, first_sample_timeout_s=5.0)
    try:
        with pytest.raises(BackendReadError, match="no chip table .*InactiveRpcError"):
            backend.read()
    finally:
        backend.close()
