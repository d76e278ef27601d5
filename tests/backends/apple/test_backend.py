"""Apple backend powermetrics path, with a fake powermetrics child that prints the real
plist sample (the native path is tested in test_native.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from allsmi_py.errors import BackendReadError
from backends.apple.backend import AppleBackend

PLIST = Path(__file__).parents[2] / "fixtures" / "apple" / \
    "powermetrics_plist_macbookpro16-m4max_mac16-5.plist"


def no_sysctl(name: str) -> str | None:
    return None


def fake_tool(tmp_path: Path, body: str) -> list[str]:
    script = tmp_path / "fake_powermetrics.py"
    script.write_text(body)
    return [sys.executable, str(script)]


def test_stream_of_plists(tmp_path: Path) -> None:
    argv = fake_tool(tmp_path, (
        "import sys, time\n"
        f"data = open({str(PLIST)!r}, 'rb').read()\n"
        "sys.stdout.buffer.write(data + b'\\0' + data + b'\\0'); sys.stdout.flush()\n"
        "time.sleep(30)\n"
    ))
    backend = AppleBackend(powermetrics_argv=argv, source="powermetrics", sysctl_reader=no_sysctl)
    backend.open()
    try:
        (device,) = backend.read()
        assert backend.status_message() == "powermetrics"
    finally:
        backend.close()
        backend.close()
    assert device.kind == "soc" and device.vendor == "Apple"
    assert device.uuid == "apple-Mac16,5"
    assert device.utilization_pct == pytest.approx(12.2657)
    assert device.clock_graphics_mhz == 338.0
    assert device.power_w == pytest.approx(0.269614)
    assert device.ane_power_w == 0.0
    assert device.ane_utilization_pct is None  # powermetrics does not report it
    assert device.thermal_pressure == "Nominal"
    assert device.details["cpu_power_w"] == "2.97845"
    assert device.details["cluster.P0-Cluster_mhz"] == "3560.87"


def test_garbage_output_is_a_read_error(tmp_path: Path) -> None:
    argv = fake_tool(tmp_path, (
        "import sys, time\nsys.stdout.write('not a plist\\0'); sys.stdout.flush()\n"
        "time.sleep(30)\n"
    ))
    backend = AppleBackend(powermetrics_argv=argv, source="powermetrics", sysctl_reader=no_sysctl)
    backend.open()
    try:
        with pytest.raises(BackendReadError, match="not a powermetrics plist"):
            backend.read()
    finally:
        backend.close()


def test_child_that_dies_is_a_read_error(tmp_path: Path) -> None:
    argv = fake_tool(tmp_path, "import sys\nsys.exit(1)\n")
    backend = AppleBackend(powermetrics_argv=argv, source="powermetrics", sysctl_reader=no_sysctl)
    backend.open()
    try:
        with pytest.raises(BackendReadError, match="status 1"):
            backend.read()
    finally:
        backend.close()


def test_silent_child_is_a_read_error(tmp_path: Path) -> None:
    argv = fake_tool(tmp_path, "import time\ntime.sleep(30)\n")
    backend = AppleBackend(powermetrics_argv=argv, first_sample_timeout_s=0.3,
                           source="powermetrics", sysctl_reader=no_sysctl)
    backend.open()
    try:
        with pytest.raises(BackendReadError, match="no sample"):
            backend.read()
    finally:
        backend.close()


def test_available_is_no_on_linux() -> None:
    result = AppleBackend.available()  # no process: see tests/backends/test_contract.py
    assert not result and result.reason == "macOS on Apple Silicon only"
