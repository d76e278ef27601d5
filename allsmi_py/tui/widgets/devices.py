"""One card per device, in a scrolling grid that keeps its cards across snapshots.

A card takes the focus (Tab, a click); Enter expands it to show the readings in
device_details.py under its three lines, and collapses it again.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.geometry import Size

from allsmi_py.alerts import AlertThresholds
from allsmi_py.model import DeviceReading
from allsmi_py.tui.energy import energy_spans
from allsmi_py.tui.format import used_of_total
from allsmi_py.tui.history import History
from allsmi_py.tui.style import (
    ACCENT,
    LEVEL_STYLE,
    MUTED,
    fill_colour,
    pressure_level,
    temperature_level,
)
from allsmi_py.tui.widgets.bars import Line, LineWidget, Span, gauge_spans, spark_span, to_text
from allsmi_py.tui.widgets.device_details import detail_lines
from allsmi_py.tui.widgets.hostbar import CPU_KEY, MEMORY_KEY
from allsmi_py.units import NOT_AVAILABLE, format_number, format_pct

WIDE_GRID_MIN_WIDTH = 110  # two columns of cards from here on


def utilization_key(uuid: str) -> str:
    """History key of a device's utilization."""
    return f"{uuid}:util"


def record_devices(history: History, devices: Sequence[DeviceReading]) -> None:
    """Push every device's utilization, and forget devices that went away."""
    for device in devices:
        history.push(utilization_key(device.uuid), device.utilization_pct)
    history.keep_only([utilization_key(d.uuid) for d in devices] + [CPU_KEY, MEMORY_KEY])


def card_title(device: DeviceReading) -> str:
    """Vendor, kind, index and name, as the card's border title."""
    vendor = device.vendor or device.backend
    return f"{vendor} {device.kind.upper()} {device.index} · {device.name}"


def _of(value: float | None, limit: float | None, unit: str) -> str:
    if value is None:
        return NOT_AVAILABLE
    if limit is None:
        # an Apple GPU draws well under 1 W at idle: whole watts would read "0 W"
        return format_number(value, unit, precision=1 if abs(value) < 10 else 0)
    return f"{value:.0f}/{limit:.0f} {unit}"


def _clock_spans(graphics_mhz: float | None, memory_mhz: float | None) -> list[Span]:
    """Graphics and memory clock, each named: "1980/2619" read as current/max (issue 15)."""
    if graphics_mhz is None and memory_mhz is None:
        return [(NOT_AVAILABLE, "")]
    spans: list[Span] = []
    for label, mhz in (("gfx ", graphics_mhz), ("mem ", memory_mhz)):
        if mhz is not None:
            spans += [(" " if spans else "", ""), (label, ACCENT), (f"{mhz:.0f}", "")]
    spans.append((" MHz", ""))
    return spans


