"""Alert rules with hysteresis: temperature warn/critical, power draw and idle, per device.

Pure and UI-free: feed `AlertEngine.update()` one snapshot's devices at a time; it returns
the transitions (an alert raised, escalated, lowered or cleared) and keeps the current level
of every device and a bounded history. A level drops only once the value is `hysteresis`
below the threshold that raised it, so a value hovering at a threshold does not flap.
The idle rule (all-smi's `--alert-util-low-mins`) warns about a device that holds memory but
has been at or below `util_low_pct` for `util_low_mins`, timed by the snapshots' own clock;
it clears as soon as the device works again or lets its memory go.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import repeat
from typing import Any

from allsmi_py.model import DeviceReading

LEVELS = ("ok", "warn", "critical")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}
HISTORY_SIZE = 50
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class AlertThresholds:
    """Where alerts fire: temperatures in C, power as percent of the device's power limit."""

    temp_warn_c: float = 80.0
    temp_crit_c: float = 90.0
    hysteresis_c: float = 2.0
    power_warn_pct: float = 95.0
    # Power draw hovers near its cap under load; percent points, not watts, for the same reason.
    power_hysteresis_pct: float = 5.0
    util_low_mins: float = 0.0  # idle this long (minutes) while holding memory: warn; 0: off
    util_low_pct: float = 5.0  # at or below this utilization counts as idle (all-smi's 5)
    util_low_memory_mib: float = 1024.0  # more memory used than this counts as holding memory

    @classmethod
    def from_config(cls, config: Any, util_low_mins: float | None = None) -> AlertThresholds:
        """Thresholds from the `alerts` section of a Config (`util_low_mins`: the flag's)."""
        return cls(
            temp_warn_c=float(config.get("alerts", "temp_warn_c")),
            temp_crit_c=float(config.get("alerts", "temp_crit_c")),
            hysteresis_c=float(config.get("alerts", "hysteresis_c")),
            power_warn_pct=float(config.get("alerts", "power_warn_pct")),
            util_low_mins=float(config.value("alerts", "util_low_mins", util_low_mins)),
            util_low_pct=float(config.get("alerts", "util_low_pct")),
            util_low_memory_mib=float(config.get("alerts", "util_low_memory_mib")),
        )


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One transition of one rule on one device."""

    at_s: float  # Unix time of the snapshot that caused it
    uuid: str
    device: str  # label shown to people, e.g. "GPU 3 NVIDIA H100"
    rule: str  # "temperature", "power" or "idle"
    level: str  # new level: ok, warn or critical
    previous: str
    value: float | None
    threshold: float
    host: str | None = None  # the node's hostname in the cluster view; None on the local one
    index: int | None = None  # the device's index on its node

    @property
    def raised(self) -> bool:
        """True when the level went up."""
        return _RANK[self.level] > _RANK[self.previous]

    def describe(self) -> str:
        """One line for a toast or the history panel."""
        unit = {"temperature": "°C", "idle": "% busy"}.get(self.rule, "% of limit")
        value = "N/A" if self.value is None else f"{self.value:.0f}{unit}"
        # Every node of a cluster has a "GPU 0": without the host the line names no device.
        who = self.device if self.host is None else f"{self.host} {self.device}"
        if self.rule == "idle":
            if self.level == "ok":
                return f"{who}: idle no longer ({value})"
            return (f"{who}: idle {self.level.upper()} {value} for {self.threshold:g} min "
                    "while holding memory")
        if self.level == "ok":
            return f"{who}: {self.rule} back to normal ({value})"
        return (f"{who}: {self.rule} {self.level.upper()} {value} "
                f"(threshold {self.threshold:.0f}{unit})")


# all-smi's names in a webhook body, so receivers written for all-smi read ours as well.
_ALL_SMI_RULE = {"idle": "idle_utilization"}
_ALL_SMI_LEVEL = {"critical": "crit"}


def webhook_body(event: AlertEvent, local_host: str) -> dict[str, Any]:
    """The JSON a webhook gets for one transition: all-smi's fields, then ours."""
    return {
        "timestamp": datetime.fromtimestamp(event.at_s, timezone.utc).isoformat(),
        "host": event.host or local_host,
        "gpu_index": event.index,
        "rule": _ALL_SMI_RULE.get(event.rule, event.rule),
        "from": _ALL_SMI_LEVEL.get(event.previous, event.previous),
        "to": _ALL_SMI_LEVEL.get(event.level, event.level),
        "value": event.value,
        "threshold": event.threshold,
        "uuid": event.uuid,
        "device": event.device,
        "message": event.describe(),
    }


