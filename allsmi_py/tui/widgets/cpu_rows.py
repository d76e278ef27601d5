"""The CPU as all-smi shows it, under the host bar's CPU gauge: a line of sockets and a heat row.

A socket: its utilization gauge and percent, mean clock, package temperature and power.
The heat row is one cell per logical CPU, in CPU order, its block's height and colour the
CPU's load, wrapped over as many lines as the width needs (at most `MAX_HEAT_ROWS`: a
machine with more CPUs than fit shows the busiest of each run of neighbours per cell).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.cells import cell_len

from allsmi_py.model import CpuReading, CpuSocketReading
from allsmi_py.tui.style import ACCENT, MUTED, fill_colour
from allsmi_py.tui.widgets.bars import SPARK_CHARS, Line, Span, gauge_spans
from allsmi_py.units import format_number, format_pct

HEAT_LABEL = "Cores "
MAX_HEAT_ROWS = 4
SOCKET_GAUGE = 6
SOCKET_GAP = "   "


def socket_spans(socket: CpuSocketReading) -> list[Span]:
    """One socket: 'S0 ▮▮▮░░░  35% 2.25 GHz 61°C 30 W' (N/A for what it does not report)."""
    clock = socket.frequency_mhz
    temp = socket.temperature_c
    return [(f"S{socket.index} ", ACCENT), *gauge_spans(socket.utilization_pct, SOCKET_GAUGE),
            (f" {format_pct(socket.utilization_pct):>4}", ""),
            (" N/A" if clock is None else f" {clock / 1000.0:.2f} GHz", ""),
            (" N/A" if temp is None else f" {temp:.0f}°C", ""),
            (f" {format_number(socket.power_w, 'W')}", "")]


def cpu_facts(cpu: CpuReading) -> list[str]:
    """The whole CPU's clock, temperature and power, where no socket line shows them."""
    if cpu.sockets:
        return []
    facts = []
    if cpu.frequency_mhz is not None:
        facts.append(f"{cpu.frequency_mhz / 1000.0:.2f} GHz")
    if cpu.temperature_c is not None:
        facts.append(f"{cpu.temperature_c:.0f}°C")
    if cpu.power_w is not None:
        facts.append(format_number(cpu.power_w, "W"))
    return facts


def socket_lines(cpu: CpuReading, width: int) -> list[Line]:
    """The sockets, as many to a line as fit; why there is no power, after them, muted."""
    if not cpu.sockets:
        return []
    lines: list[list[Span]] = [[]]
    used = 0
    for socket in cpu.sockets:
        spans = socket_spans(socket)
        size = sum(cell_len(text) for text, _ in spans)
        if lines[-1] and used + len(SOCKET_GAP) + size > width:
            lines.append([])
            used = 0
        if lines[-1]:
            lines[-1].append((SOCKET_GAP, ""))
            used += len(SOCKET_GAP)
        lines[-1].extend(spans)
        used += size
    if cpu.power_w is None and cpu.power_unavailable_reason:
        lines[-1].append((f"{SOCKET_GAP}power: {cpu.power_unavailable_reason}", MUTED))
    return [tuple(line) for line in lines]


def _cells(loads: Sequence[float], cells: int) -> list[float]:
    if len(loads) <= cells:
        return list(loads)
    run = math.ceil(len(loads) / cells)
    return [max(loads[i:i + run]) for i in range(0, len(loads), run)]


def heat_lines(per_core_pct: Sequence[float], width: int) -> list[Line]:
    """One cell per logical CPU (or per run of them past MAX_HEAT_ROWS lines), by load."""
    if not per_core_pct:
        return []
    room = max(1, width - len(HEAT_LABEL))
    cells = _cells(per_core_pct, room * MAX_HEAT_ROWS)
    run = math.ceil(len(per_core_pct) / len(cells))
    label = HEAT_LABEL if run == 1 else f"×{run}".ljust(len(HEAT_LABEL))
    top = len(SPARK_CHARS) - 1
    lines: list[Line] = []
    for start in range(0, len(cells), room):
        spans: list[Span] = [(label if not lines else " " * len(HEAT_LABEL),
                              ACCENT if not lines else "")]
        for pct in cells[start:start + room]:
            level = max(0.0, min(100.0, pct))
            char = SPARK_CHARS[round(level / 100.0 * top)]
            if spans[-1][1] == fill_colour(level) and len(spans) > 1:
                spans[-1] = (spans[-1][0] + char, spans[-1][1])  # one span per run of a colour
            else:
                spans.append((char, fill_colour(level)))
        lines.append(tuple(spans))
    return lines
