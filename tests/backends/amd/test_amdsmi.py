"""The amdsmi path, with the library replaced by fakes.

No real amdsmi output can be recorded here (no AMD GPU, no ROCm): the fake module below
follows the function names, dict keys and "N/A" convention of amdsmi 7.0.2 as described in
the reference notes, and the import failures are the ones amdsmi_wrapper really raises.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from allsmi_py.errors import BackendUnavailable
from backends.amd.amdsmi_source import AmdSmiSource, import_amdsmi, number


class AmdSmiException(Exception):
    pass


class Temp(Enum):
    EDGE = 0
    HOTSPOT = 1
    VRAM = 2


class Clk(Enum):
    GFX = 0
    MEM = 1


def fake_amdsmi(**overrides: Any) -> SimpleNamespace:
    temps = {Temp.EDGE: 41, Temp.HOTSPOT: 55, Temp.VRAM: "N/A"}

    def temp_metric(handle: str, sensor: Temp, metric: str) -> Any:
        return temps[sensor]

    def fan_rpms(handle: str, sensor: int) -> int:
        raise AmdSmiException("not supported")

    functions: dict[str, Any] = dict(
        AmdSmiException=AmdSmiException,
        AmdSmiTemperatureType=Temp,
        AmdSmiTemperatureMetric=SimpleNamespace(CURRENT="current"),
        AmdSmiClkType=Clk,
        amdsmi_init=lambda: None,
        amdsmi_shut_down=lambda: None,
        amdsmi_get_processor_handles=lambda: ["h0"],
        amdsmi_get_gpu_asic_info=lambda h: {"market_name": "AMD Instinct MI210"},
        amdsmi_get_gpu_device_bdf=lambda h: "0000:c1:00.0",
        amdsmi_get_gpu_device_uuid=lambda h: "ab00-cd",
        amdsmi_get_gpu_activity=lambda h: {"gfx_activity": 37, "umc_activity": "N/A",
                                           "mm_activity": "N/A"},
        amdsmi_get_gpu_vram_usage=lambda h: {"vram_total": 65520, "vram_used": 1024},
        amdsmi_get_power_info=lambda h: {"average_socket_power": "N/A",
                                         "current_socket_power": 88, "socket_power": 88},
        amdsmi_get_power_cap_info=lambda h: {"power_cap": 300000000,
                                             "default_power_cap": 300000000,
                                             "max_power_cap": 300000000},
        amdsmi_get_clock_info=lambda h, kind: {"clk": 1700 if kind is Clk.GFX else 1600,
                                               "max_clk": 1700},
        amdsmi_get_temp_metric=temp_metric,
        amdsmi_get_gpu_fan_rpms=fan_rpms,
    )
    functions.update(overrides)
    return SimpleNamespace(**functions)


def test_reading_maps_units_and_na() -> None:
    source = AmdSmiSource.open(fake_amdsmi())  # type: ignore[arg-type]
    (device,) = source.read()
    source.close()
    assert device.name == "AMD Instinct MI210" and device.uuid == "amd-ab00-cd"
    assert device.utilization_pct == 37.0
    assert device.memory_utilization_pct is None
    assert device.memory_total_bytes == 65520 * 1024 * 1024
    assert device.memory_used_bytes == 1024 * 1024 * 1024
    assert device.power_w == 88.0  # average is N/A: fall back to current
    assert device.power_limit_w == 300.0
    assert device.temperature_c == 41.0 and device.memory_temperature_c is None
    assert device.details["temperature.junction_input_c"] == "55"
    assert device.clock_graphics_mhz == 1700.0 and device.clock_memory_mhz == 1600.0
    assert device.fan_rpm is None  # the call raised
    assert device.details["source"] == "amdsmi"


def test_no_handles_is_unavailable() -> None:
    with pytest.raises(BackendUnavailable, match="no AMD GPU"):
        AmdSmiSource.open(fake_amdsmi(amdsmi_get_processor_handles=lambda: []))  # type: ignore[arg-type]


def test_init_failure_is_unavailable() -> None:
    def fail() -> None:
        raise AmdSmiException("AMDSMI_STATUS_DRIVER_NOT_LOADED")

    with pytest.raises(BackendUnavailable, match="DRIVER_NOT_LOADED"):
        AmdSmiSource.open(fake_amdsmi(amdsmi_init=fail))  # type: ignore[arg-type]


def test_import_keyerror_becomes_unavailable(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # amdsmi_wrapper raises KeyError at import when libamd_smi.so cannot be loaded.
    (tmp_path / "amdsmi.py").write_text("raise KeyError('ROCM_PATH')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "amdsmi", raising=False)
    with pytest.raises(BackendUnavailable, match="KeyError"):
        import_amdsmi()


def test_number_sentinels() -> None:
    assert number("N/A") is None and number(None) is None and number(True) is None
    assert number(0xFFFF) is None and number(0xFFFFFFFF) is None
    assert number(0) == 0.0 and number(12.5) == 12.5
