"""Pure parsers for amdgpu sysfs: one card's files (already read) to a DeviceReading.

File meanings and units follow the kernel's amdgpu documentation (`amdgpu_pm.c`): hwmon
temperatures in m°C, power in µW, clocks in Hz; `pp_dpm_*` list levels as `N: 500Mhz *`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from allsmi_py.model import DeviceReading
from allsmi_py.units import hz_to_mhz, millidegrees_to_c, uw_to_w
from backends._common.sysfs import parse_int, parse_uevent, pcie_generation

AMD_VENDOR_ID = "0x1002"
_DPM_LEVEL = re.compile(r"^\s*(\d+):\s*(\d+)\s*[Mm][Hh]z\s*(\*)?\s*$")
# hwmon writes absolute zero (-273150 m°C) for a threshold the ASIC does not have.
_ABSOLUTE_ZERO_MILLI_C = -273150


def parse_dpm_levels(text: str | None) -> list[tuple[int, float, bool]]:
    """(level, MHz, is_current) for each line of a pp_dpm_* file."""
    levels = []
    for line in (text or "").splitlines():
        match = _DPM_LEVEL.match(line)
        if match:
            levels.append((int(match.group(1)), float(match.group(2)), bool(match.group(3))))
    return levels


def current_dpm_mhz(text: str | None) -> float | None:
    """The clock in MHz of the level marked `*`, or None."""
    return next((mhz for _, mhz, current in parse_dpm_levels(text) if current), None)


def max_dpm_mhz(text: str | None) -> float | None:
    """The highest level's clock in MHz, or None."""
    levels = parse_dpm_levels(text)
    return max(mhz for _, mhz, _ in levels) if levels else None


def _watts(microwatts: str | None) -> float | None:
    return uw_to_w(parse_int(microwatts))


def _mhz(hertz: str | None) -> float | None:
    return hz_to_mhz(parse_int(hertz))


def _milli_c(text: str | None) -> float | None:
    value = parse_int(text, signed=True)
    return None if value == _ABSOLUTE_ZERO_MILLI_C else millidegrees_to_c(value)


def temperatures_by_label(hwmon: Mapping[str, str]) -> dict[str, dict[str, float]]:
    """{'edge': {'input': 44.0, 'crit': 94.0}, ...} in °C, keyed by temp*_label."""
    result: dict[str, dict[str, float]] = {}
    for name in hwmon:
        match = re.fullmatch(r"temp(\d+)_input", name)
        if not match:
            continue
        number = match.group(1)
        label = (hwmon.get(f"temp{number}_label") or f"temp{number}").strip()
        values = {}
        for suffix in ("input", "crit", "crit_hyst", "emergency"):
            celsius = _milli_c(hwmon.get(f"temp{number}_{suffix}"))
            if celsius is not None:
                values[suffix] = celsius
        result[label] = values
    return result


def _known(text: str | None) -> str | None:
    value = _nonblank(text)
    return None if value is None or value.lower() == "unknown" else value


def _mhz_text(hertz: str | None) -> str | None:
    mhz = _mhz(hertz)
    return None if mhz is None else f"{mhz:g}"


def _nonblank(text: str | None) -> str | None:
    stripped = (text or "").strip()
    return stripped or None


def amd_reading(
    index: int, uuid_key: object, name: str, details: Mapping[str, str]
) -> DeviceReading:
    """An AMD GPU with no value read yet; both sources give it the uuid amd-<uuid_key>."""
    return DeviceReading(backend="amd", index=index, uuid=f"amd-{uuid_key}", name=name,
                         kind="gpu", vendor="AMD", details=details)


