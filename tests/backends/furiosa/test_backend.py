"""FuriosaBackend I/O: availability here, and furiosa-smi that hangs, fails or prints garbage."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from allsmi_py.errors import BackendReadError
from backends.furiosa.backend import FuriosaBackend

FIXTURES = Path(__file__).parents[2] / "fixtures" / "furiosa"


def fake_tool(tmp_path: Path, body: str) -> str:
    path = tmp_path / "furiosa-smi"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def serving_fixtures(tmp_path: Path, version: str) -> str:
    def f(kind: str) -> Path:
        return FIXTURES / f"furiosa-smi_{kind}_table_rngd_docs-v{version}.txt"

    return fake_tool(
        tmp_path,
        f'case "$1 $2 $3" in\n'
        f'  "info --format full") cat "{f("info_format-full")}";;\n'
        f'  "status  ") cat "{f("status")}";;\n'
        f'  "ps  ") cat "{f("ps")}";;\n'
        f'  "topo  ") cat "{f("topo")}";;\n'
        f"  *) echo bad args >&2; exit 2;;\n"
        f"esac",
    )


def test_unavailable_here_with_a_reason_and_fast() -> None:
    start = time.perf_counter()
    availability = FuriosaBackend.available()
    elapsed = time.perf_counter() - start
    assert not availability
    assert "rngd_mgmt" in availability.reason or "furiosa-smi" in availability.reason
    assert elapsed < 0.05


def test_reads_merged_tables(tmp_path: Path) -> None:
    with FuriosaBackend(tool=serving_fixtures(tmp_path, "2026.3")) as backend:
        devices = backend.read()
    assert [d.details["device_name"] for d in devices] == ["npu0", "npu1", "npu2", "npu3"]
    assert devices[0].clock_graphics_mhz == 2000.0
    assert devices[0].numa_node == 0
    assert devices[3].memory_total_bytes == int(47.5 * 1024**3)
    assert devices[3].processes[0].pid == 3283


def test_hanging_tool_is_killed_and_reported(tmp_path: Path) -> None:
    backend = FuriosaBackend(tool=fake_tool(tmp_path, "sleep 30"), timeout_s=0.5)
    start = time.monotonic()
    backend.open()  # topo times out too; that only loses NUMA nodes
    with pytest.raises(BackendReadError, match="did not answer"):
        backend.read()
    assert time.monotonic() - start < 5


def test_garbage_output_is_a_read_error(tmp_path: Path) -> None:
    backend = FuriosaBackend(tool=fake_tool(tmp_path, "echo '\\x00\\xff garbage'"))
    with pytest.raises(BackendReadError, match="unexpected table"):
        backend.read()


def test_failing_tool_reports_its_message(tmp_path: Path) -> None:
    tool = fake_tool(tmp_path, "echo 'Error: device not found' >&2; exit 1")
    with pytest.raises(BackendReadError, match="Error: device not found"):
        FuriosaBackend(tool=tool).read()
