"""Alert rules with hysteresis: temperature warn/critical and power draw, per device.

Pure and UI-free: feed `AlertEngine.update()` one snapshot's devices at a time; it returns
the transitions (an alert raised, escalated, lowered or cleared) and keeps the current level
of every device and a bounded history. A level drops only once the value is `hysteresis`
below the threshold that raised it, so a value hovering at a threshold does not flap.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from allsmi_py.model import DeviceReading

LEVELS = ("ok", "warn", "critical")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}
HISTORY_SIZE = 50


@dataclass(frozen=True, slots=True)
class AlertThresholds:
    """Where alerts fire: temperatures in C, power as percent of the device's power limit."""

    temp_warn_c: float = 80.0
    temp_crit_c: float = 90.0
    hysteresis_c: float = 2.0
    power_warn_pct: float = 95.0
    # Power draw hovers near its cap under load; percent points, not watts, for the same reason.
    power_hysteresis_pct: float = 5.0

    @classmethod
    def from_config(cls, config: Any) -> AlertThresholds:
        """Thresholds from the `alerts` section of a Config."""
        return cls(
            temp_warn_c=float(config.get("alerts", "temp_warn_c")),
            temp_crit_c=float(config.get("alerts", "temp_crit_c")),
            hysteresis_c=float(config.get("alerts", "hysteresis_c")),
            power_warn_pct=float(config.get("alerts", "power_warn_pct")),
        )


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One transition of one rule on one device."""

    at_s: float  # Unix time of the snapshot that caused it
    uuid: str
    device: str  # label shown to people, e.g. "GPU 3 NVIDIA H100"
    rule: str  # "temperature" or "power"
    level: str  # new level: ok, warn or critical
    previous: str
    value: float | None
    threshold: float

    @property
    def raised(self) -> bool:
        """True when the level went up."""
        return _RANK[self.level] > _RANK[self.previous]

    def describe(self) -> str:
        """One line for a toast or the history panel."""
        unit = "°C" if self.rule == "temperature" else "% of limit"
        value = "N/A" if self.value is None else f"{self.value:.0f}{unit}"
        if self.level == "ok":
            return f"{self.device}: {self.rule} back to normal ({value})"
        return (f"{self.device}: {self.rule} {self.level.upper()} {value} "
                f"(threshold {self.threshold:.0f}{unit})")


def device_label(device: DeviceReading) -> str:
    """How alerts name a device."""
    return f"{device.kind.upper()} {device.index} {device.name}"


def _level(value: float | None, current: str, steps: list[tuple[str, float]],
           hysteresis: float) -> tuple[str, float]:
    """The new level for `value` given `steps` (level, threshold) ascending, and the threshold."""
    if value is None:
        return current, steps[0][1]
    new = "ok"
    threshold = steps[0][1]
    for level, limit in steps:
        # Stay at (or above) a level already reached until the value falls clearly below it.
        holding = _RANK[current] >= _RANK[level] and value > limit - hysteresis
        if value >= limit or holding:
            new, threshold = level, limit
    return new, threshold


class AlertEngine:
    """Tracks the alert level of every (device, rule) and remembers the transitions."""

    def __init__(self, thresholds: AlertThresholds | None = None,
                 history_size: int = HISTORY_SIZE) -> None:
        self.thresholds = thresholds or AlertThresholds()
        self._levels: dict[tuple[str, str], str] = {}
        self.history: deque[AlertEvent] = deque(maxlen=history_size)

    def level(self, uuid: str) -> str:
        """The worst current level over every rule of one device."""
        worst = "ok"
        for (key_uuid, _rule), level in self._levels.items():
            if key_uuid == uuid and _RANK[level] > _RANK[worst]:
                worst = level
        return worst

    def active(self) -> list[tuple[str, str, str]]:
        """(uuid, rule, level) of every alert not at ok."""
        return [(u, r, lv) for (u, r), lv in sorted(self._levels.items()) if lv != "ok"]

    def update(self, devices: Iterable[DeviceReading], now_s: float) -> list[AlertEvent]:
        """Evaluate every rule on these devices; return the transitions, oldest rule first."""
        t = self.thresholds
        events: list[AlertEvent] = []
        seen: set[tuple[str, str]] = set()
        for device in devices:
            checks = [
                ("temperature", device.temperature_c,
                 [("warn", t.temp_warn_c), ("critical", t.temp_crit_c)], t.hysteresis_c),
                ("power", device.power_limit_pct,
                 [("warn", t.power_warn_pct)], t.power_hysteresis_pct),
            ]
            for rule, value, steps, hysteresis in checks:
                key = (device.uuid, rule)
                seen.add(key)
                previous = self._levels.get(key, "ok")
                new, threshold = _level(value, previous, steps, hysteresis)
                if new == previous:
                    continue
                self._levels[key] = new
                event = AlertEvent(now_s, device.uuid, device_label(device), rule, new,
                                   previous, value, threshold)
                events.append(event)
                self.history.append(event)
        # A device that vanished takes its alerts with it, without a "back to normal" event.
        for key in [k for k in self._levels if k not in seen]:
            del self._levels[key]
        return events
