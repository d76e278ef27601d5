"""DRM fdinfo parser on the real xe sample in tests/fixtures/intel (kernel doc example)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from backends.intel.parse import (
    FdInfo,
    client_engine_utilization,
    device_engine_utilization,
    overall_utilization,
    parse_fdinfo,
    parse_memory_value,
    power_from_energy_w,
    sum_present,
)

FIXTURE = Path(__file__).parents[2] / "fixtures" / "intel" / "fdinfo_xe_kernel-doc-example.txt"
TOTAL = 7655183225


def load() -> FdInfo:
    info = parse_fdinfo(FIXTURE.read_text())
    assert info is not None
    return info


def test_xe_fixture_identity_memory_and_counters() -> None:
    info = load()
    assert (info.driver, info.client_id, info.pdev) == ("xe", "3", "0000:03:00.0")
    assert info.memory_bytes["total-gtt"] == 192 * 1024
    assert info.memory_bytes["resident-gtt"] == 192 * 1024
    assert info.memory_bytes["total-vram0"] == 23992 * 1024
    assert info.memory_bytes["shared-vram0"] == 16 * 1024 * 1024
    assert info.memory_bytes["resident-system"] == 0
    assert len(info.memory_bytes) == 17  # system 5, gtt 4, vram0 4, stolen 4
    assert info.resident_vram_bytes == 23992 * 1024
    assert info.cycles == {"rcs": 28257900, "bcs": 0, "vcs": 0, "vecs": 0, "ccs": 0}
    assert info.total_cycles == {k: TOTAL for k in ("rcs", "bcs", "vcs", "vecs", "ccs")}
    assert info.capacity == {"vcs": 2, "vecs": 2, "ccs": 4}
    assert info.engine_busy_ns == {}


def test_one_sample_gives_no_utilization() -> None:
    info = load()
    assert device_engine_utilization({}, {"3": info}, 10**9) == {}


def test_xe_cycles_between_two_reads() -> None:
    """The second read is the fixture with counters advanced by hand (format as documented)."""
    before = load()
    after = replace(
        before,
        cycles={**before.cycles, "rcs": 28257900 + 250_000, "ccs": 400_000},
        total_cycles={k: TOTAL + 1_000_000 for k in before.total_cycles},
    )
    engines = client_engine_utilization(before, after, 10**9)
    assert engines["rcs"] == pytest.approx(25.0)
    assert engines["ccs"] == pytest.approx(10.0)  # 40 % of one of four compute engines
    assert engines["bcs"] == 0.0
    assert overall_utilization(engines) == pytest.approx(25.0)


def test_counters_going_backwards_are_skipped() -> None:
    before = load()
    after = replace(before, cycles={**before.cycles, "rcs": 1},
                    total_cycles={k: TOTAL + 10 for k in before.total_cycles})
    assert "rcs" not in client_engine_utilization(before, after, 10**9)


def test_i915_ns_counters_and_capacity() -> None:
    """i915 format per drm-usage-stats.rst (`drm-engine-<class>: N ns`); no real sample here."""
    text_before = "drm-driver:\ti915\ndrm-client-id:\t7\ndrm-engine-render:\t1000000000 ns\n" \
                  "drm-engine-video:\t0 ns\ndrm-engine-capacity-video:\t2\n"
    text_after = "drm-driver:\ti915\ndrm-client-id:\t7\ndrm-engine-render:\t1500000000 ns\n" \
                 "drm-engine-video:\t1000000000 ns\ndrm-engine-capacity-video:\t2\n"
    before, after = parse_fdinfo(text_before), parse_fdinfo(text_after)
    assert before is not None and after is not None
    engines = client_engine_utilization(before, after, 2 * 10**9)
    assert engines == {"render": 25.0, "video": 25.0}


def test_clients_sum_per_device_and_clamp() -> None:
    before = load()
    after = replace(before, cycles={**before.cycles, "rcs": 28257900 + 800_000},
                    total_cycles={k: TOTAL + 1_000_000 for k in before.total_cycles})
    total = device_engine_utilization({"a": before, "b": before}, {"a": after, "b": after}, 1)
    assert total["rcs"] == 100.0


def test_not_a_drm_fd() -> None:
    assert parse_fdinfo("pos:\t0\nflags:\t02\nmnt_id:\t1\n") is None


def test_small_helpers() -> None:
    assert parse_memory_value("192 KiB") == 196608
    assert parse_memory_value("16 MiB") == 16777216
    assert parse_memory_value("0") == 0
    assert parse_memory_value("12 parsecs") is None
    assert power_from_energy_w(None, 5_000_000, 1.0) is None
    assert power_from_energy_w(1_000_000, 31_000_000, 2.0) == 15.0
    assert power_from_energy_w(5, 1, 1.0) is None
    assert sum_present([None, None]) is None and sum_present([1, None, 2]) == 3
