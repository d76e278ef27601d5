"""Pure decoders for Apple Silicon telemetry: powermetrics (plist and text), IOReport, SMC.

powermetrics keys and units: `processor.*_power` in mW, `gpu.freq_hz` in MHz despite its
name, `gpu.idle_ratio` 0-1. IOReport: energy counters labelled mJ/uJ/nJ, residency states
named IDLE/OFF/DOWN or by voltage state, frequencies from the pmgr `voltage-states*` tables
(8-byte entries, the first 4 a little-endian frequency), as macmon and all-smi document.
SMC: `flt ` values are little-endian floats, the fixed-point and integer types big-endian.
"""

from __future__ import annotations

import plistlib
import re
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from allsmi_py.units import hz_to_mhz, khz_to_mhz, mw_to_w

_ENERGY_SCALE_TO_J = {"mJ": 1e-3, "uJ": 1e-6, "µJ": 1e-6, "nJ": 1e-9}
_IDLE_STATES = frozenset({"IDLE", "OFF", "DOWN"})
_MIN_MHZ, _MAX_MHZ = 100.0, 6000.0
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
    dram_power_w: float | None = None
    gpu_sram_power_w: float | None = None
    thermal_pressure: str | None = None
    hw_model: str | None = None
    clusters: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    # cluster name -> (active frequency MHz, active residency %)
    cluster_cores: Mapping[str, int] = field(default_factory=dict)  # cluster name -> CPUs


