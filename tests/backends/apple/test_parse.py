"""powermetrics parsers on the real samples in tests/fixtures/apple (see SOURCES.md), and
IOReport decoders on values built from the documented formats (no real IOReport sample
exists in text form: channels are read through a private framework)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from backends.apple.parse import (
    energy_to_watts,
    parse_plist,
    parse_text,
    parse_voltage_states,
    residency_frequency_mhz,
    residency_utilization_pct,
    split_plist_stream,
    thermal_state_name,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "apple"
PLIST = FIXTURES / "powermetrics_plist_macbookpro16-m4max_mac16-5.plist"


def test_plist_m4_max() -> None:
    sample = parse_plist(PLIST.read_bytes())
    assert sample.hw_model == "Mac16,5"
    assert sample.thermal_pressure == "Nominal"
    assert sample.gpu_frequency_mhz == 338.0  # `freq_hz` is MHz
    assert sample.gpu_utilization_pct == pytest.approx(12.2657)  # 1 - idle_ratio 0.877343
    assert sample.cpu_power_w == pytest.approx(2.97845)
    assert sample.gpu_power_w == pytest.approx(0.269614)
    assert sample.ane_power_w == 0.0
    assert sample.combined_power_w == pytest.approx(3.24807)
    assert list(sample.clusters) == ["E-Cluster", "P0-Cluster", "P1-Cluster"]
    mhz, busy = sample.clusters["E-Cluster"]
    assert mhz == pytest.approx(1154.44) and busy == pytest.approx(52.968)
    # P1 is mostly powered down (down_ratio 0.997273), not busy: 1 - 0.00237207 - 0.997273.
    assert sample.clusters["P1-Cluster"][1] == pytest.approx(0.035493, abs=1e-6)


# file: (gpu MHz, gpu %, cpu W, gpu W, combined W, clusters)
TEXT = {
    "m1-pro": (389.0, 9.99, 0.289, 0.104, 0.401, ["E-Cluster", "P0-Cluster", "P1-Cluster"]),
    "m1-ultra": (636.0, 19.10, 5.247, 0.132, 5.385,
                 ["E0-Cluster", "E1-Cluster", "P0-Cluster", "P1-Cluster", "P2-Cluster",
                  "P3-Cluster"]),
    "m3-pro": (338.0, 6.31, 3.224, 0.031, 3.254, ["E-Cluster", "P-Cluster"]),
}


@pytest.mark.parametrize("chip", sorted(TEXT))
def test_text_excerpts(chip: str) -> None:
    mhz, busy, cpu, gpu, combined, clusters = TEXT[chip]
    sample = parse_text((FIXTURES / f"powermetrics_text_{chip}_excerpt.txt").read_text())
    assert sample.gpu_frequency_mhz == mhz
    assert sample.gpu_utilization_pct == busy
    assert sample.cpu_power_w == cpu
    assert sample.gpu_power_w == gpu
    assert sample.ane_power_w == 0.0
    assert sample.combined_power_w == combined
    assert list(sample.clusters) == clusters


def test_text_gpu_power_prefers_gpu_section_over_summary() -> None:
    sample = parse_text((FIXTURES / "powermetrics_text_m1-pro_excerpt.txt").read_text())
    assert sample.gpu_power_w == 0.104  # the summary line says 112 mW
    assert sample.clusters["P0-Cluster"] == (1149.0, 12.79)


def test_garbage_is_rejected() -> None:
    with pytest.raises(ValueError):
        parse_plist(b"powermetrics: must be invoked as the superuser\n")
    with pytest.raises(ValueError):
        parse_plist(b"<?xml version='1.0'?><plist><array/></plist>")
    with pytest.raises(ValueError):
        parse_text("powermetrics must be invoked as the superuser\n")


def test_stream_split_on_nul() -> None:
    data = PLIST.read_bytes()
    samples, rest = split_plist_stream(data + b"\0" + data + b"\0" + data[:100])
    assert len(samples) == 2 and rest == data[:100]
    assert parse_plist(samples[1]).hw_model == "Mac16,5"
    assert split_plist_stream(b"partial") == ([], b"partial")


def test_ioreport_energy_units() -> None:
    assert energy_to_watts(1500, "mJ", 0.5) == 3.0
    assert energy_to_watts(2_000_000, "uJ", 1.0) == 2.0
    assert energy_to_watts(4_000_000_000, "nJ", 2.0) == 2.0
    assert energy_to_watts(10, "kWh", 1.0) is None
    assert energy_to_watts(10, "mJ", 0.0) is None


def test_ioreport_gpu_residency() -> None:
    # GPUPH states as IOReport names them: OFF, IDLE, then one per voltage state.
    states = [("OFF", 300), ("IDLE", 500), ("P1", 100), ("P2", 0), ("P3", 100)]
    assert residency_utilization_pct(states) == 20.0
    assert residency_frequency_mhz(states, [338.0, 618.0, 796.0]) == pytest.approx(567.0)
    assert residency_utilization_pct([("IDLE", 0)]) is None
    assert residency_frequency_mhz([("IDLE", 10)], [338.0]) is None


def test_voltage_state_table() -> None:
    table = b"".join(struct.pack("<II", hz, 700) for hz in (338_000_000, 618_000_000))
    assert parse_voltage_states(table + b"\x01\x02") == [338.0, 618.0]


def test_thermal_state_names() -> None:
    assert [thermal_state_name(i) for i in range(4)] == ["Nominal", "Fair", "Serious",
                                                        "Critical"]
    assert thermal_state_name(7) is None
