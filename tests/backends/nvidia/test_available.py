"""available(): a cheap look at the library, driver and device files, without NVML."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from backends.nvidia import backend as module
from backends.nvidia.backend import NvidiaBackend


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake file system root with no NVIDIA files; tests add what they need."""
    monkeypatch.setattr(module.sys, "platform", "linux")
    monkeypatch.setattr(module, "LIBRARY_PATHS", (str(tmp_path / "libnvidia-ml.so.1"),))
    monkeypatch.setattr(module, "DRIVER_PATHS", (str(tmp_path / "version"),))
    monkeypatch.setattr(module, "DEVICE_GLOBS", (str(tmp_path / "nvidia[0-9]*"),))
    monkeypatch.setattr(module.ctypes.util, "find_library", lambda name: None)
    return tmp_path


def test_no_library(box: Path) -> None:
    result = NvidiaBackend.available()
    assert not result and "libnvidia-ml.so.1 not found" in result.reason


def test_library_without_driver(box: Path) -> None:
    (box / "libnvidia-ml.so.1").touch()
    result = NvidiaBackend.available()
    assert not result and "driver not loaded" in result.reason


def test_driver_without_device(box: Path) -> None:
    (box / "libnvidia-ml.so.1").touch()
    (box / "version").touch()
    result = NvidiaBackend.available()
    assert not result and "no NVIDIA device" in result.reason


def test_everything_present(box: Path) -> None:
    for name in ("libnvidia-ml.so.1", "version", "nvidia0"):
        (box / name).touch()
    assert NvidiaBackend.available()


def test_library_found_through_the_loader(box: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module.ctypes.util, "find_library", lambda name: "libnvidia-ml.so.1")
    result = NvidiaBackend.available()
    assert not result and "driver not loaded" in result.reason


def test_available_does_not_load_pynvml(box: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "pynvml", raising=False)
    NvidiaBackend.available()
    assert "pynvml" not in sys.modules


@pytest.mark.parametrize("target", ["backends.nvidia.backend", "allsmi_py.collector"])
def test_importing_does_not_load_pynvml(target: str) -> None:
    code = f"import sys, {target}; print('pynvml' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"
