"""One card per device, in a scrolling grid that keeps its cards across snapshots."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from rich.text import Text
from textual.containers import ScrollableContainer
from textual.widget import Widget

from allsmi_py.alerts import AlertThresholds
from allsmi_py.model import DeviceReading
from allsmi_py.tui.format import used_of_total
from allsmi_py.tui.history import History
from allsmi_py.tui.style import ACCENT, LEVEL_STYLE, MUTED, fill_colour, temperature_level
from allsmi_py.tui.widgets.bars import gauge, sparkline
from allsmi_py.units import NOT_AVAILABLE, format_number, format_pct

WIDE_GRID_MIN_WIDTH = 110  # two columns of cards from here on


def utilization_key(uuid: str) -> str:
    """History key of a device's utilization."""
    return f"{uuid}:util"


def record_devices(history: History, devices: Sequence[DeviceReading]) -> None:
    """Push every device's utilization, and forget devices that went away."""
    for device in devices:
        history.push(utilization_key(device.uuid), device.utilization_pct)
    history.keep_only([utilization_key(d.uuid) for d in devices] + ["host:cpu", "host:memory"])


def card_title(device: DeviceReading) -> str:
    """Vendor, kind, index and name, as the card's border title."""
    vendor = device.vendor or device.backend
    return f"{vendor} {device.kind.upper()} {device.index} · {device.name}"


def _of(value: float | None, limit: float | None, unit: str) -> str:
    if value is None:
        return NOT_AVAILABLE
    if limit is None:
        return format_number(value, unit)
    return f"{value:.0f}/{limit:.0f} {unit}"


def card_lines(device: DeviceReading, history: History, thresholds: AlertThresholds,
               width: int) -> Text:
    """The three lines inside a device card."""
    if device.state == "lost":
        problem = "; ".join(device.problems) or "the driver reports it as lost"
        return Text(f"DEVICE LOST: {problem}", style=LEVEL_STYLE["critical"])
    out = Text()
    memory = used_of_total(device.memory_used_bytes, device.memory_total_bytes)
    bar = max(4, min(30, (width - 18 - len(memory)) // 2))
    out.append("Util ", style=ACCENT)
    out.append_text(gauge(device.utilization_pct, bar))
    util = device.utilization_pct
    out.append(f" {format_pct(util):>4}", style=fill_colour(util))
    out.append("  Mem ", style=ACCENT)
    out.append_text(gauge(device.memory_used_pct, bar))
    out.append(f" {memory}\n")
    level = temperature_level(device, thresholds)
    out.append("Temp ", style=ACCENT)
    out.append(format_number(device.temperature_c, "°C"), style=LEVEL_STYLE[level])
    out.append("  Pwr ", style=ACCENT)
    out.append(_of(device.power_w, device.power_limit_w, "W"),
               style=fill_colour(device.power_limit_pct))
    out.append("  Clk ", style=ACCENT)
    out.append(_of(device.clock_graphics_mhz, device.clock_memory_mhz, "MHz"))
    out.append("  Fan ", style=ACCENT)
    out.append(format_pct(device.fan_pct) if device.fan_rpm is None or device.fan_pct is not None
               else format_number(device.fan_rpm, "rpm"))
    pstate = NOT_AVAILABLE if device.performance_state is None else f"P{device.performance_state}"
    out.append(f"  {pstate}")
    driver = device.details.get("driver_version")
    if driver:
        out.append("  Drv ", style=ACCENT)
        out.append(driver)
    out.append("\n")
    out.append("Hist ", style=ACCENT)
    procs = len(device.processes)
    tail = f"  {procs} proc{'s' if procs != 1 else ''}"
    out.append_text(sparkline(history.values(utilization_key(device.uuid)),
                              max(4, width - 5 - len(tail))))
    out.append(tail, style=MUTED)
    return out


class DeviceCard(Widget):
    """One device: gauges, readings, a utilization history; marked while an alert is on."""

    def __init__(self, device: DeviceReading) -> None:
        super().__init__(classes="device-card")
        self.device = device
        self._history = History()
        self._thresholds = AlertThresholds()
        self.alert_level = "ok"
        self.border_title = card_title(device)

    def show(self, device: DeviceReading, history: History, thresholds: AlertThresholds,
             alert_level: str, alert_note: str) -> None:
        """Draw this reading; `alert_level` (ok/warn/critical) marks the card."""
        self.device, self._history, self._thresholds = device, history, thresholds
        self.alert_level = alert_level
        self.border_title = card_title(device)
        self.border_subtitle = alert_note
        self.set_class(alert_level == "warn", "-warn")
        self.set_class(alert_level == "critical", "-critical")
        self.set_class(device.state == "lost", "-lost")
        self.refresh()

    def render(self) -> RenderableType:
        """The card body at the current width."""
        return card_lines(self.device, self._history, self._thresholds, self.content_size.width)


class DeviceGrid(ScrollableContainer):
    """The device cards; cards are added and removed only when the device set changes."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cards: dict[str, DeviceCard] = {}

    @property
    def cards(self) -> list[DeviceCard]:
        """The cards in display order."""
        return list(self._cards.values())

    def show(self, devices: Sequence[DeviceReading], history: History,
             thresholds: AlertThresholds, alerts: dict[str, tuple[str, str]]) -> None:
        """Draw these devices; `alerts` maps uuid to (level, note)."""
        uuids = [d.uuid for d in devices]
        if uuids != list(self._cards):
            self.remove_children()
            self._cards = {d.uuid: DeviceCard(d) for d in devices}
            self.mount(*self._cards.values())
        for device in devices:
            level, note = alerts.get(device.uuid, ("ok", ""))
            self._cards[device.uuid].show(device, history, thresholds, level, note)

    def on_resize(self) -> None:
        """Two columns of cards on wide terminals."""
        self.set_class(self.size.width >= WIDE_GRID_MIN_WIDTH, "-wide")
