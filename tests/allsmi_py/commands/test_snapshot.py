"""`allsmi snapshot` as a user runs it: formats, exit codes, speed."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from allsmi_py.cli import main

ROOT = Path(__file__).resolve().parents[3]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "allsmi_py", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)


def test_gpu_less_machine_prints_host_metrics_and_every_backend_reason() -> None:
    result = _run("snapshot")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["host"]["cpu"]["thread_count"] >= 1
    assert data["host"]["memory"]["total_bytes"] > 0
    statuses = {b["name"]: b for b in data["backends"]}
    assert {"nvidia", "amd", "apple"} <= set(statuses)
    for status in statuses.values():
        if status["state"] != "ok":
            assert status.get("message"), status


def test_mock_h100_8_prints_eight_filled_devices_that_change_over_time() -> None:
    first = json.loads(_run("snapshot", "--mock", "h100:8", "--format", "json").stdout)
    time.sleep(1.0)
    second = json.loads(_run("snapshot", "--mock", "h100:8", "--format", "json").stdout)
    assert len(first["devices"]) == 8
    for device in first["devices"]:
        for field in ("utilization_pct", "memory_used_bytes", "memory_total_bytes",
                      "temperature_c", "power_w", "power_limit_w", "clock_graphics_mhz",
                      "clock_memory_mhz", "performance_state", "pcie_gen_max", "energy_j"):
            assert field in device, field
        assert device["name"] == "NVIDIA H100 80GB HBM3"
        assert device["details"]["driver_version"]
    assert [d["power_w"] for d in first["devices"]] != [d["power_w"] for d in second["devices"]]


def test_same_seed_gives_the_same_devices(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", "--mock", "a100:2", "--seed", "5"]) == 0
    a = json.loads(capsys.readouterr().out)
    assert main(["snapshot", "--mock", "a100:2", "--seed", "5"]) == 0
    b = json.loads(capsys.readouterr().out)
    assert [d["uuid"] for d in a["devices"]] == [d["uuid"] for d in b["devices"]]


def test_csv_has_one_row_per_device_host_and_backend(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", "--mock", "h100:3", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    sections = [r["section"] for r in rows]
    assert sections.count("device") == 3 and sections.count("host") == 1
    assert sections.count("backend") == 1
    device = rows[0]
    assert device["name"] == "NVIDIA H100 80GB HBM3" and float(device["power_w"]) > 0
    assert "driver_version=590.48.01" in device["details"]


@pytest.mark.parametrize("args,needle", [
    (["snapshot", "--mock", "h200:8"], "unknown mock profile 'h200'; valid: h100"),
    (["snapshot", "--backend", "nvidai"], "unknown backend 'nvidai'; valid backends:"),
    (["snapshot", "--format", "xml"], "invalid choice: 'xml'"),
    (["snapshot", "--backend", "mock"], "use --mock SPEC"),
])
def test_user_errors_are_one_line_with_exit_2(args: list[str], needle: str) -> None:
    result = _run(*args)
    assert result.returncode == 2
    assert needle in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_backend_restricts_what_is_read(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", "--backend", "nvidia"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [b["name"] for b in data["backends"]] == ["nvidia"]


@pytest.mark.skipif(sys.platform == "darwin", reason="the apple backend reads devices there")
def test_json_keeps_devices_when_there_are_none(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", "--backend", "apple", "--format", "json", "--compact"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["devices"] == [] and data["backends"][0]["state"] != "ok"


def test_list_mock_and_list_backends(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-mock"]) == 0
    out = capsys.readouterr().out
    for key in ("h100", "a100", "b200", "rtx4090", "m3max", "orin", "n300", "atom", "rngd",
                "gaudi3", "mi300x"):
        assert f"  {key} " in out
    assert main(["--list-backends"]) == 0
    out = capsys.readouterr().out
    assert "nvidia" in out and "needs:" in out


def test_a_reading_loads_no_ui_network_or_exporter_module() -> None:
    """What keeps `allsmi snapshot` quick (timed in tests/benchmarks/bench_snapshot_startup.py):
    one reading never imports the TUI, the HTTP clients or the exporter's server."""
    code = ("import io, contextlib, sys\nfrom allsmi_py.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    main(['snapshot'])\n"
            "print(' '.join(sorted(m for m in ('textual', 'rich', 'aiohttp', 'httpx', 'uvicorn',"
            " 'asyncssh', 'zstandard', 'prometheus_client') if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip().splitlines()[-1:] in ([], [""]), out.stdout
