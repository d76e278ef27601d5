"""Thresholds and colours in one place: what counts as busy, hot or full, and how it looks."""

from __future__ import annotations

from allsmi_py.alerts import AlertThresholds
from allsmi_py.model import DeviceReading

# Fill levels of a gauge (percent): at or above each bound, that colour.
FILL_STEPS: tuple[tuple[float, str], ...] = (
    (80.0, "red"),
    (60.0, "dark_orange"),
    (25.0, "green"),
    (0.0, "dark_cyan"),
)
LEVEL_STYLE = {"ok": "green", "warn": "bold dark_orange", "critical": "bold red"}
MUTED = "grey50"
ACCENT = "bold"
RUNTIME_BADGE = "bold white on dark_blue"
# all-smi colours a temperature yellow within 5 C of the vendor's slowdown point and red
# within 2 C of shutdown; we do the same when the device reports those points.
SLOWDOWN_MARGIN_C = 5.0
SHUTDOWN_MARGIN_C = 2.0


def fill_colour(pct: float | None) -> str:
    """Colour of a gauge or number that shows a percentage."""
    if pct is None:
        return MUTED
    for bound, colour in FILL_STEPS:
        if pct >= bound:
            return colour
    return FILL_STEPS[-1][1]


def temperature_level(device: DeviceReading, thresholds: AlertThresholds) -> str:
    """ok / warn / critical for the device's temperature, against its own limits when known."""
    temp = device.temperature_c
    if temp is None:
        return "ok"
    crit_at = thresholds.temp_crit_c
    warn_at = thresholds.temp_warn_c
    if device.temperature_shutdown_c is not None:
        crit_at = device.temperature_shutdown_c - SHUTDOWN_MARGIN_C
    if device.temperature_slowdown_c is not None:
        warn_at = device.temperature_slowdown_c - SLOWDOWN_MARGIN_C
    elif device.temperature_max_operating_c is not None:
        warn_at = device.temperature_max_operating_c
    if temp >= crit_at:
        return "critical"
    if temp >= warn_at:
        return "warn"
    return "ok"


# NSProcessInfo.thermalState names and powermetrics' thermal_pressure names, by level.
_PRESSURE_LEVEL = {"fair": "warn", "moderate": "warn", "serious": "critical",
                   "heavy": "critical", "critical": "critical", "trapping": "critical",
                   "sleeping": "critical"}


def pressure_level(pressure: str) -> str:
    """ok / warn / critical for a thermal pressure name (Nominal is ok)."""
    return _PRESSURE_LEVEL.get(pressure.strip().lower(), "ok")


def theme_name(setting: str) -> str:
    """The Textual theme for the config value general.theme (dark or light)."""
    return "textual-light" if setting.strip().lower() == "light" else "textual-dark"
