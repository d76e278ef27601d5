"""`allsmi doctor` as a user runs it: lines, JSON, exit codes, bad flags."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from allsmi_py.cli import main
from tests.allsmi_py.doctor.cases import copy_case

ROOT = Path(__file__).resolve().parents[3]
LINE = re.compile(r"^(OK|WARN|FAIL) +[a-z_-]+: \S")


def _doctor(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    code = main(["doctor", *argv])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_healthy_root_exits_0_with_one_line_per_check(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, err = _doctor(capsys, "--root", str(copy_case("healthy", tmp_path)))
    assert (code, err) == (0, "")
    assert all(LINE.match(line) for line in lines[:-1]), lines
    assert lines[0] == "OK   host: not in a container"
    assert lines[1].startswith("OK   kubernetes: no kubelet socket at ")
    assert "OK   nvidia: NVIDIA GPU: 0000:01:00.0" in lines
    assert "OK   amd: no AMD GPU on the PCI bus (vendor 0x1002); nothing to check" in lines
    assert lines[-1] == "doctor: every backend with hardware here can run (gaudi, nvidia)"


def test_present_hardware_that_cannot_run_exits_1_and_says_the_fix(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_case("module_not_loaded", tmp_path)
    code, lines, _ = _doctor(capsys, "--root", str(root), "--backend", "nvidia")
    assert code == 1
    assert ("FAIL nvidia: nvidia not loaded — fix: install the NVIDIA driver and load it: "
            "modprobe nvidia") in lines
    assert lines[-1].startswith("doctor: hardware present but cannot run: nvidia")


def test_no_hardware_anywhere_exits_0_and_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = _doctor(capsys, "--root", str(tmp_path))
    assert code == 0
    assert lines[-1].startswith("doctor: none of the 10 backends checked has its hardware here")
    assert not any(line.startswith("FAIL") for line in lines)


def test_all_shows_what_a_machine_with_the_hardware_would_need(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = _doctor(capsys, "--root", str(tmp_path), "--all", "--backend", "tpu")
    assert code == 0
    assert "FAIL tpu: tpu-info not on PATH — fix: pip install tpu-info" in lines


def test_json_has_stable_keys_and_the_exit_code(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_case("driver_mismatch", tmp_path)
    code, lines, _ = _doctor(capsys, "--root", str(root), "--format", "json",
                             "--backend", "nvidia", "--backend", "amd")
    document = json.loads("\n".join(lines))
    assert code == document["exit_code"] == 1
    assert list(document) == ["root", "container", "kubernetes", "backends", "exit_code"]
    assert list(document["kubernetes"]) == ["level", "check", "message", "fix"]
    assert list(document["container"]) == ["inside", "evidence", "cgroup_version"]
    nvidia, amd = document["backends"]
    assert list(nvidia) == ["name", "vendor", "hardware", "verdict", "checks"]
    assert (nvidia["name"], nvidia["verdict"], amd["verdict"]) == ("nvidia", "blocked",
                                                                   "no_hardware")
    assert {"level": "FAIL", "check": "driver version",
            "message": "kernel driver 550.54.14 but libnvidia-ml.so.1 550.90.07",
            "fix": nvidia["checks"][4]["fix"]} == nvidia["checks"][4]


def test_unknown_backend_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, err = _doctor(capsys, "--backend", "nvidai")
    assert (code, lines) == (2, [])
    assert err.count("\n") == 1 and "unknown backend 'nvidai'; valid backends: " in err


def test_root_that_is_not_a_folder_is_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _doctor(capsys, "--root", str(tmp_path / "missing"))
    assert code == 2 and err.startswith("allsmi: error: --root ")


def test_mock_declares_no_needs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = _doctor(capsys, "--root", str(tmp_path), "--backend", "mock")
    assert code == 0
    assert lines[2].startswith("OK   mock: declares no needs to check (nothing: simulated")


def test_as_a_user_runs_it(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "allsmi_py", "doctor", "--root", str(tmp_path),
                             "--backend", "nvidia"], capture_output=True, text=True, cwd=ROOT,
                            timeout=60)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[2] == (
        "OK   nvidia: no NVIDIA GPU on the PCI bus (vendor 0x10de); nothing to check")
