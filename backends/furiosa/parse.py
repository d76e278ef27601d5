"""Pure parsers for `furiosa-smi info [--format full]`, `status`, `ps` and `topo` tables (RNGD).

Columns changed between releases (2025.3.1: `PERT`, `Clock`, `Cores`; 2026.3: `Core Clock`,
`Governor`, `Memory`), so cells are looked up by title and a missing column is None.
Values carry units: `40.98°C`, `38.40 W`, `2000 MHz`, `0.00/47.50 GiB`, `Core 3: 0.00%`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from allsmi_py.details import furiosa as fur
from allsmi_py.model import DeviceReading, ProcessReading
from allsmi_py.units import parse_percent, size_to_bytes
from backends.furiosa.tables import TableError, cell, parse_grid

__all__ = ["TableError", "parse_info", "parse_status", "parse_ps", "parse_topo", "merge"]

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_MEMORY = re.compile(r"(\d*\.?\d+)\s*/\s*(\d*\.?\d+)\s*([KMGT]i?B)", re.IGNORECASE)
_CORE = re.compile(r"Core\s+(\d+):\s*([\d.]+%|-)")
_NPU_CORES = re.compile(r"(npu\d+):\[([^\]]*)\]")
_MISSING = {"N/A", "-", ""}


def _number(text: str | None) -> float | None:
    if text is None or text.strip() in _MISSING:
        return None
    match = _NUMBER.search(text)
    return float(match.group()) if match else None


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """One device's `furiosa-smi status` row."""

    liveness: str | None = None
    memory_used_bytes: int | None = None
    memory_total_bytes: int | None = None
    core_utilization_pct: dict[int, float | None] = field(default_factory=dict)
    core_states: tuple[str, ...] = ()

    @property
    def utilization_pct(self) -> float | None:
        """Mean over the PE cores that report one; None when none does."""
        values = [v for v in self.core_utilization_pct.values() if v is not None]
        return sum(values) / len(values) if values else None


def parse_info(text: str, backend: str = "furiosa") -> list[DeviceReading]:
    """`furiosa-smi info` (short or `--format full`) as readings: °C, W, MHz."""
    readings = []
    for index, row in enumerate(parse_grid(text)):
        device = cell(row, "Device")
        if device is None:
            raise TableError("info row without a Device cell")
        arch = cell(row, "Arch")
        uuid = cell(row, "UUID")
        bdf = cell(row, "PCI-BDF")
        details = {fur.DEVICE_NAME.key: device}
        for key, titles in (
            (fur.ARCHITECTURE, ("Arch",)),
            (fur.FIRMWARE_VERSION, ("Firmware",)),
            (fur.PERT_VERSION, ("PERT",)),
            (fur.SERIAL_NUMBER, ("S/N",)),
            (fur.GOVERNOR, ("Governor",)),
            (fur.PCI_BDF, ("PCI-BDF",)),
            (fur.PCI_DEV, ("PCI-DEV",)),
        ):
            value = cell(row, *titles)
            if value is not None and value not in _MISSING:
                key.put(details, value)
        clock = _number(cell(row, "Core Clock", "Clock"))
        fur.CLOCK_MHZ.put(details, clock)
        number = re.search(r"\d+", device)
        readings.append(
            DeviceReading(
                backend=backend,
                index=int(number.group()) if number else index,
                uuid=uuid or f"furiosa-{bdf or device}",
                name=f"FuriosaAI {arch.upper()}" if arch else "FuriosaAI NPU",
                kind="npu",
                vendor="FuriosaAI",
                temperature_c=_number(cell(row, "Temp.", "Temp")),
                power_w=_number(cell(row, "Power")),
                clock_graphics_mhz=clock,
                details=details,
            )
        )
    return readings


def parse_status(text: str) -> dict[str, DeviceStatus]:
    """`furiosa-smi status` by device name ('npu0'): liveness, memory bytes, per-core %."""
    result = {}
    for row in parse_grid(text):
        device = cell(row, "Device")
        if device is None:
            raise TableError("status row without a Device cell")
        used = total = None
        memory = _MEMORY.search(cell(row, "Memory") or "")
        if memory:
            used = size_to_bytes(float(memory.group(1)), memory.group(3))
            total = size_to_bytes(float(memory.group(2)), memory.group(3))
        cores: dict[int, float | None] = {}
        for core, value in _CORE.findall(cell(row, "Core Utilization") or ""):
            cores[int(core)] = parse_percent(value)  # None for '-'
        states = tuple(s.strip().rstrip(",") for s in row.get("Cores", []))
        result[device] = DeviceStatus(
            liveness=cell(row, "Liveness"),
            memory_used_bytes=used,
            memory_total_bytes=total,
            core_utilization_pct=cores,
            core_states=states,
        )
    return result


def parse_ps(text: str) -> dict[str, tuple[ProcessReading, ...]]:
    """`furiosa-smi ps` by device name; a process on four NPUs appears under each."""
    grouped: dict[str, list[ProcessReading]] = {}
    if "|" not in text:
        return {}  # no process table is printed when nothing runs
    for row in parse_grid(text):
        pid = cell(row, "PID")
        if pid is None or not pid.isdigit():
            raise TableError(f"ps row with PID {pid!r}")
        cmd = cell(row, "CMD")
        for device, _cores in _NPU_CORES.findall(cell(row, "NPU core", "NPU") or ""):
            grouped.setdefault(device, []).append(
                ProcessReading(
                    pid=int(pid),
                    command=cmd,
                    name=cmd.split()[0].rsplit("/", 1)[-1] if cmd else None,
                    process_type="npu",
                )
            )
    return {device: tuple(rows) for device, rows in grouped.items()}


def parse_topo(text: str) -> dict[str, tuple[dict[str, str], int | None]]:
    """`furiosa-smi topo` by device name: (link type to each other device, NUMA node)."""
    result = {}
    for row in parse_grid(text):
        device = cell(row, "Device")
        if device is None:
            raise TableError("topo row without a Device cell")
        links = {
            title: lines[0]
            for title, lines in row.items()
            if title not in ("Device", "NUMA node") and lines and title != device
        }
        numa = cell(row, "NUMA node")
        result[device] = (links, int(numa) if numa and numa.isdigit() else None)
    return result


def merge(
    info: list[DeviceReading],
    status: dict[str, DeviceStatus],
    processes: dict[str, tuple[ProcessReading, ...]],
    topo: dict[str, tuple[dict[str, str], int | None]] | None = None,
) -> list[DeviceReading]:
    """Join the tables on the device name ('npu0') into one reading per device."""
    merged = []
    for reading in info:
        name = reading.details[fur.DEVICE_NAME.key]
        st = status.get(name, DeviceStatus())
        details = dict(reading.details)
        fur.LIVENESS.put(details, st.liveness)
        numa = topo.get(name, ({}, None))[1] if topo else None
        merged.append(
            replace(
                reading,
                utilization_pct=st.utilization_pct,
                memory_used_bytes=st.memory_used_bytes,
                memory_total_bytes=st.memory_total_bytes,
                numa_node=numa,
                processes=processes.get(name, ()),
                details=details,
            )
        )
    return merged
