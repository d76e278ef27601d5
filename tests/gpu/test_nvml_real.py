"""The NVIDIA backend against the real NVML; skipped where NVML cannot initialise."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter

import pytest

from backends.nvidia.backend import NvidiaBackend

pytestmark = pytest.mark.gpu


def _smi(query: str) -> list[str]:
    if shutil.which("nvidia-smi") is None:
        pytest.skip("nvidia-smi not installed")
    out = subprocess.run(
        ["nvidia-smi", f"--query-gpu={query}", "--format=csv,noheader,nounits"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return [line.strip() for line in out.stdout.strip().splitlines()]


def test_available_agrees(backend: NvidiaBackend) -> None:
    assert NvidiaBackend.available()


def test_every_gpu_reads_without_unknown_errors(backend: NvidiaBackend) -> None:
    readings = backend.read()
    assert readings
    for gpu in readings:
        assert gpu.state == "ok", gpu.problems
        assert gpu.uuid.startswith("GPU-")
        assert gpu.memory_total_bytes and gpu.memory_total_bytes > 0
        assert gpu.temperature_c is not None and 0 < gpu.temperature_c < 130
        assert gpu.power_w is None or gpu.power_w >= 0
        assert gpu.problems == ()


def test_agrees_with_nvidia_smi(backend: NvidiaBackend) -> None:
    rows = _smi("uuid,name,memory.total,enforced.power.limit,driver_version")
    by_uuid = {r.uuid: r for r in backend.read()}
    for row in rows:
        uuid, name, memory_mib, limit_w, driver = (c.strip() for c in row.split(","))
        gpu = by_uuid[uuid]
        assert gpu.name == name
        assert gpu.details["driver_version"] == driver
        total_mib = gpu.memory_total_bytes / 2**20
        assert abs(total_mib - float(memory_mib)) <= 1
        if limit_w not in ("[N/A]", "N/A"):
            assert gpu.power_limit_w == pytest.approx(float(limit_w), abs=0.5)


def test_second_tick_skips_what_the_first_learned(backend: NvidiaBackend, monkeypatch) -> None:
    import pynvml  # noqa: TID251 - counting calls on the real module

    backend.read()
    counts: Counter[str] = Counter()
    for name in dir(pynvml):
        fn = getattr(pynvml, name)
        if name.startswith("nvmlDevice") and callable(fn):

            def counted(*args, _fn=fn, _name=name, **kwargs):  # type: ignore[no-untyped-def]
                counts[_name] += 1
                return _fn(*args, **kwargs)

            monkeypatch.setattr(pynvml, name, counted)
    backend.read()
    gpus = len(backend.read())
    for static in ("nvmlDeviceGetName", "nvmlDeviceGetUUID", "nvmlDeviceGetPciInfo_v3"):
        assert counts[static] == 0
    assert counts["nvmlDeviceGetUtilizationRates"] <= 2 * gpus
