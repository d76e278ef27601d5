"""RebellionsBackend I/O: availability here, and rbln-smi that hangs, fails or prints garbage."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest

from allsmi_py.errors import BackendReadError
from backends.rebellions.backend import RebellionsBackend
from tests.backends.rebellions.test_parse import documented_doc


def fake_tool(tmp_path: Path, body: str) -> str:
    path = tmp_path / "rbln-smi"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_unavailable_here_with_a_reason_and_fast() -> None:
    start = time.perf_counter()
    availability = RebellionsBackend.available()
    elapsed = time.perf_counter() - start
    assert not availability
    assert "rbln" in availability.reason
    assert elapsed < 0.05


def test_reads_devices_from_the_tool(tmp_path: Path) -> None:
    """The fake tool prints JSON built from the documented layout, not a captured sample."""
    sample = tmp_path / "sample.json"
    sample.write_text(json.dumps(documented_doc()))
    tool = fake_tool(tmp_path, f'[ "$1" = -j ] || exit 2; cat "{sample}"')
    with RebellionsBackend(tool=tool) as backend:
        devices = backend.read()
    assert [d.index for d in devices] == [0, 1]
    assert devices[0].power_w == 17.5


def test_hanging_tool_is_killed_and_reported(tmp_path: Path) -> None:
    backend = RebellionsBackend(tool=fake_tool(tmp_path, "sleep 30"), timeout_s=0.5)
    start = time.monotonic()
    with pytest.raises(BackendReadError, match="did not answer"):
        backend.read()
    assert time.monotonic() - start < 5


def test_garbage_output_is_a_read_error(tmp_path: Path) -> None:
    backend = RebellionsBackend(tool=fake_tool(tmp_path, "echo 'Device busy'"))
    with pytest.raises(BackendReadError, match="malformed JSON"):
        backend.read()


def test_failing_tool_reports_its_message(tmp_path: Path) -> None:
    tool = fake_tool(tmp_path, "echo 'failed to open /dev/rbln0' >&2; exit 1")
    with pytest.raises(BackendReadError, match="failed to open /dev/rbln0"):
        RebellionsBackend(tool=tool).read()
