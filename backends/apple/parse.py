"""Pure decoders for Apple Silicon telemetry: powermetrics (plist and text) and IOReport.

powermetrics keys and units: `processor.*_power` in mW, `gpu.freq_hz` in MHz despite its
name, `gpu.idle_ratio` 0-1. IOReport: energy counters labelled mJ/uJ/nJ, residency states
named IDLE/OFF/DOWN or by voltage state, frequencies from the pmgr `voltage-states*` tables
(8-byte entries, the first 4 a little-endian frequency in Hz), as macmon documents.
"""

from __future__ import annotations

import plistlib
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_ENERGY_SCALE_TO_J = {"mJ": 1e-3, "uJ": 1e-6, "µJ": 1e-6, "nJ": 1e-9}
_IDLE_STATES = frozenset({"IDLE", "OFF", "DOWN"})
THERMAL_STATES = ("Nominal", "Fair", "Serious", "Critical")
"""NSProcessInfo.thermalState values 0-3, in order."""


@dataclass(frozen=True, slots=True)
class AppleSample:
    """One Apple Silicon reading in percent, MHz and W; None where not reported."""

    gpu_utilization_pct: float | None = None
    gpu_frequency_mhz: float | None = None
    cpu_power_w: float | None = None
    gpu_power_w: float | None = None
    ane_power_w: float | None = None
    combined_power_w: float | None = None
    thermal_pressure: str | None = None
    hw_model: str | None = None
    clusters: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    # cluster name -> (active frequency MHz, active residency %)


def _mw(value: Any) -> float | None:
    return float(value) / 1000.0 if isinstance(value, int | float) else None


def parse_plist(data: bytes) -> AppleSample:
    """Decode one `powermetrics -f plist` sample; raise ValueError when it is not one."""
    try:
        doc = plistlib.loads(data.strip(b"\0\n "))
    except (plistlib.InvalidFileException, ValueError, OverflowError) as exc:
        raise ValueError(f"not a powermetrics plist: {exc}") from exc
    if not isinstance(doc, dict):
        raise ValueError("not a powermetrics plist: top level is not a dictionary")
    processor = doc.get("processor") or {}
    gpu = doc.get("gpu") or {}
    idle = gpu.get("idle_ratio")
    freq = gpu.get("freq_hz")
    clusters = {}
    for cluster in processor.get("clusters") or ():
        hz, idle_ratio = cluster.get("freq_hz"), cluster.get("idle_ratio")
        down = cluster.get("down_ratio")
        # A powered-down cluster is neither idle nor active: both ratios come off.
        busy = None
        if isinstance(idle_ratio, int | float):
            busy = 100.0 * (1.0 - idle_ratio - (down if isinstance(down, int | float) else 0))
        clusters[str(cluster.get("name"))] = (
            hz / 1e6 if isinstance(hz, int | float) else None,
            busy,
        )
    return AppleSample(
        gpu_utilization_pct=100.0 * (1.0 - idle) if isinstance(idle, int | float) else None,
        gpu_frequency_mhz=float(freq) if isinstance(freq, int | float) else None,
        cpu_power_w=_mw(processor.get("cpu_power")),
        gpu_power_w=_mw(processor.get("gpu_power")),
        ane_power_w=_mw(processor.get("ane_power")),
        combined_power_w=_mw(processor.get("combined_power")),
        thermal_pressure=doc.get("thermal_pressure"),
        hw_model=doc.get("hw_model"),
        clusters=clusters,
    )


