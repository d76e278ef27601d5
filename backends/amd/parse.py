"""Pure parsers for amdgpu sysfs: one card's files (already read) to a DeviceReading.

File meanings and units follow the kernel's amdgpu documentation (`amdgpu_pm.c`): hwmon
temperatures in m°C, power in µW, clocks in Hz; `pp_dpm_*` list levels as `N: 500Mhz *`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from allsmi_py.model import DeviceReading

AMD_VENDOR_ID = "0x1002"
_DPM_LEVEL = re.compile(r"^\s*(\d+):\s*(\d+)\s*[Mm][Hh]z\s*(\*)?\s*$")
_LINK_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*GT/s")
# PCIe generation by per-lane transfer rate (GT/s), PCI-SIG.
_PCIE_GEN_BY_GTS = {2.5: 1, 5.0: 2, 8.0: 3, 16.0: 4, 32.0: 5, 64.0: 6}
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


def pcie_generation(link_speed: str | None) -> int | None:
    """PCIe generation from a link speed such as '16.0 GT/s PCIe'."""
    match = _LINK_SPEED.match(link_speed or "")
    return _PCIE_GEN_BY_GTS.get(float(match.group(1))) if match else None


def parse_uevent(text: str | None) -> dict[str, str]:
    """KEY=value lines of a uevent file."""
    pairs = (line.partition("=") for line in (text or "").splitlines())
    return {key: value for key, sep, value in pairs if sep}


def to_int(text: str | None) -> int | None:
    """An integer sysfs value, or None when absent or not a number."""
    if text is None:
        return None
    try:
        return int(text.strip(), 0)
    except ValueError:
        return None


def _micro(text: str | None) -> float | None:
    value = to_int(text)
    return None if value is None else value / 1e6


def _milli_c(text: str | None) -> float | None:
    value = to_int(text)
    if value is None or value == _ABSOLUTE_ZERO_MILLI_C:
        return None
    return value / 1000.0


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
    mhz = _micro(hertz)
    return None if mhz is None else f"{mhz:g}"


def _nonblank(text: str | None) -> str | None:
    stripped = (text or "").strip()
    return stripped or None


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
    uuid = _nonblank(card.get("unique_id"))
    uuid = f"amd-{uuid}" if uuid else f"amd-{slot or index}"

    temps = temperatures_by_label(hwmon)
    edge = temps.get("edge") or next(iter(temps.values()), {})
    power = _micro(hwmon.get("power1_average"))
    if power is None:
        power = _micro(hwmon.get("power1_input"))
    fan_rpm = to_int(hwmon.get("fan1_input"))
    pwm = to_int(hwmon.get("pwm1"))
    pwm_max = to_int(hwmon.get("pwm1_max")) or 255
    sclk = current_dpm_mhz(card.get("pp_dpm_sclk"))
    if sclk is None:
        sclk = _micro(hwmon.get("freq1_input"))
    mclk = current_dpm_mhz(card.get("pp_dpm_mclk"))
    if mclk is None:
        mclk = _micro(hwmon.get("freq2_input"))
    numa = to_int(card.get("numa_node"))

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

    return DeviceReading(
        backend="amd",
        index=index,
        uuid=uuid,
        name=name,
        kind="gpu",
        vendor="AMD",
        utilization_pct=_float(card.get("gpu_busy_percent")),
        memory_utilization_pct=_float(card.get("mem_busy_percent")),
        memory_used_bytes=to_int(card.get("mem_info_vram_used")),
        memory_total_bytes=to_int(card.get("mem_info_vram_total")),
        temperature_c=edge.get("input"),
        memory_temperature_c=temps.get("mem", {}).get("input"),
        temperature_shutdown_c=edge.get("emergency"),
        power_w=power,
        power_limit_w=_micro(hwmon.get("power1_cap")),
        power_limit_default_w=_micro(hwmon.get("power1_cap_default")),
        power_limit_max_w=_micro(hwmon.get("power1_cap_max")),
        clock_graphics_mhz=sclk,
        clock_memory_mhz=mclk,
        clock_graphics_max_mhz=max_dpm_mhz(card.get("pp_dpm_sclk")),
        clock_memory_max_mhz=max_dpm_mhz(card.get("pp_dpm_mclk")),
        fan_rpm=None if fan_rpm is None else float(fan_rpm),
        fan_pct=None if pwm is None else round(100.0 * pwm / pwm_max, 1),
        pcie_gen_current=pcie_generation(card.get("current_link_speed")),
        pcie_gen_max=pcie_generation(card.get("max_link_speed")),
        pcie_width_current=to_int(card.get("current_link_width")),
        pcie_width_max=to_int(card.get("max_link_width")),
        numa_node=numa if numa is not None and numa >= 0 else None,
        details=details,
    )


def _float(text: str | None) -> float | None:
    value = to_int(text)
    return None if value is None else float(value)
