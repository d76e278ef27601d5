"""tegrastats parser on the eight real lines in tests/fixtures/jetson (see SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backends.jetson.parse import (
    CpuCore,
    Rail,
    gpu_temperature_c,
    ina3221_rail_power_w,
    is_real_rail,
    parse_compatible,
    parse_meminfo,
    parse_tegrastats,
    runtime_active_pct,
    sensor_name,
    total_power_w,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "jetson"
MIB = 1024 * 1024


def load(name: str) -> str:
    return (FIXTURES / f"tegrastats_{name}.txt").read_text().strip("\n")


# name: (ram used MiB, ram total MiB, gpu %, gpu MHz, gpu °C, total W, cores, online cores)
EXPECTED = {
    "jetson-tx1": (1179, 3983, 0.0, 76.0, 39.0, 2.532, 4, 4),
    "jetson-tx2": (2344, 7852, 0.0, 624.0, 35.0, 3.056, 6, 4),
    "jetson-nano": (534, 3964, 0.0, 76.0, 36.0, 1.022, 4, 4),
    "jetson-agx-xavier": (721, 31927, 0.0, 318.0, 37.5, 3.346, 8, 4),
    "jetson-xavier-nx": (4412, 7772, 62.0, 306.0, 43.0, 4.067, 6, 6),
    "jetson-orin-nx-16gb_mw-units": (6334, 15388, 0.0, 611.0, 45.875, 5.299, 8, 4),
    "jetson-agx-orin-32gb_r36": (29114, 30697, 0.0, 305.0, 47.812, 12.377, 12, 12),
    "jetson-agx-orin-64gb": (2448, 62840, 0.0, None, 37.75, 10.37, 12, 12),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_fixture_core_fields(name: str) -> None:
    used, total, gpu_pct, gpu_mhz, gpu_c, power_w, cores, online = EXPECTED[name]
    sample = parse_tegrastats(load(name))
    assert sample.ram_used_bytes == used * MIB
    assert sample.ram_total_bytes == total * MIB
    assert sample.gpu_utilization_pct == gpu_pct
    assert sample.gpu_frequency_mhz == gpu_mhz
    assert gpu_temperature_c(sample.temperatures_c) == gpu_c
    assert total_power_w(sample.rails) == pytest.approx(power_w, abs=1e-9)
    assert len(sample.cpus) == cores
    assert sum(core.online for core in sample.cpus) == online
    assert "PMIC" not in sample.temperatures_c


def test_tx1_old_format_rails_without_units_and_no_swap() -> None:
    sample = parse_tegrastats(load("jetson-tx1"))
    assert sample.swap_total_bytes is None
    assert sample.rails == {
        "VDD_IN": Rail(2.532, 2.698),
        "VDD_CPU": Rail(0.076, 0.178),
        "VDD_GPU": Rail(0.019, 0.019),
    }
    assert sample.cpus[0] == CpuCore(True, 1.0, 102.0)
    assert sample.emc_utilization_pct == 7.0 and sample.emc_frequency_mhz == 408.0
    assert sample.engines_mhz == {"APE": 25.0}


def test_tx2_off_cores_and_sys_rails() -> None:
    sample = parse_tegrastats(load("jetson-tx2"))
    assert [core.online for core in sample.cpus] == [True, False, False, True, True, True]
    assert sample.cpus[1] == CpuCore(False)
    assert sample.rails["VDD_SYS_DDR"] == Rail(0.883, 0.883)
    assert sample.rails["VDD_4V0_WIFI"] == Rail(0.0, 0.0)
    assert sample.temperatures_c["BCPU"] == 37.5
    assert sample.swap_used_bytes == 0 and sample.swap_total_bytes == 3926 * MIB


def test_nano_pom_rails_pick_pom_5v_in_as_total() -> None:
    sample = parse_tegrastats(load("jetson-nano"))
    assert set(sample.rails) == {"POM_5V_IN", "POM_5V_GPU", "POM_5V_CPU"}
    assert sample.rails["POM_5V_CPU"] == Rail(0.204, 0.204)
    assert sample.temperatures_c == {
        "PLL": 34.0, "CPU": 36.5, "GPU": 36.0, "AO": 39.5, "thermal": 36.25,
    }
    assert sample.swap_used_bytes == 5 * MIB


def test_agx_xavier_bare_rail_names_and_mts() -> None:
    sample = parse_tegrastats(load("jetson-agx-xavier"))
    assert sample.rails["CPU"] == Rail(0.311, 0.311)
    assert sample.rails["GPU"] == Rail(0.0, 0.0)
    assert list(sample.rails) == ["GPU", "CPU", "SOC", "CV", "VDDRQ", "SYS5V"]
    assert (sample.mts_fg_pct, sample.mts_bg_pct) == (0.0, 0.0)
    assert sample.engines_mhz == {"APE": 150.0}
    assert sample.cpus[0] == CpuCore(True, 2.0, 1190.0)


def test_xavier_nx_busy_gpu() -> None:
    sample = parse_tegrastats(load("jetson-xavier-nx"))
    assert sample.gpu_utilization_pct == 62.0
    assert sample.cpus[5] == CpuCore(True, 8.0, 1267.0)
    assert sample.rails["VDD_CPU_GPU_CV"] == Rail(0.738, 0.738)


def test_orin_nx_mw_suffix_and_vic() -> None:
    sample = parse_tegrastats(load("jetson-orin-nx-16gb_mw-units"))
    assert sample.rails == {
        "VDD_IN": Rail(5.299, 5.299),
        "VDD_CPU_GPU_CV": Rail(0.773, 0.773),
        "VDD_SOC": Rail(1.424, 1.424),
    }
    assert sample.engines_mhz == {"VIC_FREQ": 729.0, "APE": 174.0}
    assert sample.temperatures_c["tj"] == 48.875
    assert sample.temperatures_c["CV2"] == 45.75


def test_agx_orin_r36_per_gpc_clocks_engines_off_and_spaces() -> None:
    sample = parse_tegrastats(load("jetson-agx-orin-32gb_r36"))
    assert sample.gpu_gpc_frequencies_mhz == (305.0, 305.0)
    assert sample.engines_mhz == {
        "NVENC": None, "NVDEC": None, "NVJPG": None, "NVJPG1": None, "VIC": None,
        "OFA": None, "NVDLA0": None, "NVDLA1": None, "PVA0_FREQ": None, "APE": 174.0,
    }
    assert sample.cpus[5] == CpuCore(True, 100.0, 2201.0)
    assert sample.temperatures_c["soc2"] == 48.25
    # No VDD_IN on AGX Orin: the total is the sum of the three rails.
    assert "VDD_IN" not in sample.rails
    assert sample.rails["VIN_SYS_5V0"] == Rail(4.767, 4.767)


def test_agx_orin_jetpack5_gr3d_without_clock_and_no_emc() -> None:
    sample = parse_tegrastats(load("jetson-agx-orin-64gb"))
    assert sample.gpu_frequency_mhz is None
    assert sample.gpu_gpc_frequencies_mhz == ()
    assert sample.emc_utilization_pct is None
    assert sample.engines_mhz == {}
    assert sample.rails["VDD_GPU_SOC"] == Rail(4.94, 4.94)


def test_timestamp_prefix_of_newer_tegrastats() -> None:
    """Newer tegrastats prefix `MM-DD-YYYY HH:MM:SS` (documented format; prefix added here)."""
    sample = parse_tegrastats("01-21-2025 10:11:12 " + load("jetson-orin-nx-16gb_mw-units"))
    assert sample.timestamp == "01-21-2025 10:11:12"
    assert sample.gpu_frequency_mhz == 611.0


@pytest.mark.parametrize("garbage", ["", "command not found", "{\"json\": true}", "\x00\x01"])
def test_garbage_raises_value_error(garbage: str) -> None:
    with pytest.raises(ValueError):
        parse_tegrastats(garbage)


def test_total_power_without_rails_is_unknown() -> None:
    assert total_power_w({}) is None


def test_small_helpers() -> None:
    assert sensor_name("GPU-therm") == "gpu"
    assert sensor_name("CPU_therm") == "cpu"
    assert sensor_name("Tboard_tegra") == "tboard"
    assert ina3221_rail_power_w(5000, 1060) == pytest.approx(5.3)
    assert not is_real_rail("NC")
    assert not is_real_rail("sum of shunt voltages")
    assert is_real_rail("VDD_IN")
    assert parse_compatible(b"nvidia,p3737-0000+p3701-0000\0nvidia,tegra234\0") == (
        "nvidia,p3737-0000+p3701-0000",
        "nvidia,tegra234",
    )
    meminfo = "MemTotal:       31427728 kB\nMemFree: 1 kB\nMemAvailable:   20000000 kB\n"
    assert parse_meminfo(meminfo) == (31427728 * 1024, (31427728 - 20000000) * 1024)
    assert parse_meminfo("MemTotal: 10 kB\n") == (10240, None)


def test_runtime_active_pct() -> None:
    assert runtime_active_pct((1000, 50000), (2500, 50500)) == 75.0
    assert runtime_active_pct((1000, 50000), (1000, 50000)) is None
    assert runtime_active_pct((9000, 1000), (10, 1000)) is None