def _number(value: Any) -> float | None:
    """A plist number as a float; None for anything else (absent, a string, a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


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
    cores: dict[str, int] = {}
    for cluster in processor.get("clusters") or ():
        if isinstance(cpus := cluster.get("cpus"), list) and 0 < len(cpus) <= 256:
            cores[str(cluster.get("name"))] = len(cpus)
        hz, idle_ratio = cluster.get("freq_hz"), cluster.get("idle_ratio")
        down = cluster.get("down_ratio")
        # A powered-down cluster is neither idle nor active: both ratios come off.
        busy = None
        if isinstance(idle_ratio, int | float):
            busy = 100.0 * (1.0 - idle_ratio - (down if isinstance(down, int | float) else 0))
        clusters[str(cluster.get("name"))] = (hz_to_mhz(_number(hz)), busy)
    return AppleSample(
        gpu_utilization_pct=100.0 * (1.0 - idle) if isinstance(idle, int | float) else None,
        gpu_frequency_mhz=_number(freq),
        cpu_power_w=mw_to_w(_number(processor.get("cpu_power"))),
        gpu_power_w=mw_to_w(_number(processor.get("gpu_power"))),
        ane_power_w=mw_to_w(_number(processor.get("ane_power"))),
        combined_power_w=mw_to_w(_number(processor.get("combined_power"))),
        thermal_pressure=doc.get("thermal_pressure"),
        hw_model=doc.get("hw_model"),
        clusters=clusters, cluster_cores=cores,
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
    gpu_power = mw_to_w(float(gpu_powers[-1])) if gpu_powers else None
    thermal = found["thermal"]
    return AppleSample(
        gpu_utilization_pct=active,
        gpu_frequency_mhz=number("gpu_freq"),
        cpu_power_w=mw_to_w(number("cpu_power")),
        gpu_power_w=gpu_power,
        ane_power_w=mw_to_w(number("ane_power")),
        combined_power_w=mw_to_w(number("combined")),
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
    """MHz of each clock entry of a pmgr `voltage-states*` property (8-byte entries).

    The GPU tables start with a 0 Hz entry for the powered-off state, and some plain
    (non `-sram`) keys hold clock periods: entries outside 100 MHz-6 GHz are dropped, as
    all-smi does. M4 and later publish CPU tables in kHz (macmon): a table whose largest
    entry is under 10 MHz read as Hz is read as kHz.
    """
    usable = len(data) - len(data) % 8
    raw = [struct.unpack_from("<I", data, offset)[0] for offset in range(0, usable, 8)]
    to_mhz = khz_to_mhz if raw and max(raw) < 10_000_000 else hz_to_mhz
    clocks = (to_mhz(value) for value in raw)
    return [mhz for mhz in clocks if mhz is not None and _MIN_MHZ <= mhz <= _MAX_MHZ]


def thermal_state_name(state: int) -> str | None:
    """NSProcessInfo.thermalState 0-3 as its name; None when out of range."""
    return THERMAL_STATES[state] if 0 <= state < len(THERMAL_STATES) else None


# -- IOReport channels -> AppleSample --------------------------------------------------------

ENERGY_GROUP = "Energy Model"
CPU_STATES = ("CPU Stats", "CPU Core Performance States")
GPU_STATES = ("GPU Stats", "GPU Performance States")
_DIE_PREFIX = re.compile(r"^(DIE_\d+_)(.+)$")
_CPU_CORE = re.compile(r"^(DIE_\d+_)?([EPM])CPU")
# pmgr keys per block, most trusted first: macmon reads the GPU from `voltage-states9`,
# both tools read CPU clusters from the `-sram` keys (all-smi: on an M1 Ultra the plain
# CPU keys hold clock periods). No key is documented for M5 `MCPU` cores.
TABLE_KEYS = {
    "gpu": ("voltage-states9", "voltage-states9-sram"),
    "ECPU": ("voltage-states1-sram", "voltage-states1"),
    "PCPU": ("voltage-states5-sram", "voltage-states5"),
}


@dataclass(frozen=True, slots=True)
class IOReportChannel:
    """One channel of an IOReport delta sample: an integer counter or a state histogram."""

    group: str
    subgroup: str
    name: str
    unit: str
    value: int | None = None
    states: tuple[tuple[str, int], ...] = ()


def strip_die_prefix(name: str) -> str:
    """The channel name without the `DIE_<n>_` prefix that Ultra (two-die) chips add."""
    match = _DIE_PREFIX.match(name)
    return match.group(2) if match else name


def energy_rail(name: str) -> str | None:
    """Which rail an `Energy Model` channel feeds (cpu, gpu, ane, dram, gpu_sram), if any.

    Names as macmon and all-smi match them: `CPU Energy` (Ultra: `DIE_<n>_CPU Energy`),
    exactly `GPU Energy`, `ANE…` (`ANE`, `ANE0`, `ANE0_<n>`), `DRAM…`, `GPU SRAM…`.
    """
    block = strip_die_prefix(name)
    if block == "CPU Energy":
        return "cpu"
    if block == "GPU Energy":
        return "gpu"
    for prefix, rail in (("ANE", "ane"), ("DRAM", "dram"), ("GPU SRAM", "gpu_sram")):
        if block.startswith(prefix):
            return rail
    return None


def cpu_cluster(name: str) -> str | None:
    """The cluster key of a per-core CPU channel: `ECPU`, `PCPU`, `MCPU`, `DIE_1_PCPU`."""
    match = _CPU_CORE.match(name)
    return f"{match.group(1) or ''}{match.group(2)}CPU" if match else None


def select_frequency_tables(properties: Mapping[str, bytes]) -> dict[str, list[float]]:
    """The GPU, E-cluster and P-cluster MHz tables out of the pmgr `voltage-states*` data."""
    tables: dict[str, list[float]] = {}
    for block, keys in TABLE_KEYS.items():
        for key in keys:
            table = parse_voltage_states(properties.get(key, b""))
            if table:
                tables[block] = table
                break
    return tables


def residency_summary(
    histograms: Sequence[Sequence[tuple[str, int]]], table_mhz: Sequence[float]
) -> tuple[float | None, float | None]:
    """(active %, MHz) over several residency histograms of one block (cores, dies).

    MHz is weighted by active residency; a block idle for the whole window is parked at
    its lowest table entry (all-smi), not at 0 MHz.
    """
    total = busy = weighted_busy = 0
    weighted = 0.0
    for states in histograms:
        total += sum(residency for _, residency in states)
        active = sum(residency for name, residency in states if not is_idle_state(name))
        busy += active
        mhz = residency_frequency_mhz(states, table_mhz) if table_mhz else None
        if mhz is not None:
            weighted += mhz * active
            weighted_busy += active
    if total <= 0:
        return None, None
    if weighted_busy > 0:
        return 100.0 * busy / total, weighted / weighted_busy
    return 100.0 * busy / total, (min(table_mhz) if table_mhz and busy == 0 else None)


def sample_from_ioreport(
    channels: Iterable[IOReportChannel], elapsed_s: float,
    tables: Mapping[str, Sequence[float]],
) -> AppleSample:
    """Power (Δenergy / Δt), GPU and CPU-cluster residency from one IOReport delta sample."""
    watts: dict[str, float] = {}
    gpu: list[Sequence[tuple[str, int]]] = []
    clusters: dict[str, list[Sequence[tuple[str, int]]]] = {}
    for channel in channels:
        where = (channel.group, channel.subgroup)
        if channel.group == ENERGY_GROUP and channel.value is not None:
            rail = energy_rail(channel.name)
            power = energy_to_watts(channel.value, channel.unit, elapsed_s) if rail else None
            if rail and power is not None:
                watts[rail] = watts.get(rail, 0.0) + power
        elif where == GPU_STATES and channel.name == "GPUPH":
            gpu.append(channel.states)
        elif where == CPU_STATES and (key := cpu_cluster(channel.name)):
            clusters.setdefault(key, []).append(channel.states)
    gpu_pct, gpu_mhz = residency_summary(gpu, tables.get("gpu", ()))
    cpu_w, gpu_w, ane_w = watts.get("cpu"), watts.get("gpu"), watts.get("ane")
    summary = {}
    for key, histograms in sorted(clusters.items()):
        busy, mhz = residency_summary(histograms, tables.get(key[-4:], ()))
        summary[key] = (mhz, busy)
    return AppleSample(
        gpu_utilization_pct=gpu_pct,
        gpu_frequency_mhz=gpu_mhz,
        cpu_power_w=cpu_w,
        gpu_power_w=gpu_w,
        ane_power_w=ane_w,
        # powermetrics' "Combined Power (CPU + GPU + ANE)"
        combined_power_w=cpu_w + gpu_w + (ane_w or 0.0)
        if cpu_w is not None and gpu_w is not None else None,
        dram_power_w=watts.get("dram"),
        gpu_sram_power_w=watts.get("gpu_sram"),
        clusters=summary,
    )


# -- SMC values and memory counters ----------------------------------------------------------

TEMPERATURE_RANGE_C = (10.0, 120.0)
"""Readings outside this range are missing or mistyped keys (all-smi)."""


def decode_smc(data_type: str, data: bytes) -> float | None:
    """An SMC value from its 4-character type and bytes; None for types we do not know.

    `flt ` is a little-endian IEEE-754 float on Apple Silicon; `spXY`/`fpXY` are signed /
    unsigned big-endian 16-bit fixed point with Y (hex) fraction bits; `ui*`/`si*` are
    big-endian integers.
    """
    size = {"ui8 ": 1, "si8 ": 1, "ui16": 2, "si16": 2, "ui32": 4, "si32": 4}.get(data_type)
    if data_type == "flt " and len(data) >= 4:
        return float(struct.unpack_from("<f", data)[0])
    if size is not None and len(data) >= size:
        return float(int.from_bytes(data[:size], "big", signed=data_type[0] == "s"))
    if len(data_type) == 4 and data_type[:2] in ("sp", "fp") and len(data) >= 2:
        try:
            fraction_bits = int(data_type[3], 16)
            int(data_type[2], 16)
        except ValueError:
            return None
        raw = int.from_bytes(data[:2], "big", signed=data_type[0] == "s")
        return raw / (1 << fraction_bits)
    return None


def temperature_kind(key: str, data_type: str) -> str | None:
    """`cpu` or `gpu` for an SMC temperature key, else None.

    Apple Silicon: `Tp*` (P cores), `Te*` (E cores), `Tg*` (GPU), type `flt `. Intel:
    `TC*` / `TG*`, type `sp78`. The type is part of the rule so the families never mix.
    """
    if len(key) != 4 or key[0] != "T":
        return None
    if data_type == "flt " and key[1] in "pe":
        return "cpu"
    if data_type == "flt " and key[1] == "g":
        return "gpu"
    if data_type == "sp78" and key[1] in "CG":
        return "cpu" if key[1] == "C" else "gpu"
    return None


def mean_temperature_c(readings: Iterable[float | None]) -> float | None:
    """Mean of the readings inside TEMPERATURE_RANGE_C; None when none is."""
    low, high = TEMPERATURE_RANGE_C
    usable = [value for value in readings if value is not None and low <= value <= high]
    return sum(usable) / len(usable) if usable else None


VM_STATISTICS64 = struct.Struct("=4I9Q2I4Q4IQ")
"""`vm_statistics64` from <mach/vm_statistics.h>: 152 bytes, HOST_VM_INFO64_COUNT 38."""


def memory_used_bytes(vm_statistics64: bytes, page_size: int) -> int | None:
    """Used memory as macmon counts it: active + inactive + wired + speculative +
    compressed - purgeable - file-backed pages."""
    if len(vm_statistics64) < VM_STATISTICS64.size or page_size <= 0:
        return None
    fields: tuple[int, ...] = VM_STATISTICS64.unpack_from(vm_statistics64)
    _free, active, inactive, wired = fields[:4]
    purgeable, speculative = fields[13:15]
    compressor, _throttled, external = fields[19:22]
    pages = active + inactive + wired + speculative + compressor - purgeable - external
    return int(max(pages, 0) * page_size)
