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
    monkeypatch.setattr(module, "LD_SO_CACHE", str(tmp_path / "ld.so.cache"))
    monkeypatch.delenv("LD_LIBRARY_PATH", raising=False)
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


def test_library_found_through_the_loader_cache(box: Path) -> None:
    (box / "ld.so.cache").write_bytes(b"glibc-ld.so.cache1.1\0libcuda.so.1\0"
                                      b"libnvidia-ml.so.1\0/opt/nv/libnvidia-ml.so.1\0")
    result = NvidiaBackend.available()
    assert not result and "driver not loaded" in result.reason


def test_a_longer_name_in_the_cache_is_not_the_library(box: Path) -> None:
    (box / "ld.so.cache").write_bytes(b"glibc-ld.so.cache1.1\0libnvidia-ml.so.1.bak\0")
    assert "libnvidia-ml.so.1 not found" in NvidiaBackend.available().reason


def test_library_found_on_ld_library_path(box: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = box / "lib"
    folder.mkdir()
    (folder / "libnvidia-ml.so.1").touch()
    monkeypatch.setenv("LD_LIBRARY_PATH", f"/nowhere::{folder}")
    assert "driver not loaded" in NvidiaBackend.available().reason


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
