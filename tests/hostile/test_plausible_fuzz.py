"""Hostile readings through the plausibility guard: whatever a plugin puts in a reading, the
guard returns (never raises) one whose every number passes its rule, with bounded problems."""

from __future__ import annotations

import dataclasses
import math
import random
from typing import Any

import pytest

from allsmi_py.model import (
    CpuReading,
    DeviceReading,
    DiskReading,
    HostReading,
    MemoryReading,
    MigInstanceReading,
    ProcessReading,
)
from allsmi_py.plausible import MAX_PROBLEMS, RULES, guard

HOSTILE: tuple[Any, ...] = (
    0, -0.0, 1, 50.5, 99.999, 100, 101, 255, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, 2**63 - 1,
    2**64 - 1, 2**64, 10**30, 10**400, -1, -1.0, -2**63, 1e308, -1e308, 5e-324, math.nan,
    -math.nan, math.inf, -math.inf, True, False, "45", b"45", None, (), [1.0], {"a": 1},
    object(), 3 + 4j,
)


def _value(rng: random.Random) -> Any:
    return rng.choice(HOSTILE) if rng.random() < 0.7 else rng.uniform(-1e4, 1e6)


def _fill(rng: random.Random, model: type, **fixed: Any) -> Any:
    values = {name: (tuple(_value(rng) for _ in range(rng.randrange(4))) if sequence
                     else _value(rng))
              for name, (_rule, sequence) in RULES[model].items() if rng.random() < 0.6}
    return model(**{**values, **fixed})


def _hostile_device(rng: random.Random) -> DeviceReading:
    processes = tuple(_fill(rng, ProcessReading, pid=pid) for pid in range(rng.randrange(4)))
    migs = tuple(_fill(rng, MigInstanceReading, uuid=f"MIG-{i}") for i in range(rng.randrange(3)))
    nested: Any = rng.choice([processes, list(processes)])
    device: DeviceReading = _fill(
        rng, DeviceReading, backend="fuzz", index=0, uuid="GPU-fuzz", name="Fuzz",
        processes=nested, mig_instances=migs, problems=rng.choice([(), ("earlier problem",), 7]))
    return device


def _hostile_host(rng: random.Random) -> HostReading:
    disks = tuple(_fill(rng, DiskReading, mount_point=f"/d{i}") for i in range(rng.randrange(3)))
    host: HostReading = _fill(rng, HostReading, cpu=_fill(rng, CpuReading),
                              memory=_fill(rng, MemoryReading), disks=disks)
    return host


def _assert_plausible(reading: Any, parent: Any = None) -> None:
    model = next(m for m in RULES if isinstance(reading, m))

    def lookup(name: str) -> Any:
        if hasattr(reading, name):
            return getattr(reading, name)
        return getattr(parent, name, None)

    for name, (rule, sequence) in RULES[model].items():
        value = getattr(reading, name)
        if value is None:
            continue
        for item in (value if sequence else (value,)):
            assert rule.refusal(item, lookup) is None, (model.__name__, name, item)
            if isinstance(item, float) and item == 0:
                assert math.copysign(1.0, item) > 0, (name, "negative zero")
        if sequence:
            assert isinstance(value, tuple), name
    for field in dataclasses.fields(reading):
        value = getattr(reading, field.name)
        children = value if isinstance(value, tuple) else (value,)
        for child in children:
            if dataclasses.is_dataclass(child) and any(isinstance(child, m) for m in RULES):
                _assert_plausible(child, reading)


@pytest.mark.parametrize("seed", range(40))
def test_a_hostile_device_comes_out_plausible(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(25):
        device = _hostile_device(rng)
        out = guard(device)
        _assert_plausible(out)
        earlier = len(device.problems) if isinstance(device.problems, tuple) else 0
        assert len(out.problems) <= earlier + MAX_PROBLEMS
        assert all(isinstance(p, str) and len(p) < 200 for p in out.problems)
        assert isinstance(out.processes, tuple)


@pytest.mark.parametrize("seed", range(20))
def test_a_hostile_host_comes_out_plausible(seed: int) -> None:
    rng = random.Random(1000 + seed)
    for _ in range(25):
        out = guard(_hostile_host(rng))
        _assert_plausible(out)
        assert len(out.problems) <= MAX_PROBLEMS
