"""all-smi's chassis families (src/api/metrics/chassis.rs): the machine, its air and power.

all-smi on Linux writes the sum of its GPUs' power as the chassis power and the acpitz zones
as inlet and outlet; we write the BMC's whole-system power and inlet/exhaust sensors where
there is a BMC (allsmi_py/chassis), and all-smi's figures where there is not.
"""

from __future__ import annotations

from allsmi_py.exporter.schema.spec import ExtraLabels, MetricSpec, Value
from allsmi_py.exporter.scopes import ChassisItem

INFO_LABELS = ("product_name", "vendor", "board", "version", "bios_version", "platform")


def _info(item: ChassisItem) -> ExtraLabels:
    chassis = item.chassis
    return [(label, text) for label in INFO_LABELS if (text := getattr(chassis, label))]


def _power(item: ChassisItem) -> Value:
    if item.chassis.power_w is not None:
        return round(item.chassis.power_w, 2)
    powers = [d.power_w for d in item.devices if d.power_w is not None]
    return round(sum(powers), 2) if powers else None  # all-smi's Linux figure: its GPUs


def _round(value: float | None) -> Value:
    return None if value is None else round(value, 1)  # all-smi writes {:.1}


C = "chassis"
CHASSIS: tuple[MetricSpec, ...] = (
    MetricSpec("all_smi_chassis_info", "Chassis information", "gauge", C, lambda item: 1,
               extra_labels=INFO_LABELS, extra=_info),
    MetricSpec("all_smi_chassis_power_watts",
               "Chassis power in watts (the BMC's system power, else the devices' sum)",
               "gauge", C, _power),
    MetricSpec("all_smi_chassis_inlet_temperature_celsius", "Chassis inlet temperature", "gauge",
               C, lambda item: _round(item.chassis.inlet_c)),
    MetricSpec("all_smi_chassis_outlet_temperature_celsius", "Chassis outlet temperature",
               "gauge", C, lambda item: _round(item.chassis.outlet_c)),
)
