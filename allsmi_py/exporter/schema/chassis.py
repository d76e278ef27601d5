"""all-smi's chassis families (src/api/metrics/chassis.rs): the machine, its air and power.

all-smi on Linux writes the sum of its GPUs' power as the chassis power and the acpitz zones
as inlet and outlet; we write the BMC's whole-system power and inlet/exhaust sensors where
there is a BMC (allsmi_py/chassis), and all-smi's figures where there is not. On a Mac the
chassis is the SoC: CPU, GPU and ANE power and the thermal pressure are the Apple device's,
and the chassis power its combined power (else the three summed), as all-smi's macOS reader.
"""

from __future__ import annotations

from allsmi_py.details.apple import APPLE, COMBINED_POWER_W, CPU_POWER_W
from allsmi_py.exporter.schema.spec import ExtraLabels, MetricSpec, Value
from allsmi_py.exporter.scopes import ChassisItem
from allsmi_py.model import DeviceReading

INFO_LABELS = ("product_name", "vendor", "board", "version", "bios_version", "platform")


def _mac(item: ChassisItem) -> DeviceReading | None:
    return next((d for d in item.devices if APPLE.matches(d)), None)


def _info(item: ChassisItem) -> ExtraLabels:
    chassis = item.chassis
    pairs = [(label, text) for label in INFO_LABELS if (text := getattr(chassis, label))]
    if chassis.platform is None and _mac(item) is not None:
        pairs.append(("platform", "macOS"))
    return pairs or None


def _watts(value: float | None) -> Value:
    return None if value is None else round(value, 2)  # all-smi writes {:.2}


def _mac_cpu_w(item: ChassisItem) -> Value:
    mac = _mac(item)
    return None if mac is None else _watts(CPU_POWER_W.number(mac.details))


def _mac_gpu_w(item: ChassisItem) -> Value:
    mac = _mac(item)
    return None if mac is None else _watts(mac.power_w)


def _mac_ane_w(item: ChassisItem) -> Value:
    mac = _mac(item)
    return None if mac is None else _watts(mac.ane_power_w)


def _power(item: ChassisItem) -> Value:
    if item.chassis.power_w is not None:
        return _watts(item.chassis.power_w)
    mac = _mac(item)
    if mac is not None:
        combined = COMBINED_POWER_W.number(mac.details)
        parts = [p for p in (_mac_cpu_w(item), _mac_gpu_w(item), _mac_ane_w(item))
                 if p is not None]
        return _watts(combined) if combined else (_watts(sum(parts)) if parts else None)
    powers = [d.power_w for d in item.devices if d.power_w is not None]
    return _watts(sum(powers)) if powers else None  # all-smi's Linux figure: its GPUs


def _pressure(item: ChassisItem) -> ExtraLabels:
    mac = _mac(item)
    return None if mac is None or mac.thermal_pressure is None else (
        ("level", mac.thermal_pressure),)


def _round(value: float | None) -> Value:
    return None if value is None else round(value, 1)  # all-smi writes {:.1}


C = "chassis"
CHASSIS: tuple[MetricSpec, ...] = (
    MetricSpec("all_smi_chassis_info", "Chassis information", "gauge", C, lambda item: 1,
               extra_labels=INFO_LABELS, extra=_info),
    MetricSpec("all_smi_chassis_power_watts",
               "Chassis power in watts (the BMC's system power, else the devices' sum)",
               "gauge", C, _power),
    MetricSpec("all_smi_chassis_thermal_pressure_info", "Chassis thermal pressure (macOS)",
               "gauge", C, lambda item: 1, extra_labels=("level",), extra=_pressure),
    MetricSpec("all_smi_chassis_cpu_power_watts", "Chassis CPU power in watts (Apple)", "gauge",
               C, _mac_cpu_w),
    MetricSpec("all_smi_chassis_gpu_power_watts", "Chassis GPU power in watts (Apple)", "gauge",
               C, _mac_gpu_w),
    MetricSpec("all_smi_chassis_ane_power_watts", "Chassis ANE power in watts (Apple)", "gauge",
               C, _mac_ane_w),
    MetricSpec("all_smi_chassis_inlet_temperature_celsius", "Chassis inlet temperature", "gauge",
               C, lambda item: _round(item.chassis.inlet_c)),
    MetricSpec("all_smi_chassis_outlet_temperature_celsius", "Chassis outlet temperature",
               "gauge", C, lambda item: _round(item.chassis.outlet_c)),
    MetricSpec("all_smi_chassis_fan_speed_rpm", "Chassis fan speed in RPM", "gauge",
               "chassis_fan", lambda fan: round(fan.speed_rpm)),
)
