"""The host reader: CPU measured between reads, memory and disks from psutil."""

from __future__ import annotations

import time

import pytest

from allsmi_py import host as host_module
from allsmi_py.host import MIN_SAMPLE_S, HostReader


def test_reading_has_cpu_memory_and_disks() -> None:
    reading = HostReader().read()
    cpu, memory = reading.cpu, reading.memory
    assert cpu.thread_count and len(cpu.per_core_utilization_pct) == cpu.thread_count
    assert cpu.utilization_pct is not None and 0.0 <= cpu.utilization_pct <= 100.0
    assert all(0.0 <= u <= 100.0 for u in cpu.per_core_utilization_pct)
    assert memory.total_bytes and memory.available_bytes is not None
    assert memory.used_bytes == memory.total_bytes - memory.available_bytes
    assert reading.disks and all(d.total_bytes for d in reading.disks)
    assert len({d.device for d in reading.disks}) == len(reading.disks)


def test_cpu_is_measured_between_reads_without_a_blocking_sample() -> None:
    reader = HostReader()
    time.sleep(MIN_SAMPLE_S)
    started = time.perf_counter()
    reader.read()
    reader.read()
    # no second-long sample: two reads cost at most the minimum sample window each
    assert time.perf_counter() - started < 0.5


def test_busy_core_shows_up(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    class Times(tuple):
        @property
        def idle(self) -> float:
            return self[1]

    samples = iter([
        [Times((100.0, 900.0)), Times((100.0, 900.0))],
        [Times((190.0, 910.0)), Times((100.0, 1000.0))],
    ])
    monkeypatch.setattr(host_module.psutil, "cpu_times", lambda percpu: next(samples))
    reader = HostReader(include_disks=False)
    cpu = reader.read().cpu
    assert cpu.per_core_utilization_pct == (90.0, 0.0)
    assert cpu.utilization_pct == 45.0


def test_runtime_detection_reads_kubernetes_env(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    assert host_module.detect_runtime_environment() == "Kubernetes"


def _counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    calls: list[int] = []
    real = getattr(host_module.psutil, name)

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(host_module.psutil, name, counted)
    return calls


def test_slow_readings_are_reused_within_their_period(monkeypatch: pytest.MonkeyPatch) -> None:
    partitions = _counting(monkeypatch, "disk_partitions")
    swaps = _counting(monkeypatch, "swap_memory")
    reader = HostReader(slow_period_s=3600.0)
    first, second = reader.read(), reader.read()
    assert len(partitions) == 1 and len(swaps) == 1
    assert second.disks == first.disks and second.memory.swap_total_bytes is not None
    assert second.memory.used_bytes is not None  # memory itself is read every time


def test_slow_readings_are_read_again_after_their_period(monkeypatch: pytest.MonkeyPatch) -> None:
    partitions = _counting(monkeypatch, "disk_partitions")
    swaps = _counting(monkeypatch, "swap_memory")
    reader = HostReader(slow_period_s=0.0)
    reader.read()
    reader.read()
    assert len(partitions) == 2 and len(swaps) == 2


def test_uptime_counts_from_the_boot_time_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host_module.psutil, "boot_time", lambda: time.time() - 100.0)
    reader = HostReader(include_disks=False)
    monkeypatch.setattr(host_module.psutil, "boot_time", lambda: 0.0)  # not asked again
    uptime = reader.read().uptime_s
    assert uptime is not None and 100.0 <= uptime < 110.0