def card_spans(device: DeviceReading, history: History, thresholds: AlertThresholds,
               width: int) -> list[Line]:
    """The three lines inside a device card, as spans."""
    if device.state == "lost":
        problem = "; ".join(device.problems) or "the driver reports it as lost"
        return [((f"DEVICE LOST: {problem}", LEVEL_STYLE["critical"]),)]
    memory = used_of_total(device.memory_used_bytes, device.memory_total_bytes)
    bar = max(4, min(30, (width - 18 - len(memory)) // 2))
    util = device.utilization_pct
    first = (("Util ", ACCENT), *gauge_spans(util, bar), (f" {format_pct(util):>4}",
             fill_colour(util)), ("  Mem ", ACCENT), *gauge_spans(device.memory_used_pct, bar),
             (f" {memory}", ""))
    level = temperature_level(device, thresholds)
    fan = (format_pct(device.fan_pct) if device.fan_rpm is None or device.fan_pct is not None
           else format_number(device.fan_rpm, "rpm"))
    pstate = NOT_AVAILABLE if device.performance_state is None else f"P{device.performance_state}"
    second: list[Span] = [
        ("Temp ", ACCENT), (format_number(device.temperature_c, "°C"), LEVEL_STYLE[level]),
        ("  Pwr ", ACCENT), (_of(device.power_w, device.power_limit_w, "W"),
                             fill_colour(device.power_limit_pct)),
        ("  Clk ", ACCENT), *_clock_spans(device.clock_graphics_mhz, device.clock_memory_mhz),
    ]
    # A SoC has no fan or P-state of its own: room for what it does report instead. A
    # fanless card's "Fan N/A" is the first to go when the line is full (two cards side by
    # side at 120 columns), so the P-state stays on screen.
    length = sum(len(text) for text, _ in second) + 2 + len(pstate)
    if (device.kind != "soc" or fan != NOT_AVAILABLE) and (
            fan != NOT_AVAILABLE or length + 6 + len(fan) <= width):
        second += [("  Fan ", ACCENT), (fan, "")]
    if device.kind != "soc" or device.performance_state is not None:
        second.append((f"  {pstate}", ""))
    if sum(len(text) for text, _ in second) > width and ("  Clk ", ACCENT) in second:
        # Still too long: "gfx 1980 mem 2619 MHz" names itself without the label.
        second[second.index(("  Clk ", ACCENT))] = ("  ", "")
    driver = device.details.get("driver_version")
    # The driver is the same on every card: the first thing to go when the line is full.
    if driver and sum(len(text) for text, _ in second) + 6 + len(driver) <= width:
        second += [("  Drv ", ACCENT), (driver, "")]
    procs = len(device.processes)
    tail = f"  {procs} proc{'s' if procs != 1 else ''}"
    # SoC extras share the history line: the spark line gives up the room they need.
    extras = soc_spans(device) + energy_spans(device.energy_consumed_j, "  ")
    spark_width = max(4, width - 5 - len(tail) - sum(len(text) for text, _ in extras))
    third = (("Hist ", ACCENT), spark_span(history.values(utilization_key(device.uuid)),
                                           spark_width), *extras, (tail, MUTED))
    return [first, tuple(second), third]


def soc_spans(device: DeviceReading) -> list[Span]:
    """Thermal pressure, DLA utilization and ANE power, where the device reports them."""
    spans: list[Span] = []
    if device.thermal_pressure:
        level = pressure_level(device.thermal_pressure)
        spans += [("  Therm ", ACCENT), (device.thermal_pressure, LEVEL_STYLE[level])]
    if device.dla_utilization_pct is not None:
        dla = device.dla_utilization_pct
        spans += [("  DLA ", ACCENT), (format_pct(dla), fill_colour(dla))]
    if device.ane_power_w is not None:
        spans += [("  ANE ", ACCENT), (format_number(device.ane_power_w, "W", precision=1), "")]
    return spans


def card_lines(device: DeviceReading, history: History, thresholds: AlertThresholds,
               width: int) -> Text:
    """`card_spans` as Rich Text (the cluster view's node detail)."""
    return to_text(card_spans(device, history, thresholds, width))


class DeviceCard(LineWidget):
    """One device: gauges, readings, a utilization history; marked while an alert is on."""

    can_focus = True
    BINDINGS = [Binding("enter", "toggle_details", "Details")]

    def __init__(self, device: DeviceReading, expanded: bool = False) -> None:
        super().__init__(classes="device-card")
        self.device = device
        self.expanded = expanded
        self.set_class(expanded, "-expanded")
        self._history = History()
        self._thresholds = AlertThresholds()
        self.alert_level = "ok"
        self.border_title = card_title(device)

    def show(self, device: DeviceReading, history: History, thresholds: AlertThresholds,
             alert_level: str, alert_note: str) -> None:
        """Draw this reading; `alert_level` (ok/warn/critical) marks the card."""
        self.device, self._history, self._thresholds = device, history, thresholds
        self.alert_level = alert_level
        # Setting a border title repaints the whole card even when it is the same text.
        title = card_title(device)
        if title != self.border_title:
            self.border_title = title
        if alert_note != (self.border_subtitle or ""):
            self.border_subtitle = alert_note
        self.set_class(alert_level == "warn", "-warn")
        self.set_class(alert_level == "critical", "-critical")
        self.set_class(device.state == "lost", "-lost")
        self.redraw()

    def build(self, width: int) -> list[Line]:
        """The card body at this width: three lines, and the details when expanded."""
        lines = card_spans(self.device, self._history, self._thresholds, width)
        return [*lines, *detail_lines(self.device)] if self.expanded else lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As many rows as lines (an expanded card's height is `auto`)."""
        return self.line_count(width)

    def action_toggle_details(self) -> None:
        """Expand the card to its details, or collapse it back to three lines."""
        self.expanded = not self.expanded
        self.set_class(self.expanded, "-expanded")
        if isinstance(self.parent, DeviceGrid):
            self.parent.note_expanded(self.device.uuid, self.expanded)
        self.redraw()
        self.refresh(layout=True)


class DeviceGrid(ScrollableContainer):
    """The device cards; cards are added and removed only when the device set changes."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cards: dict[str, DeviceCard] = {}
        self._expanded: set[str] = set()  # uuids: kept when the cards are made again

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
            self._expanded &= set(uuids)
            self._cards = {d.uuid: DeviceCard(d, d.uuid in self._expanded) for d in devices}
            self.set_class(bool(self._expanded), "-expanded")
            self.mount(*self._cards.values())
        for device in devices:
            level, note = alerts.get(device.uuid, ("ok", ""))
            self._cards[device.uuid].show(device, history, thresholds, level, note)

    def note_expanded(self, uuid: str, expanded: bool) -> None:
        """A card was expanded or collapsed: rows fit their cards while any is expanded."""
        if expanded:
            self._expanded.add(uuid)
        else:
            self._expanded.discard(uuid)
        self.set_class(bool(self._expanded), "-expanded")

    def on_resize(self) -> None:
        """Two columns of cards on wide terminals."""
        self.set_class(self.size.width >= WIDE_GRID_MIN_WIDTH, "-wide")
