"""Thresholds and colours in one place: what counts as busy, hot or full, and how it looks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from allsmi_py.alerts import AlertThresholds
from allsmi_py.model import DeviceReading

if TYPE_CHECKING:  # the cluster model uses this module off the UI thread, without Textual
    from textual.notifications import SeverityLevel

MUTED = "grey50"
ACCENT = "bold"
HEADER = "bold underline"  # column headers of every table
RUNTIME_BADGE = "bold white on dark_blue"
LEVEL_STYLE = {"ok": "green", "warn": "bold dark_orange", "critical": "bold red"}
# Textual's toast severity for an alert level.
LEVEL_SEVERITY: dict[str, SeverityLevel] = {"critical": "error", "warn": "warning"}
DARK_THEME, LIGHT_THEME = "textual-dark", "textual-light"
# What the named colours in this module are drawn as, per theme (issue 15): Rich's own shades
# fall under 4.5:1 on textual-light, and red turns grey 59 on 18 under NO_COLOR's grey filter.
# Each shade here reads at 4.5:1 or more on its theme's background, in colour and in grey.
PALETTES: dict[str, dict[str, str]] = {
    DARK_THEME: {"red": "#ff5f5f", "dark_orange": "#ff8700", "green": "#98e024",
                 "dark_cyan": "#00af87", "yellow": "#ffd700", "grey50": "#808080"},
    LIGHT_THEME: {"red": "#b00000", "dark_orange": "#8a4500", "green": "#006b2e",
                  "dark_cyan": "#00636b", "yellow": "#6b5900", "grey50": "#595959"},
}

# A ladder of colours (percent): at or above each bound, that colour; below the last, the last.
Ladder = tuple[tuple[float, str], ...]
# Fill levels of a gauge.
FILL_STEPS: Ladder = (
    (80.0, "red"),
    (60.0, "dark_orange"),
    (25.0, "green"),
    (0.0, "dark_cyan"),
)
# all-smi's LED grid buckets: idle grey, then green, yellow, red by mean utilization.
GRID_STEPS: Ladder = ((80.0, "red"), (50.0, "yellow"), (20.0, "green"), (0.0, MUTED))
# A node-grid cell: a node that answered, one that reports no utilization, one that is down.
LIVE, EMPTY, DOWN = "■", "□", "✕"
# all-smi colours a temperature yellow within 5 C of the vendor's slowdown point and red
# within 2 C of shutdown; we do the same when the device reports those points.
SLOWDOWN_MARGIN_C = 5.0
SHUTDOWN_MARGIN_C = 2.0


def ladder_colour(steps: Ladder, pct: float) -> str:
    """The colour of the first step whose bound `pct` (percent) reaches, else the last one."""
    for bound, colour in steps:
        if pct >= bound:
            return colour
    return steps[-1][1]


def fill_colour(pct: float | None) -> str:
    """Colour of a gauge or number that shows a percentage."""
    return MUTED if pct is None else ladder_colour(FILL_STEPS, pct)


def grid_colour(pct: float) -> str:
    """Colour of a node-grid cell for the node's mean utilization (percent)."""
    return ladder_colour(GRID_STEPS, pct)


def toast_severity(level: str) -> SeverityLevel:
    """Textual's toast severity for an alert level (ok/warn/critical)."""
    return LEVEL_SEVERITY.get(level, "information")


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
    return LIGHT_THEME if setting.strip().lower() == "light" else DARK_THEME


def other_theme(theme: str) -> str:
    """The light theme for the dark one, and the dark theme for any other."""
    return LIGHT_THEME if theme == DARK_THEME else DARK_THEME
