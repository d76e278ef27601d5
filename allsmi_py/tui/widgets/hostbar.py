"""The host bar: CPU, memory, swap and disks, each with a gauge, CPU and memory with history.

Under the CPU gauge, where the host reports them, the sockets and the per-core heat row
(cpu_rows.py); the bar grows by the lines they take at its width.
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size

from allsmi_py.model import HostReading
from allsmi_py.tui.format import used_of_total
from allsmi_py.tui.history import History
from allsmi_py.tui.style import ACCENT, MUTED
from allsmi_py.tui.widgets.bars import Line, LineWidget, Span, gauge_spans, spark_span, to_text
from allsmi_py.tui.widgets.cpu_rows import cpu_facts, heat_lines, socket_lines
from allsmi_py.units import format_bytes, format_duration, format_pct

CPU_KEY = "host:cpu"
MEMORY_KEY = "host:memory"
SPARK_WIDTH = 10


def record_host(history: History, host: HostReading | None) -> None:
    """Push this reading's CPU and memory percentages into the history."""
    history.push(CPU_KEY, host.cpu.utilization_pct if host else None)
    history.push(MEMORY_KEY, host.memory.used_pct if host else None)


def host_spans(host: HostReading | None, history: History, width: int) -> list[Line]:
    """Three lines describing the host, as spans, fitted to `width` cells where possible."""
    if host is None:
        return [(("Host metrics not available this tick", MUTED),)]
    cpu, mem = host.cpu, host.memory
    facts = [cpu.model or "CPU", cpu.architecture or ""]
    if cpu.thread_count:
        facts.append(f"{cpu.thread_count} threads")
    facts += cpu_facts(cpu)
    if cpu.load_average_1m is not None:
        facts.append(f"load {cpu.load_average_1m:.2f}")
    if host.uptime_s is not None:
        facts.append(f"up {format_duration(host.uptime_s)}")
    first: Line = ((" · ".join(f for f in facts if f), MUTED),)
    bar = max(6, min(20, (width - 60) // 2))
    used = mem.in_use_bytes
    second = (("CPU  ", ACCENT), *gauge_spans(cpu.utilization_pct, bar),
              (f" {format_pct(cpu.utilization_pct):>4} ", ""),
              spark_span(history.values(CPU_KEY), SPARK_WIDTH),
              ("   Mem  ", ACCENT), *gauge_spans(mem.used_pct, bar),
              (f" {used_of_total(used, mem.total_bytes)} ", ""),
              spark_span(history.values(MEMORY_KEY), SPARK_WIDTH))
    third: list[Span] = [("Swap ", ACCENT)]
    if mem.swap_total_bytes:
        swap_pct = 100.0 * (mem.swap_used_bytes or 0) / mem.swap_total_bytes
        third += [*gauge_spans(swap_pct, 6),
                  (f" {used_of_total(mem.swap_used_bytes, mem.swap_total_bytes)}", "")]
    else:
        third.append(("none", MUTED))
    for disk in host.disks:
        pct = None if disk.used_bytes is None or not disk.total_bytes \
            else 100.0 * disk.used_bytes / disk.total_bytes
        third += [(f"   {disk.mount_point} ", ACCENT), *gauge_spans(pct, 6),
                  (f" {format_pct(pct)} of {format_bytes(disk.total_bytes, 0)}", "")]
    cpu_lines = [*socket_lines(cpu, width), *heat_lines(cpu.per_core_utilization_pct, width)]
    return [first, second, *cpu_lines, tuple(third)]


def host_lines(host: HostReading | None, history: History, width: int) -> Text:
    """`host_spans` as Rich Text (the cluster view's node detail)."""
    return to_text(host_spans(host, history, width))


class HostBar(LineWidget):
    """Host CPU, memory, swap and disks; only the lines that changed are repainted."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._host: HostReading | None = None
        self._history = History()

    def show(self, host: HostReading | None, history: History) -> None:
        """Draw this host reading with the given history."""
        self._host, self._history = host, history
        before = len(self._lines)
        self.redraw()
        if len(self._lines) != before:
            self.refresh(layout=True)  # the bar's height is its number of lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As many rows as lines at this width (the sockets and heat rows vary)."""
        return self.line_count(width)

    def build(self, width: int) -> list[Line]:
        """The host lines at this width."""
        return host_spans(self._host, self._history, width)
