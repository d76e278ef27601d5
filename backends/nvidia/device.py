"""One GPU's changing values for one tick, read through the NVML chokepoint."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from allsmi_py.units import kib_to_bytes, mj_to_j, mw_to_w
from backends.nvidia.identity import Identity
from backends.nvidia.nvlink import (
    NVLINK_SPEED_FIELD,
    THROUGHPUT_FIELDS,
    NvLinkTraffic,
    read_nvlinks,
)
from backends.nvidia.nvml import DeviceCalls

# Bit values are NVML's nvmlClocksEventReason* constants (same as the older
# nvmlClocksThrottleReason*); names follow nvidia-smi's clocks_event_reasons.* query fields.
THROTTLE_REASONS = (
    (0x1, "gpu_idle"),
    (0x2, "applications_clocks_setting"),
    (0x4, "sw_power_cap"),
    (0x8, "hw_slowdown"),
    (0x10, "sync_boost"),
    (0x20, "sw_thermal_slowdown"),
    (0x40, "hw_thermal_slowdown"),
    (0x80, "hw_power_brake_slowdown"),
    (0x100, "display_clock_setting"),
)
_PSTATE_UNKNOWN = 32
_FIELD_MEMORY_TEMP = 82  # NVML_FI_DEV_MEMORY_TEMP
_FIELD_POWER_AVERAGE = 185  # NVML_FI_DEV_POWER_AVERAGE
_FIELDS = (_FIELD_MEMORY_TEMP, _FIELD_POWER_AVERAGE, NVLINK_SPEED_FIELD, *THROUGHPUT_FIELDS)
_VALUE_ATTR = {0: "dVal", 1: "uiVal", 2: "ulVal", 3: "ullVal", 4: "sllVal", 5: "siVal", 6: "usVal"}


def decode_throttle_reasons(mask: int | None) -> tuple[str, ...] | None:
    """NVML's clocks-event bitmask as names; empty when nothing holds the clocks back."""
    if mask is None:
        return None
    return tuple(name for bit, name in THROTTLE_REASONS if mask & bit)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


class FieldValues:
    """nvmlDeviceGetFieldValues for one device, dropping field ids the device never reports."""

    def __init__(self) -> None:
        self._wanted: dict[Hashable, list[int]] = {}
        self.sampled_at_us: dict[Hashable, int] = {}  # NVML's time of the throughput counters

    def read(self, calls: DeviceCalls) -> dict[int, float]:
        """The fields this device reports, in their native units, in one NVML call."""
        wanted = self._wanted.setdefault(calls.key, list(_FIELDS))
        if not wanted:
            return {}
        values = calls.get("nvmlDeviceGetFieldValues", tuple(wanted))
        if values is None:
            return {}
        nvml = calls.session.nvml
        found: dict[int, float] = {}
        for item in values:
            if item.nvmlReturn == nvml.NVML_SUCCESS:
                found[int(item.fieldId)] = float(getattr(item.value, _VALUE_ATTR[item.valueType]))
                if int(item.fieldId) == THROUGHPUT_FIELDS[0]:
                    self.sampled_at_us[calls.key] = int(item.timestamp)
            elif item.nvmlReturn in (nvml.NVML_ERROR_NOT_SUPPORTED, nvml.NVML_ERROR_NO_PERMISSION):
                wanted.remove(int(item.fieldId))
        return found


def _memory(calls: DeviceCalls) -> tuple[int | None, int | None, int | None]:
    nvml = calls.session.nvml
    # The v2 struct reports driver-reserved memory apart from "used", as nvidia-smi does;
    # drivers without it answer FunctionNotFound once and we stay on v1.
    info = calls.first(
        ("nvmlDeviceGetMemoryInfo", (nvml.nvmlMemory_v2,)),
        ("nvmlDeviceGetMemoryInfo", ()),
    )
    if info is None:
        return None, None, None
    reserved = getattr(info, "reserved", None)
    return int(info.used), int(info.total), None if reserved is None else int(reserved)


def _fan(calls: DeviceCalls, fan_count: int | None) -> tuple[float | None, float | None]:
    if fan_count == 0:
        return None, None  # passively cooled (H100, L40S): nothing to ask
    if fan_count is None:
        return _float(calls.get("nvmlDeviceGetFanSpeed")), _float(
            calls.get("nvmlDeviceGetFanSpeedRPM")
        )
    speeds = [calls.get("nvmlDeviceGetFanSpeed_v2", i) for i in range(fan_count)]
    known = [s for s in speeds if s is not None]
    # Several fans: report their mean duty cycle; RPM is only exposed for fan 0.
    pct = sum(known) / len(known) if known else None
    return pct, _float(calls.get("nvmlDeviceGetFanSpeedRPM"))


