"""powermetrics parsers on the real samples in tests/fixtures/apple (see SOURCES.md), and
IOReport and SMC decoders on values built from the documented formats. No real IOReport
sample exists in text form (channels are read through a private framework): the Ultra
numbers below are derived from the per-channel watts that all-smi recorded on an M1 Ultra
(Mac13,2, its `m1_ultra_tests.rs`), turned back into counter deltas."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from backends.apple.parse import (
    IOReportChannel,
    cpu_cluster,
    decode_smc,
    energy_rail,
    energy_to_watts,
    mean_temperature_c,
    memory_used_bytes,
    parse_plist,
    parse_text,
    parse_voltage_states,
    residency_frequency_mhz,
    residency_summary,
    residency_utilization_pct,
    sample_from_ioreport,
    select_frequency_tables,
    split_plist_stream,
    temperature_kind,
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


def table(*values: int) -> bytes:
    return b"".join(struct.pack("<II", value, 700) for value in values)


def test_voltage_state_table() -> None:
    assert parse_voltage_states(table(338_000_000, 618_000_000) + b"\x01\x02") == [338.0, 618.0]
    # the GPU table's 0 Hz off entry is not a clock
    assert parse_voltage_states(table(0, 338_000_000, 1_578_000_000)) == [338.0, 1578.0]
    # M4 CPU tables are in kHz: 4512 MHz does not fit a u32 in Hz
    assert parse_voltage_states(table(1_260_000, 4_512_000)) == [1260.0, 4512.0]
    # clock periods or state indices give nothing
    assert parse_voltage_states(table(1, 2, 3)) == []
    assert parse_voltage_states(b"") == []


def test_frequency_table_choice() -> None:
    chosen = select_frequency_tables({
        "voltage-states9": table(0, 338_000_000),
        "voltage-states9-sram": table(0, 400_000_000),
        "voltage-states1": table(5, 6),  # periods: skipped for the -sram key anyway
        "voltage-states1-sram": table(1_020_000, 2_592_000),
        "voltage-states5": table(600_000_000, 3_228_000_000),  # no -sram key: plain key
    })
    assert chosen == {"gpu": [338.0], "ECPU": [1020.0, 2592.0], "PCPU": [600.0, 3228.0]}
    assert select_frequency_tables({"voltage-states9-sram": table(444_000_000)}) == {
        "gpu": [444.0]}


def test_energy_rails() -> None:
    rails = {name: energy_rail(name) for name in (
        "CPU Energy", "DIE_0_CPU Energy", "DIE_1_CPU Energy", "GPU Energy", "ANE", "ANE0",
        "ANE0_1", "DRAM", "DRAM0_0", "GPU SRAM0_0", "GPU0", "GPU0_0", "GPUPH", "EACC_CPU",
        "DIE_0_EACC_CPU", "PACC0_CPU", "DISP", "apciec0 Energy")}
    assert rails == {
        "CPU Energy": "cpu", "DIE_0_CPU Energy": "cpu", "DIE_1_CPU Energy": "cpu",
        "GPU Energy": "gpu", "ANE": "ane", "ANE0": "ane", "ANE0_1": "ane", "DRAM": "dram",
        "DRAM0_0": "dram", "GPU SRAM0_0": "gpu_sram", "GPU0": None, "GPU0_0": None,
        "GPUPH": None, "EACC_CPU": None, "DIE_0_EACC_CPU": None, "PACC0_CPU": None,
        "DISP": None, "apciec0 Energy": None,
    }


def test_cpu_clusters() -> None:
    assert [cpu_cluster(name) for name in ("ECPU0", "PCPU11", "MCPU0", "DIE_1_PCPU3",
                                           "DIE_0_ECPU_CPU1", "GPUPH", "PACC0_CPU")] == \
        ["ECPU", "PCPU", "MCPU", "DIE_1_PCPU", "DIE_0_ECPU", None, None]


def energy(name: str, unit: str, value: int) -> IOReportChannel:
    return IOReportChannel("Energy Model", "", name, unit, value=value)


def test_ultra_dies_are_summed() -> None:
    # 2 s window of all-smi's loaded M1 Ultra run: W x 2 s in each channel's unit.
    channels = [
        energy("DIE_0_CPU Energy", "mJ", 29_322),   # 14.661 W
        energy("DIE_1_CPU Energy", "mJ", 4_702),    # 2.351 W
        energy("GPU Energy", "nJ", 162_000_000),    # 0.081 W
        energy("GPU0_0", "mJ", 152),                # 0.076 W, not the GPU rail
        energy("GPU SRAM0_0", "mJ", 4),             # 0.002 W
        energy("ANE0_0", "mJ", 76),                 # 0.038 W
        energy("ANE0_1", "mJ", 20),                 # 0.010 W
        energy("DRAM0_0", "mJ", 4_000),             # 2.000 W
        energy("DRAM0_1", "mJ", 3_944),             # 1.972 W
        energy("DIE_0_EACC_CPU", "mJ", 1_000),      # 0.5 W, a cluster: not summed
        energy("ISP0_0", "uJ", 1_000_000),          # 0.5 W, another block
    ]
    sample = sample_from_ioreport(channels, 2.0, {})
    assert sample.cpu_power_w == pytest.approx(14.661 + 2.351)
    assert sample.gpu_power_w == pytest.approx(0.081)
    assert sample.ane_power_w == pytest.approx(0.048)
    assert sample.dram_power_w == pytest.approx(3.972)
    assert sample.gpu_sram_power_w == pytest.approx(0.002)
    assert sample.combined_power_w == pytest.approx(14.661 + 2.351 + 0.081 + 0.048)
    assert sample.gpu_utilization_pct is None and sample.gpu_frequency_mhz is None
    assert sample.clusters == {}


def test_energy_units_and_missing_rails() -> None:
    sample = sample_from_ioreport(
        [energy("CPU Energy", "uJ", 1_500_000), energy("GPU Energy", "mJ", 250),
         energy("ANE", "kJ", 5)], 0.5, {})
    assert (sample.cpu_power_w, sample.gpu_power_w) == (3.0, 0.5)
    assert sample.ane_power_w is None  # an unknown unit is not a reading
    assert sample.combined_power_w == 3.5  # CPU + GPU + (no ANE)
    assert sample.dram_power_w is None
    # a counter that went backwards (reset) is not a negative power
    assert sample_from_ioreport([energy("CPU Energy", "mJ", -5)], 1.0, {}).cpu_power_w is None


def test_gpu_and_cluster_residency() -> None:
    gpu = IOReportChannel("GPU Stats", "GPU Performance States", "GPUPH", "",
                          states=(("OFF", 300), ("IDLE", 500), ("P1", 100), ("P2", 0),
                                  ("P3", 100)))
    cores = [IOReportChannel("CPU Stats", "CPU Core Performance States", name, "",
                             states=states) for name, states in (
        ("ECPU0", (("IDLE", 600), ("V0P1", 300), ("V1P0", 100))),
        ("ECPU1", (("IDLE", 1000), ("V0P1", 0), ("V1P0", 0))),
        ("PCPU0", (("DOWN", 500), ("IDLE", 250), ("V0P1", 0), ("V1P0", 250))),
    )]
    tables = {"gpu": [338.0, 618.0, 796.0], "ECPU": [1020.0, 2592.0], "PCPU": [1260.0, 4512.0]}
    sample = sample_from_ioreport([gpu, *cores], 1.0, tables)
    assert sample.gpu_utilization_pct == 20.0
    assert sample.gpu_frequency_mhz == pytest.approx(567.0)  # (338 + 796) / 2
    assert sample.clusters == {
        "ECPU": (pytest.approx(1413.0), 20.0),  # (1020 x 300 + 2592 x 100) / 400; 400/2000
        "PCPU": (4512.0, 25.0),
    }


def test_residency_summary_edges() -> None:
    # idle the whole window: parked at the lowest clock, 0 % busy
    assert residency_summary([[("IDLE", 10), ("P1", 0)]], [444.0, 338.0]) == (0.0, 338.0)
    # no table: busy is known, the clock is not
    assert residency_summary([[("IDLE", 10), ("P1", 30)]], []) == (75.0, None)
    assert residency_summary([], [338.0]) == (None, None)
    assert residency_summary([[("IDLE", 0)]], [338.0]) == (None, None)


def test_smc_decoding() -> None:
    assert decode_smc("flt ", struct.pack("<f", 46.25)) == 46.25  # little-endian
    assert decode_smc("flt ", struct.pack(">f", 46.25)) != 46.25
    assert decode_smc("sp78", b"\x2e\x40") == 46.25
    assert decode_smc("sp78", b"\xff\x00") == -1.0
    assert decode_smc("fpe2", b"\x17\x70") == 1500.0  # fan RPM, 14.2 fixed point
    assert decode_smc("fp1f", b"\x80\x00") == 1.0
    assert decode_smc("ui8 ", b"\x02") == 2.0
    assert decode_smc("ui16", b"\x01\x02") == 258.0
    assert decode_smc("ui32", b"\x00\x00\x0e\x9b") == 3739.0
    assert decode_smc("si16", b"\xff\xfe") == -2.0
    assert decode_smc("ch8*", b"j416") is None
    assert decode_smc("flt ", b"\x00\x00") is None
    assert decode_smc("spzz", b"\x00\x01") is None


def test_temperature_keys() -> None:
    assert [temperature_kind(key, kind) for key, kind in (
        ("Tp01", "flt "), ("Te05", "flt "), ("Tg0j", "flt "), ("TC0P", "sp78"),
        ("TG0D", "sp78"), ("Tp01", "sp78"), ("TC0P", "flt "), ("Ta0P", "flt "),
        ("TpSD", "ui16"), ("PSTR", "flt "), ("Tg", "flt "))] == \
        ["cpu", "cpu", "gpu", "cpu", "gpu", None, None, None, None, None, None]
    assert mean_temperature_c([38.5, 39.5, 0.0, 150.0, None]) == 39.0
    assert mean_temperature_c([0.0, None]) is None


def test_memory_used() -> None:
    fields = [0] * 24
    for index, pages in ((1, 1_000_000), (2, 950_000), (3, 300_000), (13, 20_000),
                         (14, 40_000), (19, 120_000), (21, 600_000)):
        fields[index] = pages
    data = struct.pack("=4I9Q2I4Q4IQ", *fields)
    assert len(data) == 152
    # active + inactive + wired + speculative + compressed - purgeable - external
    assert memory_used_bytes(data, 16384) == 1_790_000 * 16384
    assert memory_used_bytes(data[:100], 16384) is None


def test_thermal_state_names() -> None:
    assert [thermal_state_name(i) for i in range(4)] == ["Nominal", "Fair", "Serious",
                                                        "Critical"]
    assert thermal_state_name(7) is None
