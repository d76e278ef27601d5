"""The device readings the cluster view filters and sorts on, by the short name both use.

`util>50` in the filter and the `util` sort key read the same getter, so a field added here
is both filterable and sortable, and the two can never read different values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from allsmi_py.model import DeviceReading


class DeviceField(NamedTuple):
    """One numeric reading of a device: its long name, and how to read it (None: not reported)."""

    label: str
    read: Callable[[DeviceReading], float | None]


FIELDS: dict[str, DeviceField] = {
    "util": DeviceField("utilization", lambda d: d.utilization_pct),
    "mem": DeviceField("memory", lambda d: d.memory_used_pct),
    "temp": DeviceField("temperature", lambda d: d.temperature_c),
    "power": DeviceField("power", lambda d: d.power_w),
}


def field_value(name: str, device: DeviceReading) -> float | None:
    """The reading `name` (a key of FIELDS) of `device`, in the field's unit; None when absent."""
    return FIELDS[name].read(device)