def read_device(identity: Identity, calls: DeviceCalls, fields: FieldValues,
                traffic: NvLinkTraffic | None = None) -> dict[str, Any]:
    """The DeviceReading fields that change, as keyword arguments (units as in the model)."""
    nvml = calls.session.nvml
    used, total, reserved = _memory(calls)
    util = calls.get("nvmlDeviceGetUtilizationRates")
    extra = fields.read(calls)
    # Power: prefer the driver's 1-second average (NVML_FI_DEV_POWER_AVERAGE, what nvidia-smi
    # shows as power.draw); nvmlDeviceGetPowerUsage is the fallback, itself an average on
    # Ampere (not GA100) and newer and an instantaneous sample on older GPUs (backends.md).
    power_mw = extra.get(_FIELD_POWER_AVERAGE)
    if power_mw is None:
        power_mw = calls.get("nvmlDeviceGetPowerUsage")
    temperature = calls.first(
        ("nvmlDeviceGetTemperatureV", (nvml.NVML_TEMPERATURE_GPU,)),
        ("nvmlDeviceGetTemperature", (nvml.NVML_TEMPERATURE_GPU,)),
    )
    energy_mj = calls.get("nvmlDeviceGetTotalEnergyConsumption")
    pstate = calls.get("nvmlDeviceGetPerformanceState")
    fan_pct, fan_rpm = _fan(calls, identity.fan_count)
    # NVML reports PCIe throughput in KB/s; like nvitop we read KB as 1024 bytes.
    tx = calls.get("nvmlDeviceGetPcieThroughput", nvml.NVML_PCIE_UTIL_TX_BYTES)
    rx = calls.get("nvmlDeviceGetPcieThroughput", nvml.NVML_PCIE_UTIL_RX_BYTES)
    encoder = calls.get("nvmlDeviceGetEncoderUtilization")
    decoder = calls.get("nvmlDeviceGetDecoderUtilization")
    reasons = calls.first(
        ("nvmlDeviceGetCurrentClocksEventReasons", ()),
        ("nvmlDeviceGetCurrentClocksThrottleReasons", ()),
    )
    values: dict[str, Any] = {
        "utilization_pct": None if util is None else float(util.gpu),
        "memory_utilization_pct": None if util is None else float(util.memory),
        "memory_used_bytes": used,
        "memory_total_bytes": total,
        "memory_reserved_bytes": reserved,
        "temperature_c": _float(temperature),
        "memory_temperature_c": extra.get(_FIELD_MEMORY_TEMP),
        "power_w": mw_to_w(power_mw),
        "power_limit_w": mw_to_w(calls.get("nvmlDeviceGetEnforcedPowerLimit")),
        "energy_j": mj_to_j(energy_mj),
        "clock_graphics_mhz": _float(calls.get("nvmlDeviceGetClockInfo", nvml.NVML_CLOCK_GRAPHICS)),
        "clock_sm_mhz": _float(calls.get("nvmlDeviceGetClockInfo", nvml.NVML_CLOCK_SM)),
        "clock_memory_mhz": _float(calls.get("nvmlDeviceGetClockInfo", nvml.NVML_CLOCK_MEM)),
        "fan_pct": fan_pct,
        "fan_rpm": fan_rpm,
        "performance_state": None if pstate in (None, _PSTATE_UNKNOWN) else int(pstate),
        # The current link can train down at idle, so it is read every tick.
        "pcie_gen_current": calls.get("nvmlDeviceGetCurrPcieLinkGeneration"),
        "pcie_width_current": calls.get("nvmlDeviceGetCurrPcieLinkWidth"),
        "pcie_tx_bytes_per_s": _float(kib_to_bytes(tx)),
        "pcie_rx_bytes_per_s": _float(kib_to_bytes(rx)),
        "throttle_reasons": decode_throttle_reasons(reasons),
        "encoder_utilization_pct": None if encoder is None else float(encoder[0]),
        "decoder_utilization_pct": None if decoder is None else float(decoder[0]),
        "nvlinks": read_nvlinks(calls, extra.get(NVLINK_SPEED_FIELD)),
    }
    if traffic is not None:
        tx_kib, rx_kib = (extra.get(f) for f in THROUGHPUT_FIELDS)
        values["nvlink_tx_bytes_per_s"], values["nvlink_rx_bytes_per_s"] = traffic.rates(
            calls.key, tx_kib, rx_kib, fields.sampled_at_us.get(calls.key))
    values.update(_ecc_counts(calls, identity.ecc_enabled))
    return values


def _ecc_counts(calls: DeviceCalls, enabled: bool | None) -> dict[str, int | None]:
    nvml = calls.session.nvml
    names = {
        "ecc_errors_corrected_volatile": (
            nvml.NVML_MEMORY_ERROR_TYPE_CORRECTED,
            nvml.NVML_VOLATILE_ECC,
        ),
        "ecc_errors_uncorrected_volatile": (
            nvml.NVML_MEMORY_ERROR_TYPE_UNCORRECTED,
            nvml.NVML_VOLATILE_ECC,
        ),
        "ecc_errors_corrected_aggregate": (
            nvml.NVML_MEMORY_ERROR_TYPE_CORRECTED,
            nvml.NVML_AGGREGATE_ECC,
        ),
        "ecc_errors_uncorrected_aggregate": (
            nvml.NVML_MEMORY_ERROR_TYPE_UNCORRECTED,
            nvml.NVML_AGGREGATE_ECC,
        ),
    }
    if not enabled:
        return dict.fromkeys(names)  # no ECC on this card: counts are not reported
    return {key: calls.get("nvmlDeviceGetTotalEccErrors", *args) for key, args in names.items()}
