"""The plausibility guard: one rule per field, sentinels, hostile numbers, relative caps."""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass
from typing import Any

import pytest

from allsmi_py.collector import Collector
from allsmi_py.model import (
    CpuReading,
    DeviceReading,
    DiskReading,
    HostReading,
    MemoryReading,
    MigInstanceReading,
    ProcessReading,
)
from allsmi_py.plausible import (
    MAX_PROBLEMS,
    MODELS,
    RULES,
    UNRULED,
    guard,
    guard_changed,
    numeric_fields,
    rules_for,
)
from backends.mock.backend import MockBackend

GIB = 1024**3


def device(**values: Any) -> DeviceReading:
    return DeviceReading(backend="t", index=0, uuid="GPU-0", name="Test GPU", **values)


def refused(reading: DeviceReading, **values: Any) -> DeviceReading:
    """`reading` with `values` set, guarded; asserts each became None and has its problem."""
    out = guard(device(**{**_fields(reading), **values}))
    for name in values:
        assert getattr(out, name) is None, name
        assert any(p.startswith(f"{name}: ") for p in out.problems), (name, out.problems)
    return out


def _fields(reading: DeviceReading) -> dict[str, Any]:
    return {name: getattr(reading, name) for name in RULES[DeviceReading]
            if getattr(reading, name) is not None}


def test_every_numeric_field_of_every_reading_has_a_rule() -> None:
    assert {DeviceReading, HostReading, ProcessReading, MigInstanceReading, CpuReading,
            MemoryReading, DiskReading} <= set(MODELS)
    assert not UNRULED, f"give these fields a rule in plausible.py: {dict(UNRULED)}"
    for model in MODELS:
        unchecked = set(numeric_fields(model)) - set(RULES[model])
        assert unchecked <= {"index", "pid"} | {n for n in unchecked if n.endswith("_index")}


def test_a_new_field_that_no_suffix_names_is_reported() -> None:
    @dataclass(frozen=True)
    class NewReading:
        widget_count: int | None = None
        inlet_c: float | None = None
        enabled: bool | None = None

    rules, missing = rules_for(NewReading)
    assert missing == ("widget_count",)
    assert set(rules) == {"inlet_c", "enabled"}


def test_all_plausible_is_the_same_object() -> None:
    good = device(utilization_pct=100.0, temperature_c=-5.0, power_w=700.0,
                  power_limit_w=700.0, memory_used_bytes=80 * GIB, memory_total_bytes=80 * GIB,
                  clock_graphics_mhz=1980.0, clock_graphics_max_mhz=1980.0, fan_pct=0.0,
                  performance_state=0, pcie_gen_current=5, ecc_enabled=False,
                  ecc_errors_corrected_volatile=0, energy_j=1e12)
    assert guard(good) is good


@pytest.mark.parametrize("value", [0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, 2**63 - 1, 2**64 - 1, -1,
                                   4294967295.0, -1.0, math.nan, math.inf, -math.inf])
def test_sentinels_are_refused_in_every_unit(value: Any) -> None:
    out = refused(device(), utilization_pct=value, temperature_c=value, power_w=value,
                  clock_sm_mhz=value, fan_rpm=value, energy_j=value)
    assert any("is a sentinel" in p for p in out.problems)


def test_a_problem_names_field_value_and_reason() -> None:
    out = guard(device(power_w=4294967295, utilization_pct=101.0, memory_total_bytes=8 * GIB,
                       memory_used_bytes=9 * GIB))
    assert out.problems == (
        "utilization_pct: 101 is outside 0..100",
        "memory_used_bytes: 9663676416 is outside 0..8589934592",
        "power_w: 4294967295 is a sentinel",
    )


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("utilization_pct", True, "is not a number"),
    ("memory_total_bytes", False, "is not a number"),
    ("temperature_c", "45", "is not a number"),
    ("memory_total_bytes", 8.0 * GIB, "is not a whole number"),
    ("memory_total_bytes", 10**30, "is outside"),
    ("power_w", 10**400, "is outside"),
    ("power_w", 1e308, "is outside"),
    ("temperature_c", -273.0, "is outside"),
    ("ecc_enabled", 1, "is not true or false"),
    ("pcie_gen_current", 0, "is outside"),
    ("performance_state", 32, "is outside"),  # NVML_PSTATE_UNKNOWN
    ("numa_node", -1, "is a sentinel"),
])
def test_hostile_values(name: str, value: Any, reason: str) -> None:
    out = guard(device(**{name: value}))
    assert getattr(out, name) is None
    (problem,) = out.problems
    assert problem.startswith(f"{name}: ") and reason in problem
    assert len(problem) < 80  # a huge int is written as its size, not its 400 digits


