"""Simulated devices: determinism, realistic ranges, processes and memory, spec parsing."""

from __future__ import annotations

import pytest

from backends.mock.backend import MockBackend
from backends.mock.profiles import PROFILES, parse_spec


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _run(seed: int, spec: str = "h100:4", ticks: int = 30, step_s: float = 2.0):  # type: ignore[no-untyped-def]
    clock = FakeClock()
    backend = MockBackend(spec=spec, seed=seed, clock=clock, start_time_s=1.7e9)
    frames = []
    for _ in range(ticks):
        frames.append(backend.read())
        clock.now += step_s
    return frames


def test_same_seed_gives_the_same_sequence() -> None:
    assert _run(7) == _run(7)


def test_different_seeds_and_nodes_differ() -> None:
    assert _run(7) != _run(8)
    a = MockBackend(spec="h100:2", seed=1, node="node-0001", start_time_s=0).readings()
    b = MockBackend(spec="h100:2", seed=1, node="node-0002", start_time_s=0).readings()
    assert [d.uuid for d in a] != [d.uuid for d in b]


def test_values_move_over_time() -> None:
    frames = _run(11, ticks=40)
    utils = {round(f[0].utilization_pct, 1) for f in frames}
    assert len(utils) > 10


@pytest.mark.parametrize("key", sorted(PROFILES))
def test_every_profile_stays_within_its_limits(key: str) -> None:
    profile = PROFILES[key]
    for frame in _run(5, spec=f"{key}:2", ticks=120, step_s=3.0):
        for d in frame:
            assert d.name == profile.name and d.kind == profile.kind
            assert 0.0 <= d.utilization_pct <= 100.0
            assert d.memory_total_bytes == profile.memory_total_bytes
            assert 0 <= d.memory_used_bytes <= d.memory_total_bytes
            assert sum(p.gpu_memory_bytes for p in d.processes) <= d.memory_used_bytes
            assert len({p.pid for p in d.processes}) == len(d.processes)
            if not profile.sensors:  # a TPU: no power, temperature or clock reaches the VM
                assert (d.power_w, d.temperature_c, d.clock_graphics_mhz) == (None, None, None)
                continue
            assert profile.power_idle_w * 0.9 <= d.power_w <= d.power_limit_w
            assert profile.temperature_idle_c - 2 <= d.temperature_c
            if d.temperature_slowdown_c is not None:
                assert d.temperature_c < d.temperature_slowdown_c
            assert d.clock_graphics_mhz <= profile.clock_graphics_max_mhz


def test_power_and_temperature_follow_utilization() -> None:
    busy_power, idle_power, busy_temp, idle_temp = [], [], [], []
    for frame in _run(3, spec="h100:8", ticks=200, step_s=2.0)[50:]:
        for d in frame:
            if d.utilization_pct > 80:
                busy_power.append(d.power_w)
                busy_temp.append(d.temperature_c)
            elif d.utilization_pct < 5:
                idle_power.append(d.power_w)
                idle_temp.append(d.temperature_c)
    assert busy_power and idle_power
    assert sum(busy_power) / len(busy_power) > 3 * sum(idle_power) / len(idle_power)
    assert sum(busy_temp) / len(busy_temp) > sum(idle_temp) / len(idle_temp) + 10


def test_processes_start_and_end() -> None:
    seen_pids: set[int] = set()
    idle_without_processes = False
    for frame in _run(2, spec="h100:2", ticks=300, step_s=2.0):
        for d in frame:
            seen_pids.update(p.pid for p in d.processes)
            if not d.processes:
                idle_without_processes = True
            for p in d.processes:
                assert p.user and p.command and p.gpu_memory_bytes is not None
    assert len(seen_pids) > 5 and idle_without_processes


def test_energy_counter_only_grows() -> None:
    frames = _run(4, ticks=20)
    energies = [f[0].energy_j for f in frames]
    assert energies == sorted(energies) and energies[-1] > energies[0]


def test_vendor_extras_are_in_details() -> None:
    (h100,) = MockBackend(spec="h100:1", seed=1).readings()
    assert h100.details["driver_version"] and h100.details["cuda_version"]
    (m3,) = MockBackend(spec="m3max", seed=1).readings()
    assert m3.kind == "soc" and m3.ane_power_w is not None and m3.thermal_pressure
    (tt,) = MockBackend(spec="n300:1", seed=1).readings()
    assert tt.kind == "npu" and tt.details["board_type"] == "n300"


@pytest.mark.parametrize("spec,expected", [
    ("h100:8", [("h100", 8)]),
    ("h100:4,rngd:2", [("h100", 4), ("rngd", 2)]),
    ("m3max", [("m3max", 1)]),
    ("H100", [("h100", 8)]),
    ("gaudi:2", [("gaudi3", 2)]),
])
def test_spec_parsing(spec: str, expected: list[tuple[str, int]]) -> None:
    assert [(p.key, n) for p, n in parse_spec(spec)] == expected


@pytest.mark.parametrize("spec,message", [
    ("h200:8", "unknown mock profile 'h200'; valid: h100"),
    ("h100:0", "bad device count"),
    ("h100:x", "bad device count"),
    ("", "empty --mock spec"),
])
def test_bad_specs_name_what_is_valid(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_spec(spec)


def test_a_long_gap_is_cheap_and_stays_deterministic() -> None:
    import time

    def after_gap(seed: int) -> list:  # type: ignore[type-arg]
        backend = MockBackend(spec="h100:8", seed=seed, start_time_s=1.7e9)
        backend.advance(30 * 86400.0)
        return backend.readings()

    started = time.perf_counter()
    first = after_gap(1)
    # Stepping through 30 days one step at a time would take minutes; the jump is O(1).
    assert time.perf_counter() - started < 10
    assert first == after_gap(1)
    before = MockBackend(spec="h100:1", seed=1, start_time_s=1.7e9).readings()[0].energy_j
    assert first[0].energy_j > before + 30 * 86400.0 * 50  # at least idle power all along
