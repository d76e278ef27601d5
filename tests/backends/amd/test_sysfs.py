"""AMD backend on the five real amdgpu sysfs dumps in tests/fixtures/amd (see SOURCES.md).

Each dump is one card's `/sys/class/drm/cardN/device/`; the tests mount it under a fake
root as `sys/class/drm/card0/device` (a symlink, as in real sysfs) and point the backend
at that root.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from allsmi_py.errors import BackendReadError
from backends.amd.backend import AmdBackend, find_amd_cards
from backends.amd.parse import current_dpm_mhz, max_dpm_mhz, parse_dpm_levels, pcie_generation

FIXTURES = Path(__file__).parents[2] / "fixtures" / "amd"
GIB = 1024**3


def mount(root: Path, card: str, number: int = 0) -> Path:
    card_dir = root / "sys/class/drm" / f"card{number}"
    card_dir.mkdir(parents=True)
    (card_dir / "device").symlink_to((FIXTURES / f"amdgpu_sysfs_{card}").resolve())
    return card_dir


def read_one(tmp_path: Path, card: str):  # noqa: ANN201 - DeviceReading
    mount(tmp_path, card)
    with AmdBackend(root=str(tmp_path), use_amdsmi=False) as backend:
        (device,) = backend.read()
    return device


# card: util %, VRAM used, VRAM total, edge °C, mem °C, W, cap W, sclk, sclk max, mclk, rpm,
#       PCIe gen, width
EXPECTED = {
    "rx580": (11.0, 536870912, 4 * GIB, 44.0, None, 41.045, 155.0, 900.0, 1366.0, 1750.0,
              595.0, 3, 16),
    "vega56": (0.0, 16613376, 8573157376, 38.0, 39.0, 8.0, 260.0, 852.0, 1590.0, 167.0,
               5.0, 3, 16),
    "rx7600s": (0.0, None, None, 53.0, 60.0, 1.0, 95.0, 0.0, 1841.0, 96.0, 0.0, 4, 8),
    "rx7800xt": (0.0, None, None, 37.0, 56.0, 10.0, 222.0, 0.0, 2124.0, 96.0, 0.0, 4, 16),
    "rx9070xt": (9.0, None, None, 39.0, 62.0, 19.0, 330.0, 0.0, 2520.0, 96.0, None, 5, 16),
}


@pytest.mark.parametrize("card", sorted(EXPECTED))
def test_every_dump(tmp_path: Path, card: str) -> None:
    (util, used, total, edge, mem, watts, cap, sclk, sclk_max, mclk, rpm, gen,
     width) = EXPECTED[card]
    device = read_one(tmp_path, card)
    assert device.backend == "amd" and device.vendor == "AMD" and device.kind == "gpu"
    assert device.utilization_pct == util
    assert device.memory_used_bytes == used
    assert device.memory_total_bytes == total
    assert device.temperature_c == edge
    assert device.memory_temperature_c == mem
    assert device.power_w == watts
    assert device.power_limit_w == cap
    assert device.clock_graphics_mhz == sclk
    assert device.clock_graphics_max_mhz == sclk_max
    assert device.clock_memory_mhz == mclk
    assert device.fan_rpm == rpm
    assert device.pcie_gen_current == gen
    assert device.pcie_width_current == width


def test_rx580_identity_and_details(tmp_path: Path) -> None:
    device = read_one(tmp_path, "rx580")
    assert device.name == "AMD GPU [1002:67DF]"  # product_name is empty in the dump
    assert device.uuid == "amd-0000:09:00.0"
    assert device.memory_utilization_pct == 2.0
    assert device.power_limit_max_w == 201.0
    assert device.fan_pct == 13.7  # pwm1 35 of 255
    assert device.numa_node is None  # -1 in sysfs
    assert device.temperature_shutdown_c is None  # Polaris has no temp1_emergency
    assert device.details["vbios_version"] == "113-1E3871U-O4C"
    assert device.details["gtt_total_bytes"] == "8342712320"
    assert device.details["temperature.edge_crit_c"] == "94"
    assert "temperature.edge_crit_hyst_c" not in device.details  # -273150 sentinel
    assert device.details["hwmon_sclk_mhz"] == "798.08"
    assert "vram_vendor" not in device.details  # "unknown"
    assert device.pcie_gen_max == 3 and device.pcie_width_max == 16


def test_vega56_three_sensors(tmp_path: Path) -> None:
    device = read_one(tmp_path, "vega56")
    assert device.details["temperature.junction_input_c"] == "38"
    assert device.temperature_shutdown_c == 90.0
    assert device.details["vram_vendor"] == "hynix"


def test_rx9070xt_has_no_fan_and_deep_sleep_clock(tmp_path: Path) -> None:
    device = read_one(tmp_path, "rx9070xt")
    assert device.fan_rpm is None and device.fan_pct is None
    assert device.details["hwmon_sclk_mhz"] == "59"
    assert device.pcie_gen_max is None  # no max_link_speed in the dump


def test_rx7800xt_hwmon_without_name_file_is_still_found(tmp_path: Path) -> None:
    device = read_one(tmp_path, "rx7800xt")
    assert device.power_limit_default_w == 212.0


def test_several_cards_connectors_and_other_vendors(tmp_path: Path) -> None:
    mount(tmp_path, "rx580", 0)
    mount(tmp_path, "vega56", 1)
    (tmp_path / "sys/class/drm/card0-DP-1").mkdir()
    intel = tmp_path / "sys/class/drm/card2/device"
    intel.mkdir(parents=True)
    (intel / "vendor").write_text("0x8086\n")
    assert len(find_amd_cards(str(tmp_path))) == 2
    with AmdBackend(root=str(tmp_path), use_amdsmi=False) as backend:
        devices = backend.read()
        assert backend.status_message() == "sysfs"
    assert [d.index for d in devices] == [0, 1]
    assert [d.details["pci_id"] for d in devices] == ["1002:67DF", "1002:687F"]


def test_power1_input_when_no_average(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(FIXTURES / "amdgpu_sysfs_rx580", copy, symlinks=True)
    hwmon = copy / "hwmon/hwmon4"
    (hwmon / "power1_average").unlink()
    (hwmon / "power1_input").write_text("52500000\n")
    root = tmp_path / "root"
    card = root / "sys/class/drm/card0"
    card.mkdir(parents=True)
    (card / "device").symlink_to(copy)
    with AmdBackend(root=str(root), use_amdsmi=False) as backend:
        assert backend.read()[0].power_w == 52.5
        shutil.rmtree(copy)
        with pytest.raises(BackendReadError, match="gone"):
            backend.read()


def test_dpm_and_link_helpers() -> None:
    text = "0: 300Mhz \n1: 600Mhz \n2: 900Mhz *\n"
    assert parse_dpm_levels(text) == [(0, 300.0, False), (1, 600.0, False), (2, 900.0, True)]
    assert current_dpm_mhz(text) == 900.0 and max_dpm_mhz(text) == 900.0
    assert current_dpm_mhz("0: 300Mhz\n") is None
    assert current_dpm_mhz(None) is None and max_dpm_mhz("") is None
    assert pcie_generation("2.5 GT/s PCIe") == 1
    assert pcie_generation("32.0 GT/s PCIe") == 5
    assert pcie_generation("Unknown speed") is None


def test_available_is_no_on_this_machine() -> None:
    result = AmdBackend.available()  # no process: see tests/backends/test_contract.py
    assert not result and "0x1002" in result.reason


def test_no_card_and_no_amdsmi_is_unavailable(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from allsmi_py.errors import BackendUnavailable

    monkeypatch.setitem(sys.modules, "amdsmi", None)  # makes `import amdsmi` fail
    with pytest.raises(BackendUnavailable, match="amdsmi"):
        AmdBackend(root=str(tmp_path)).open()