def test_negative_zero_is_zero_without_a_problem() -> None:
    out = guard(device(utilization_pct=-0.0, power_w=-0.0))
    assert out.problems == ()
    assert math.copysign(1.0, out.utilization_pct or 1.0) > 0 and out.utilization_pct == 0.0
    assert math.copysign(1.0, out.power_w or 1.0) > 0


def test_power_is_capped_by_the_largest_limit_and_never_below_2000_w() -> None:
    assert guard(device(power_w=1999.0)).problems == ()
    assert guard(device(power_w=2001.0)).power_w is None
    assert guard(device(power_w=2200.0, power_limit_w=1000.0, power_limit_max_w=1500.0)
                 ).power_w == 2200.0
    assert guard(device(power_w=2300.0, power_limit_max_w=1500.0)).power_w is None
    # a sentinel limit caps nothing: it is refused first, power falls back to 2000 W
    out = guard(device(power_w=2100.0, power_limit_w=4294967.295))
    assert out.power_w is None and out.power_limit_w is None


def test_clocks_against_their_max_and_bytes_against_their_total() -> None:
    ok = guard(device(clock_graphics_mhz=2376.0, clock_graphics_max_mhz=1980.0))
    assert ok.clock_graphics_mhz == 2376.0  # 1.2 x max
    assert guard(device(clock_graphics_mhz=2377.0, clock_graphics_max_mhz=1980.0)
                 ).clock_graphics_mhz is None
    assert guard(device(clock_memory_mhz=14001.0)).problems == ()  # GDDR7, no max known
    assert guard(device(memory_used_bytes=9 * GIB)).problems == ()  # no total: bytes only
    out = guard(device(memory_reserved_bytes=9 * GIB, memory_total_bytes=8 * GIB))
    assert out.memory_reserved_bytes is None and out.memory_total_bytes == 8 * GIB


def test_a_fan_may_run_past_100_percent_as_nvml_documents() -> None:
    assert guard(device(fan_pct=115.0)).problems == ()
    assert guard(device(fan_pct=255.0)).fan_pct is None


def test_scaled_sentinels_fall_outside_their_units_range() -> None:
    """A driver's all-ones word after the backend scaled it: mJ to J, MiB to bytes, KB/s."""
    out = guard(device(energy_j=(2**64 - 1) / 1000, memory_total_bytes=0xFFFF_FFFF * 2**20,
                       pcie_rx_bytes_per_s=0xFFFF_FFFF * 1024.0))
    assert (out.energy_j, out.memory_total_bytes, out.pcie_rx_bytes_per_s) == (None, None, None)
    assert guard(device(energy_j=3.2e11, memory_total_bytes=288 * 10**9)).problems == ()
    started_ms = ProcessReading(pid=1, started_at_s=1.8e12)  # milliseconds, not seconds
    assert guard(device(processes=(started_ms,))).processes[0].started_at_s is None


def test_processes_and_mig_slices_are_guarded_against_their_device() -> None:
    mig = MigInstanceReading(uuid="MIG-1", memory_total_bytes=10 * GIB,
                             memory_used_bytes=11 * GIB, utilization_pct=0xFFFF_FFFF)
    process = ProcessReading(pid=7, gpu_memory_bytes=81 * GIB, cpu_pct=3200.0,
                             started_at_s=-1.0)
    out = guard(device(memory_total_bytes=80 * GIB, mig_instances=(mig,), processes=(process,)))
    assert out.mig_instances[0].memory_used_bytes is None
    assert out.mig_instances[0].utilization_pct is None
    assert out.mig_instances[0].memory_total_bytes == 10 * GIB
    assert out.processes[0].gpu_memory_bytes is None and out.processes[0].started_at_s is None
    assert out.processes[0].cpu_pct == 3200.0 and out.processes[0].pid == 7
    assert "processes[0].gpu_memory_bytes: 86973087744 is outside 0..85899345920" \
        in out.problems