def device_from_sysfs(
    index: int, card: Mapping[str, str], hwmon: Mapping[str, str]
) -> DeviceReading:
    """One AMD GPU from its device files and its amdgpu hwmon files (name -> text)."""
    uevent = parse_uevent(card.get("uevent"))
    pci_id = uevent.get("PCI_ID")
    slot = uevent.get("PCI_SLOT_NAME")
    name = _nonblank(card.get("product_name")) or (
        f"AMD GPU [{pci_id}]" if pci_id else "AMD GPU"
    )
    uuid_key = _nonblank(card.get("unique_id")) or slot or index

    temps = temperatures_by_label(hwmon)
    edge = temps.get("edge") or next(iter(temps.values()), {})
    power = _watts(hwmon.get("power1_average"))
    if power is None:
        power = _watts(hwmon.get("power1_input"))
    fan_rpm = parse_int(hwmon.get("fan1_input"))
    pwm = parse_int(hwmon.get("pwm1"))
    pwm_max = parse_int(hwmon.get("pwm1_max")) or 255
    sclk = current_dpm_mhz(card.get("pp_dpm_sclk"))
    if sclk is None:
        sclk = _mhz(hwmon.get("freq1_input"))
    mclk = current_dpm_mhz(card.get("pp_dpm_mclk"))
    if mclk is None:
        mclk = _mhz(hwmon.get("freq2_input"))
    numa = parse_int(card.get("numa_node"))  # -1, no NUMA node, reads as None

    details: dict[str, str] = {"source": "sysfs"}
    for key, value in (
        ("pci_id", pci_id),
        ("pci_slot", slot),
        ("vbios_version", _nonblank(card.get("vbios_version"))),
        ("serial_number", _nonblank(card.get("serial_number"))),
        ("performance_level", _nonblank(card.get("power_dpm_force_performance_level"))),
        ("vram_vendor", _known(card.get("mem_info_vram_vendor"))),
        ("gtt_used_bytes", _nonblank(card.get("mem_info_gtt_used"))),
        ("gtt_total_bytes", _nonblank(card.get("mem_info_gtt_total"))),
        ("vddgfx_mv", _nonblank(hwmon.get("in0_input"))),
        ("hwmon_sclk_mhz", _mhz_text(hwmon.get("freq1_input"))),
        ("hwmon_mclk_mhz", _mhz_text(hwmon.get("freq2_input"))),
    ):
        if value is not None:
            details[key] = value
    for label, values in temps.items():
        for suffix, celsius in values.items():
            details[f"temperature.{label}_{suffix}_c"] = f"{celsius:g}"

    return replace(
        amd_reading(index, uuid_key, name, details),
        utilization_pct=_float(card.get("gpu_busy_percent")),
        memory_utilization_pct=_float(card.get("mem_busy_percent")),
        memory_used_bytes=parse_int(card.get("mem_info_vram_used")),
        memory_total_bytes=parse_int(card.get("mem_info_vram_total")),
        temperature_c=edge.get("input"),
        memory_temperature_c=temps.get("mem", {}).get("input"),
        temperature_shutdown_c=edge.get("emergency"),
        power_w=power,
        power_limit_w=_watts(hwmon.get("power1_cap")),
        power_limit_default_w=_watts(hwmon.get("power1_cap_default")),
        power_limit_max_w=_watts(hwmon.get("power1_cap_max")),
        clock_graphics_mhz=sclk,
        clock_memory_mhz=mclk,
        clock_graphics_max_mhz=max_dpm_mhz(card.get("pp_dpm_sclk")),
        clock_memory_max_mhz=max_dpm_mhz(card.get("pp_dpm_mclk")),
        fan_rpm=None if fan_rpm is None else float(fan_rpm),
        fan_pct=None if pwm is None else round(100.0 * pwm / pwm_max, 1),
        pcie_gen_current=pcie_generation(card.get("current_link_speed")),
        pcie_gen_max=pcie_generation(card.get("max_link_speed")),
        pcie_width_current=parse_int(card.get("current_link_width")),
        pcie_width_max=parse_int(card.get("max_link_width")),
        numa_node=numa,
    )


def _float(text: str | None) -> float | None:
    value = parse_int(text)
    return None if value is None else float(value)
