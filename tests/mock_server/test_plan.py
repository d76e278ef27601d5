"""The cluster plan: mix shares, seeded fault choice, device counts, platforms."""

from __future__ import annotations

from collections import Counter

import pytest

from allsmi_py.errors import UsageError
from mock_server.plan import (
    apply_device_count,
    assign_faults,
    build_plan,
    mix_assignment,
    parse_mix,
    platform_spec,
)


def test_mix_counts_follow_the_shares_and_the_seed_orders_them() -> None:
    entries = parse_mix("h100:8=60%,m3max=10%,rngd:4+atom:2=30%", None)
    assert [spec for spec, _ in entries] == ["h100:8", "m3max", "rngd:4,atom:2"]
    specs = mix_assignment(entries, 1024, seed=1)
    assert Counter(specs) == {"h100:8": 614, "m3max": 103, "rngd:4,atom:2": 307}
    assert specs == mix_assignment(entries, 1024, seed=1)
    assert specs != mix_assignment(entries, 1024, seed=2)


def test_devices_per_node_fills_only_missing_counts() -> None:
    assert apply_device_count("h100,rngd:2", 4) == "h100:4,rngd:2"
    assert parse_mix("h100=50%,a100:2=50%", 3) == [("h100:3", 0.5), ("a100:2", 0.5)]


def test_faults_are_distinct_nodes_chosen_by_the_seed() -> None:
    wanted = {"down": (3, 0.0), "slow": (2, 1.5), "flap": (4, 2.0)}
    faults = assign_faults(20, wanted, seed=9)
    assert Counter(f.kind for f in faults.values()) == {"down": 3, "slow": 2, "flap": 4}
    assert {f.seconds for f in faults.values() if f.kind == "slow"} == {1.5}
    assert faults == assign_faults(20, wanted, seed=9)
    assert faults != assign_faults(20, wanted, seed=10)


def test_plan_names_and_ports() -> None:
    plan = build_plan(["h100:1"] * 3, 10001, 41, {})
    assert [(n.name, n.port) for n in plan] == [
        ("node-0041", 10001), ("node-0042", 10002), ("node-0043", 10003)]
    assert {n.port for n in build_plan(["h100:1"] * 3, 0, 1, {})} == {0}


def test_platforms_map_to_profiles() -> None:
    assert platform_spec("NVIDIA") == "h100"
    assert platform_spec("rbln") == "atom"
    assert platform_spec("b200") == "b200"
    assert platform_spec("intel") == "arcb580"  # all-smi-mock's Intel default, an Arc B580
    with pytest.raises(UsageError, match="tenstorrent"):
        platform_spec("tpu")
