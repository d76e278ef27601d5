"""The host bar: CPU, memory, swap and disks, each with a gauge, CPU and memory with history."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

from allsmi_py.model import HostReading
from allsmi_py.tui.format import used_of_total
from allsmi_py.tui.history import History
from allsmi_py.tui.style import ACCENT, MUTED
from allsmi_py.tui.widgets.bars import gauge, sparkline
from allsmi_py.units import format_bytes, format_duration, format_pct

CPU_KEY = "host:cpu"
MEMORY_KEY = "host:memory"
SPARK_WIDTH = 10


def record_host(history: History, host: HostReading | None) -> None:
    """Push this reading's CPU and memory percentages into the history."""
    history.push(CPU_KEY, host.cpu.utilization_pct if host else None)
    history.push(MEMORY_KEY, host.memory.used_pct if host else None)


def host_lines(host: HostReading | None, history: History, width: int) -> Text:
    """Three lines describing the host, fitted to `width` cells where possible."""
    if host is None:
        return Text("Host metrics not available this tick", style=MUTED)
    cpu, mem = host.cpu, host.memory
    out = Text()
    facts = [cpu.model or "CPU", cpu.architecture or ""]
    if cpu.thread_count:
        facts.append(f"{cpu.thread_count} threads")
    if cpu.load_average_1m is not None:
        facts.append(f"load {cpu.load_average_1m:.2f}")
    if host.uptime_s is not None:
        facts.append(f"up {format_duration(host.uptime_s)}")
    out.append(" · ".join(f for f in facts if f), style=MUTED)
    out.append("\n")
    bar = max(6, min(20, (width - 60) // 2))
    out.append("CPU  ", style=ACCENT)
    out.append_text(gauge(cpu.utilization_pct, bar))
    out.append(f" {format_pct(cpu.utilization_pct):>4} ")
    out.append_text(sparkline(history.values(CPU_KEY), SPARK_WIDTH))
    out.append("   Mem  ", style=ACCENT)
    out.append_text(gauge(mem.used_pct, bar))
    used = None if mem.total_bytes is None or mem.available_bytes is None \
        else mem.total_bytes - mem.available_bytes
    out.append(f" {used_of_total(used, mem.total_bytes)} ")
    out.append_text(sparkline(history.values(MEMORY_KEY), SPARK_WIDTH))
    out.append("\n")
    out.append("Swap ", style=ACCENT)
    if mem.swap_total_bytes:
        swap_pct = 100.0 * (mem.swap_used_bytes or 0) / mem.swap_total_bytes
        out.append_text(gauge(swap_pct, 6))
        out.append(f" {used_of_total(mem.swap_used_bytes, mem.swap_total_bytes)}")
    else:
        out.append("none", style=MUTED)
    for disk in host.disks:
        pct = None if disk.used_bytes is None or not disk.total_bytes \
            else 100.0 * disk.used_bytes / disk.total_bytes
        out.append(f"   {disk.mount_point} ", style=ACCENT)
        out.append_text(gauge(pct, 6))
        out.append(f" {format_pct(pct)} of {format_bytes(disk.total_bytes, 0)}")
    return out


class HostBar(Widget):
    """Host CPU, memory, swap and disks."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._host: HostReading | None = None
        self._history = History()

    def show(self, host: HostReading | None, history: History) -> None:
        """Draw this host reading with the given history."""
        self._host, self._history = host, history
        self.refresh()

    def render(self) -> RenderableType:
        """The host lines at the current width."""
        return host_lines(self._host, self._history, self.content_size.width)