def split_plist_stream(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Split a `powermetrics -f plist -i N` stream at NUL bytes: (whole samples, rest)."""
    *done, rest = buffer.split(b"\0")
    return [chunk for chunk in done if chunk.strip()], rest


_TEXT_PATTERNS = {
    "gpu_freq": re.compile(r"^GPU (?:HW )?active frequency:\s*([\d.]+)\s*MHz", re.M),
    "gpu_active": re.compile(r"^GPU (?:HW )?active residency:\s*([\d.]+)%", re.M),
    "gpu_idle": re.compile(r"^GPU idle residency:\s*([\d.]+)%", re.M),
    "cpu_power": re.compile(r"^CPU Power:\s*([\d.]+)\s*mW", re.M),
    "ane_power": re.compile(r"^ANE Power:\s*([\d.]+)\s*mW", re.M),
    "combined": re.compile(r"^Combined Power \(CPU \+ GPU \+ ANE\):\s*([\d.]+)\s*mW", re.M),
    "thermal": re.compile(r"^Current pressure level:\s*(\w+)", re.M),
}
_GPU_POWER = re.compile(r"^GPU Power:\s*([\d.]+)\s*mW", re.M)
_CLUSTER = re.compile(
    r"^(\w+-Cluster) HW active frequency:\s*([\d.]+)\s*MHz\n"
    r"\1 HW active residency:\s*([\d.]+)%", re.M
)


def parse_text(text: str) -> AppleSample:
    """Decode default-format powermetrics text; raise ValueError when nothing is found."""
    found = {key: pattern.search(text) for key, pattern in _TEXT_PATTERNS.items()}

    def number(key: str) -> float | None:
        match = found[key]
        return float(match.group(1)) if match else None

    gpu_powers = _GPU_POWER.findall(text)
    clusters = {name: (float(mhz), float(pct)) for name, mhz, pct in _CLUSTER.findall(text)}
    if not gpu_powers and not clusters and all(m is None for m in found.values()):
        raise ValueError("no powermetrics fields in the text")
    active = number("gpu_active")
    if active is None and number("gpu_idle") is not None:
        active = 100.0 - (number("gpu_idle") or 0.0)
    # The summary's "GPU Power" comes first; the GPU sampler's own line (last) is the
    # GPU-only figure, so prefer it (all-smi took the first one).
    gpu_power = float(gpu_powers[-1]) / 1000.0 if gpu_powers else None
    thermal = found["thermal"]
    return AppleSample(
        gpu_utilization_pct=active,
        gpu_frequency_mhz=number("gpu_freq"),
        cpu_power_w=_mw(number("cpu_power")),
        gpu_power_w=gpu_power,
        ane_power_w=_mw(number("ane_power")),
        combined_power_w=_mw(number("combined")),
        thermal_pressure=thermal.group(1) if thermal else None,
        clusters=clusters,
    )


def energy_to_watts(delta: float, unit_label: str, elapsed_s: float) -> float | None:
    """Watts from an IOReport energy delta in its unit label (mJ, uJ, nJ) over `elapsed_s`."""
    scale = _ENERGY_SCALE_TO_J.get(unit_label.strip())
    if scale is None or elapsed_s <= 0 or delta < 0:
        return None
    return delta * scale / elapsed_s


def is_idle_state(name: str) -> bool:
    """True for IOReport residency states that mean idle or powered down."""
    return name.strip().upper() in _IDLE_STATES


def residency_utilization_pct(states: Sequence[tuple[str, int]]) -> float | None:
    """Busy percent from (state name, residency) pairs: non-idle time over all time."""
    total = sum(residency for _, residency in states)
    if total <= 0:
        return None
    busy = sum(residency for name, residency in states if not is_idle_state(name))
    return 100.0 * busy / total


def residency_frequency_mhz(
    states: Sequence[tuple[str, int]], table_mhz: Sequence[float]
) -> float | None:
    """Residency-weighted MHz of the active states; the k-th active state uses table[k]."""
    active = [residency for name, residency in states if not is_idle_state(name)]
    pairs = list(zip(active, table_mhz, strict=False))
    busy = sum(residency for residency, _ in pairs)
    if busy <= 0:
        return None
    return sum(residency * mhz for residency, mhz in pairs) / busy


def parse_voltage_states(data: bytes) -> list[float]:
    """MHz of each entry of a pmgr `voltage-states*` property (8-byte entries)."""
    usable = len(data) - len(data) % 8
    return [
        struct.unpack_from("<I", data, offset)[0] / 1e6
        for offset in range(0, usable, 8)
    ]


def thermal_state_name(state: int) -> str | None:
    """NSProcessInfo.thermalState 0-3 as its name; None when out of range."""
    return THERMAL_STATES[state] if 0 <= state < len(THERMAL_STATES) else None
