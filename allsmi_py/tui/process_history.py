"""GPU memory, GPU%, CPU% and host memory history of each process on an accelerator, for
the selected row (the table's border) and its metrics screen (Enter).

Keyed by pid, device and start time: a pid the kernel reuses for another process starts a
new series instead of continuing the old one. Series of processes gone from the snapshot
are dropped, and at most MAX_TRACKED are kept (a reading can list any number).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rich.text import Text

from allsmi_py.model import ProcessReading
from allsmi_py.tui.history import History
from allsmi_py.tui.widgets.bars import spark_span
from allsmi_py.units import format_bytes, format_pct

MAX_TRACKED = 1024
HISTORY_LENGTH = 60
SPARK_WIDTH = 16


class ProcessOnDevice(Protocol):
    """A process table row: the process and the device it was listed on."""

    @property
    def process(self) -> ProcessReading:
        """The process."""

    @property
    def device(self) -> str:
        """The device's tag in the table."""


def series_key(row: ProcessOnDevice) -> str:
    """The history key of one process on one device."""
    return f"{row.process.pid}:{row.device}:{row.process.started_at_s}"


class ProcessHistory:
    """Four series per process on a device: GPU memory (bytes), GPU utilization (%), CPU
    (% of one logical CPU) and host memory (bytes)."""

    def __init__(self) -> None:
        self.memory = History(HISTORY_LENGTH)
        self.utilization = History(HISTORY_LENGTH)
        self.cpu = History(HISTORY_LENGTH)
        self.host_memory = History(HISTORY_LENGTH)

    def record(self, rows: Sequence[ProcessOnDevice]) -> None:
        """Push each row's readings; forget the processes no longer listed."""
        keys = []
        for row in rows[:MAX_TRACKED]:
            key = series_key(row)
            keys.append(key)
            p = row.process
            self.memory.push(key, p.gpu_memory_bytes)
            self.utilization.push(key, p.gpu_utilization_pct)
            self.cpu.push(key, p.cpu_pct)
            self.host_memory.push(key, p.host_memory_bytes)
        for series in (self.memory, self.utilization, self.cpu, self.host_memory):
            series.keep_only(keys)

    def __len__(self) -> int:
        return len(self.memory)

    def describe(self, row: ProcessOnDevice) -> Text | None:
        """`pid N · GPU-MEM ▂▄▆ 4.0 GiB · GPU% ▁▃▅ 50%`, or None without a history."""
        key = series_key(row)
        if key not in self.memory:
            return None
        memory = self.memory.values(key)
        peak = max((v for v in memory if v is not None), default=0.0) or 1.0
        util = self.utilization.values(key)
        p = row.process
        out = Text(f"pid {p.pid} on {row.device} · GPU-MEM ")
        out.append(*spark_span(memory, SPARK_WIDTH, high=peak))
        out.append(f" {format_bytes(p.gpu_memory_bytes)} · GPU% ")
        out.append(*spark_span(util, SPARK_WIDTH))
        out.append(f" {format_pct(p.gpu_utilization_pct)}")
        return out