def test_one_refused_process_or_slice_leaves_its_neighbours_as_they_were() -> None:
    processes = tuple(ProcessReading(pid=p, gpu_memory_bytes=GIB) for p in (1, 2, 3))
    migs = tuple(MigInstanceReading(uuid=f"MIG-{i}", utilization_pct=float(i)) for i in range(3))
    bad = device(memory_total_bytes=8 * GIB,
                 processes=(processes[0], ProcessReading(pid=2, cpu_pct=math.nan), processes[2]),
                 mig_instances=(migs[0], MigInstanceReading(uuid="MIG-1", utilization_pct=-1.0),
                                migs[2]))
    out = guard(bad)
    assert out.processes[0] is processes[0] and out.processes[2] is processes[2]
    assert out.processes[1] == ProcessReading(pid=2)
    assert out.mig_instances[0] is migs[0] and out.mig_instances[2] is migs[2]
    assert out.mig_instances[1] == MigInstanceReading(uuid="MIG-1")
    assert out.problems == ("mig_instances[1].utilization_pct: -1 is a sentinel",
                            "processes[1].cpu_pct: nan is a sentinel")


def test_problems_are_bounded_and_earlier_ones_kept() -> None:
    names = [n for n, (rule, _) in RULES[DeviceReading].items() if rule.kind is float]
    out = guard(device(problems=("temperature: read failed",),
                       **dict.fromkeys(names, math.nan)))
    assert out.problems[0] == "temperature: read failed"
    assert len(out.problems) == 1 + MAX_PROBLEMS
    extra = len(names) - (MAX_PROBLEMS - 1)
    assert out.problems[-1] == f"and {extra} more implausible values"
    assert all(getattr(out, n) is None for n in names)


def test_host_values_are_guarded_and_named_in_the_hosts_problems() -> None:
    host = HostReading(
        cpu=CpuReading(temperature_c=0xFFFF, per_core_utilization_pct=(3.0, math.nan, 250.0),
                       socket_count=4, power_w=3000.0, thread_count=0),
        memory=MemoryReading(total_bytes=64 * GIB, used_bytes=2**64 - 1,
                             available_bytes=32 * GIB),
        disks=(DiskReading("/", total_bytes=100, used_bytes=200),),
        uptime_s=math.inf)
    out = guard(host)
    assert out.cpu.temperature_c is None and out.cpu.per_core_utilization_pct == ()
    assert out.cpu.power_w == 3000.0  # 1000 W a socket, at least 2000 W
    assert out.cpu.thread_count is None
    assert out.memory.used_bytes is None and out.memory.available_bytes == 32 * GIB
    assert out.disks[0].used_bytes is None and out.disks[0].total_bytes == 100
    assert out.uptime_s is None
    assert "cpu.temperature_c: 65535 is a sentinel" in out.problems
    assert "cpu.per_core_utilization_pct: nan is a sentinel (and 1 more)" in out.problems
    assert "disks[0].used_bytes: 200 is outside 0..100" in out.problems


def test_the_collector_guards_the_host_reading() -> None:
    def host() -> HostReading:
        return HostReading(cpu=CpuReading(utilization_pct=4294967295.0))

    with Collector([], host_reader=host, deadline_s=5.0, hostname="h") as collector:
        snapshot = collector.tick()
    assert snapshot.host is not None and snapshot.host.cpu.utilization_pct is None
    assert snapshot.host.problems == ("cpu.utilization_pct: 4294967295 is a sentinel",)


def test_guard_changed_is_guard_for_a_reading_guard_let_through() -> None:
    rng = random.Random(5)
    values = [0, 0.5, 50.0, -1, 65535, 4294967295, 1e9, -0.0, 2**44, 1999.0, float("nan"), None]
    for device in MockBackend(spec="h100:2,mi300x:1,rngd:1", seed=3).read():
        device = dataclasses.replace(device, processes=())
        assert guard(device) is device
        numeric = [f.name for f in dataclasses.fields(device)
                   if isinstance(getattr(device, f.name), int | float)
                   and not isinstance(getattr(device, f.name), bool) and f.name != "index"]
        for _ in range(300):
            picked = rng.sample(numeric, rng.randint(1, 3))
            changed = dataclasses.replace(device, **{n: rng.choice(values) for n in picked})
            assert guard_changed(changed, frozenset(picked)) == guard(changed), picked
