"""AMD GPUs through ROCm's `amdsmi` Python package, imported lazily and guarded.

Units (amdsmi docs, Linux bare metal): activity %, VRAM MB, temperatures °C, socket power W,
power caps µW, clocks MHz. Unsupported values come back as the string "N/A".
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from types import ModuleType
from typing import Any

from allsmi_py.errors import BackendUnavailable
from allsmi_py.model import DeviceReading
from allsmi_py.units import mib_to_bytes, uw_to_w
from backends.amd.parse import amd_reading


def import_amdsmi() -> ModuleType:
    """Import amdsmi, turning every way it fails into BackendUnavailable."""
    try:
        import amdsmi
    # amdsmi_wrapper loads libamd_smi.so at import and raises KeyError when it is missing.
    except (ImportError, OSError, KeyError) as exc:
        raise BackendUnavailable(
            f"amdsmi is not usable ({type(exc).__name__}: {exc}); install ROCm and the "
            "amdsmi package matching its version"
        ) from exc
    module: ModuleType = amdsmi
    return module


def number(value: Any) -> float | None:
    """A numeric amdsmi value, or None for 'N/A', None and the 0xFFFF... sentinels."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value in (0xFFFF, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF):
        return None
    return float(value)


class AmdSmiSource:
    """Reads every processor handle amdsmi reports; a failing call becomes None."""

    def __init__(self, module: ModuleType, handles: list[Any]) -> None:
        self._amdsmi = module
        self._handles = handles
        self._error: type[BaseException] = getattr(module, "AmdSmiException", Exception)

    @classmethod
    def open(cls, module: ModuleType | None = None) -> AmdSmiSource:
        """Initialise amdsmi and list GPUs; BackendUnavailable when there are none."""
        amdsmi = module if module is not None else import_amdsmi()
        error: type[BaseException] = getattr(amdsmi, "AmdSmiException", Exception)
        try:
            amdsmi.amdsmi_init()
            handles = list(amdsmi.amdsmi_get_processor_handles())
        except error as exc:
            raise BackendUnavailable(f"amdsmi could not start: {exc}") from exc
        if not handles:
            amdsmi.amdsmi_shut_down()
            raise BackendUnavailable("amdsmi found no AMD GPU")
        return cls(amdsmi, handles)

    def _query(self, function: Callable[..., Any], *args: Any) -> Any:
        try:
            return function(*args)
        except self._error:
            return None

    def read(self) -> list[DeviceReading]:
        """One DeviceReading per processor handle."""
        return [self._read_one(index, handle) for index, handle in enumerate(self._handles)]

    def _temperature(self, handle: Any, sensor: str) -> float | None:
        kinds = self._amdsmi.AmdSmiTemperatureType
        metric = self._amdsmi.AmdSmiTemperatureMetric.CURRENT
        return number(
            self._query(self._amdsmi.amdsmi_get_temp_metric, handle, getattr(kinds, sensor), metric)
        )

    def _read_one(self, index: int, handle: Any) -> DeviceReading:
        smi = self._amdsmi
        asic = self._query(smi.amdsmi_get_gpu_asic_info, handle) or {}
        bdf = self._query(smi.amdsmi_get_gpu_device_bdf, handle)
        uuid = self._query(smi.amdsmi_get_gpu_device_uuid, handle)
        activity = self._query(smi.amdsmi_get_gpu_activity, handle) or {}
        vram = self._query(smi.amdsmi_get_gpu_vram_usage, handle) or {}
        power = self._query(smi.amdsmi_get_power_info, handle) or {}
        cap = self._query(smi.amdsmi_get_power_cap_info, handle) or {}
        gfx = self._query(smi.amdsmi_get_clock_info, handle, smi.AmdSmiClkType.GFX) or {}
        mem = self._query(smi.amdsmi_get_clock_info, handle, smi.AmdSmiClkType.MEM) or {}
        rpm = number(self._query(smi.amdsmi_get_gpu_fan_rpms, handle, 0))
        watts = number(power.get("average_socket_power"))
        if watts is None:
            watts = number(power.get("current_socket_power"))
        if watts is None:
            watts = number(power.get("socket_power"))
        used_mb, total_mb = number(vram.get("vram_used")), number(vram.get("vram_total"))
        details = {"source": "amdsmi"}
        if bdf:
            details["pci_slot"] = str(bdf)
        junction = self._temperature(handle, "HOTSPOT")
        if junction is not None:
            details["temperature.junction_input_c"] = f"{junction:g}"
        return replace(
            amd_reading(index, uuid or bdf or index, str(asic.get("market_name") or "AMD GPU"),
                        details),
            utilization_pct=number(activity.get("gfx_activity")),
            memory_utilization_pct=number(activity.get("umc_activity")),
            memory_used_bytes=mib_to_bytes(used_mb),
            memory_total_bytes=mib_to_bytes(total_mb),
            temperature_c=self._temperature(handle, "EDGE"),
            memory_temperature_c=self._temperature(handle, "VRAM"),
            power_w=watts,
            power_limit_w=uw_to_w(number(cap.get("power_cap"))),
            power_limit_default_w=uw_to_w(number(cap.get("default_power_cap"))),
            power_limit_max_w=uw_to_w(number(cap.get("max_power_cap"))),
            clock_graphics_mhz=number(gfx.get("clk")),
            clock_graphics_max_mhz=number(gfx.get("max_clk")),
            clock_memory_mhz=number(mem.get("clk")),
            clock_memory_max_mhz=number(mem.get("max_clk")),
            fan_rpm=rpm,
        )

    def close(self) -> None:
        """Shut amdsmi down; errors on the way out are ignored."""
        with contextlib.suppress(self._error):
            self._amdsmi.amdsmi_shut_down()