def worst_level(levels: Iterable[str]) -> str:
    """The worst of some alert levels (ok, warn, critical); ok for none."""
    return max(levels, key=_RANK.__getitem__, default="ok")


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
    """Tracks the alert level of every (device, rule) and remembers the transitions.

    Only levels above ok are stored: at 8192 devices a round, a device with no alert whose
    values are below every threshold is skipped without allocating anything.
    """

    def __init__(self, thresholds: AlertThresholds | None = None,
                 history_size: int = HISTORY_SIZE) -> None:
        self.thresholds = thresholds or AlertThresholds()
        self._levels: dict[str, dict[str, str]] = {}  # uuid -> rule -> level (never ok)
        self._idle_since: dict[str, float] = {}  # uuid -> when it went idle holding memory
        self.history: deque[AlertEvent] = deque(maxlen=history_size)
        # Called with every transition, on the thread that calls update() (a webhook queue).
        self.listeners: list[Callable[[AlertEvent], None]] = []

    def level(self, uuid: str) -> str:
        """The worst current level over every rule of one device."""
        rules = self._levels.get(uuid)
        if not rules:
            return "ok"
        return max(rules.values(), key=_RANK.__getitem__)

    def worst_levels(self) -> dict[str, str]:
        """uuid -> worst level, for every device with an alert (a fresh dict)."""
        return {uuid: max(rules.values(), key=_RANK.__getitem__)
                for uuid, rules in self._levels.items()}

    def active(self) -> list[tuple[str, str, str]]:
        """(uuid, rule, level) of every alert not at ok."""
        return sorted((u, r, lv) for u, rules in self._levels.items() for r, lv in rules.items())

    def update(self, devices: Iterable[DeviceReading], now_s: float,
               hosts: Iterable[str | None] | None = None) -> list[AlertEvent]:
        """Evaluate every rule on these devices; return the transitions, oldest rule first.

        `hosts`, in step with `devices`, names the node of each (the cluster view).
        """
        t = self.thresholds
        temp_floor = min(t.temp_warn_c, t.temp_crit_c)
        temp_steps = [("warn", t.temp_warn_c), ("critical", t.temp_crit_c)]
        power_steps = [("warn", t.power_warn_pct)]
        idle_on = t.util_low_mins > 0
        was_idle, self._idle_since = self._idle_since, {}
        levels = self._levels
        events: list[AlertEvent] = []
        unseen = set(levels)  # devices with alerts that this round has not shown yet
        pairs: Iterable[tuple[DeviceReading, str | None]] = (
            zip(devices, repeat(None), strict=False) if hosts is None
            else zip(devices, hosts, strict=True))
        for device, host in pairs:
            temp = device.temperature_c
            power = device.power_limit_pct
            idle = self._idle(device, was_idle, now_s) if idle_on else None
            rules = levels.get(device.uuid)
            if rules is None:
                # No alert yet: nothing can change unless a value reaches a threshold.
                if (temp is None or temp < temp_floor) and (
                        power is None or power < t.power_warn_pct) and idle != "warn":
                    continue
                rules = {}
            else:
                unseen.discard(device.uuid)
            self._check(device, host, rules, "temperature", temp, temp_steps, t.hysteresis_c,
                        now_s, events)
            self._check(device, host, rules, "power", power, power_steps,
                        t.power_hysteresis_pct, now_s, events)
            if idle is not None:
                self._set(device, host, rules, "idle", idle, device.utilization_pct,
                          t.util_low_mins, now_s, events)
            if rules:
                levels[device.uuid] = rules
            else:
                levels.pop(device.uuid, None)
        # A device that vanished takes its alerts with it, without a "back to normal" event.
        for uuid in unseen:
            del levels[uuid]
        return events

    def _idle(self, device: DeviceReading, was_idle: dict[str, float], now_s: float) -> str | None:
        """The idle rule's level now (None: not reported, unchanged); times it in _idle_since."""
        t = self.thresholds
        util, used = device.utilization_pct, device.memory_used_bytes
        if util is None or used is None:
            since = was_idle.get(device.uuid)
            if since is not None:
                self._idle_since[device.uuid] = since
            return None
        if util > t.util_low_pct or used <= t.util_low_memory_mib * MIB:
            return "ok"
        since = self._idle_since[device.uuid] = was_idle.get(device.uuid, now_s)
        return "warn" if now_s - since >= t.util_low_mins * 60 else "ok"

    def _check(self, device: DeviceReading, host: str | None, rules: dict[str, str], rule: str,
               value: float | None, steps: list[tuple[str, float]], hysteresis: float,
               now_s: float, events: list[AlertEvent]) -> None:
        new, threshold = _level(value, rules.get(rule, "ok"), steps, hysteresis)
        self._set(device, host, rules, rule, new, value, threshold, now_s, events)

    def _set(self, device: DeviceReading, host: str | None, rules: dict[str, str], rule: str,
             new: str, value: float | None, threshold: float, now_s: float,
             events: list[AlertEvent]) -> None:
        previous = rules.get(rule, "ok")
        if new == previous:
            return
        if new == "ok":
            del rules[rule]
        else:
            rules[rule] = new
        event = AlertEvent(now_s, device.uuid, device_label(device), rule, new, previous,
                           value, threshold, host, device.index)
        events.append(event)
        self.history.append(event)
        for listener in self.listeners:
            listener(event)
