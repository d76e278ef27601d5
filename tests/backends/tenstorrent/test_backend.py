"""TenstorrentBackend I/O: availability here, and tt-smi that hangs, fails or prints garbage.

Each backend gets an empty `root`, so it finds no tt-kmd sysfs and uses the fake tt-smi even on
a machine with a card.
"""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from allsmi_py.errors import BackendReadError
from backends.tenstorrent.backend import TenstorrentBackend

FIXTURE = (
    Path(__file__).parents[2]
    / "fixtures"
    / "tenstorrent"
    / "tt-smi_snapshot_blackhole-p300c_compact.json"
)


def fake_tool(tmp_path: Path, body: str) -> str:
    path = tmp_path / "tt-smi"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_unavailable_here_with_a_reason_and_fast() -> None:
    availability = TenstorrentBackend.available()  # no process: tests/backends/test_contract.py
    assert not availability
    assert "tenstorrent" in availability.reason or "tt-smi" in availability.reason


def test_reads_devices_from_the_tool(tmp_path: Path) -> None:
    tool = fake_tool(tmp_path, f'echo "Detecting chips..."; cat "{FIXTURE}"')
    with TenstorrentBackend(tool=tool, root=str(tmp_path)) as backend:
        [dev] = backend.read()
    assert dev.name == "Tenstorrent Blackhole p300c"
    assert dev.power_w == 16.0


def test_hanging_tool_is_killed_and_reported(tmp_path: Path) -> None:
    tool = fake_tool(tmp_path, "sleep 30")
    backend = TenstorrentBackend(tool=tool, timeout_s=0.5, root=str(tmp_path))
    start = time.monotonic()
    with pytest.raises(BackendReadError, match="did not answer"):
        backend.read()
    assert time.monotonic() - start < 5


def test_garbage_output_is_a_read_error(tmp_path: Path) -> None:
    backend = TenstorrentBackend(tool=fake_tool(tmp_path, "echo '{\"device_info\": [1'"),
                                 root=str(tmp_path))
    with pytest.raises(BackendReadError, match="malformed JSON"):
        backend.read()


def test_failing_tool_reports_its_message(tmp_path: Path) -> None:
    tool = fake_tool(tmp_path, "echo 'No Tenstorrent devices detected' >&2; exit 1")
    with pytest.raises(BackendReadError, match="No Tenstorrent devices detected"):
        TenstorrentBackend(tool=tool, root=str(tmp_path)).read()


def test_missing_tool_is_a_read_error(tmp_path: Path) -> None:
    with pytest.raises(BackendReadError, match="cannot run"):
        TenstorrentBackend(tool=str(tmp_path / "absent"), root=str(tmp_path)).read()
