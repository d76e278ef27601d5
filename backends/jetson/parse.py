"""Pure parsers for NVIDIA Jetson telemetry: tegrastats lines and sysfs values.

tegrastats grammar: NVIDIA L4T "Reported Statistics" table; the format changed across
releases (rails in mW with or without the `mW` suffix, `GR3D_FREQ x%`, `x%@MHz` or
`x%@[gpc0,gpc1]`), so every field is optional.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from allsmi_py.units import KIB, mib_to_bytes

_TIMESTAMP = re.compile(r"^\s*(\d\d-\d\d-\d{4} \d\d:\d\d:\d\d)\s")
_RAM = re.compile(r"\bRAM (\d+)/(\d+)MB")
_SWAP = re.compile(r"\bSWAP (\d+)/(\d+)MB")
_CPU = re.compile(r"\bCPU \[([^\]]*)\](?:@(\d+))?")
_CPU_CORE = re.compile(r"^(\d+)%(?:@(\d+))?$")
_EMC = re.compile(r"\bEMC_FREQ (\d+)%(?:@(\d+))?")
_GR3D = re.compile(r"\bGR3D_FREQ (\d+)%(?:@(?:\[([\d,]+)\]|(\d+)))?")
_MTS = re.compile(r"\bMTS fg (\d+)% bg (\d+)%")
# An engine clock is "NAME <MHz|off>" not followed by %, /, @, m(W) or more digits.
_ENGINE = re.compile(r"\b([A-Z][A-Z0-9_]*)\s+(off|\d+)(?![\d%/@m.])")
_TEMP = re.compile(r"\b([A-Za-z][A-Za-z0-9_]*)@(-?\d+(?:\.\d+)?)C\b")
_RAIL = re.compile(r"\b([A-Z][A-Z0-9_]*)\s+(\d+)(?:mW)?/(\d+)(?:mW)?(?=\s|$)")

# PMIC@100C is a constant placeholder, not a reading (jetson_stats skips it too).
_FAKE_SENSORS = frozenset({"pmic"})
_NOT_ENGINES = frozenset({"RAM", "SWAP", "IRAM", "CPU", "EMC_FREQ", "GR3D_FREQ", "MTS"})
_NOT_RAILS = frozenset({"RAM", "SWAP", "IRAM"})
_TOTAL_RAILS = ("VDD_IN", "POM_5V_IN")
GPU_OF_NODE_NAMES = frozenset({"gv11b", "gp10b", "ga10b", "gb10b", "gpu"})
"""`of_node/name` values of a devfreq device that is the Jetson iGPU (jetson_stats)."""


@dataclass(frozen=True, slots=True)
class Rail:
    """One power rail: instantaneous and average power in watts."""

    power_w: float
    average_w: float | None = None


@dataclass(frozen=True, slots=True)
class CpuCore:
    """One CPU core from tegrastats; `online` False for an `off` core."""

    online: bool
    load_pct: float | None = None
    frequency_mhz: float | None = None


@dataclass(frozen=True, slots=True)
class TegrastatsSample:
    """One tegrastats line, in bytes, percent, MHz, °C and W."""

    timestamp: str | None = None
    ram_used_bytes: int | None = None
    ram_total_bytes: int | None = None
    swap_used_bytes: int | None = None
    swap_total_bytes: int | None = None
    cpus: tuple[CpuCore, ...] = ()
    emc_utilization_pct: float | None = None
    emc_frequency_mhz: float | None = None
    gpu_utilization_pct: float | None = None
    gpu_frequency_mhz: float | None = None  # the first GPC's clock on r36 multi-GPC lines
    gpu_gpc_frequencies_mhz: tuple[float, ...] = ()
    mts_fg_pct: float | None = None
    mts_bg_pct: float | None = None
    engines_mhz: Mapping[str, float | None] = field(default_factory=dict)  # None: engine off
    temperatures_c: Mapping[str, float] = field(default_factory=dict)
    rails: Mapping[str, Rail] = field(default_factory=dict)


def parse_tegrastats(line: str) -> TegrastatsSample:
    """Parse one tegrastats line; raise ValueError when it is not one."""
    ram = _RAM.search(line)
    gr3d = _GR3D.search(line)
    if ram is None and gr3d is None:
        raise ValueError(f"not a tegrastats line: {line[:80]!r}")
    swap = _SWAP.search(line)
    emc = _EMC.search(line)
    mts = _MTS.search(line)
    stamp = _TIMESTAMP.search(line)

    gpu_util = gpu_mhz = None
    gpcs: tuple[float, ...] = ()
    if gr3d is not None:
        gpu_util = float(gr3d.group(1))
        if gr3d.group(2):
            gpcs = tuple(float(v) for v in gr3d.group(2).split(","))
            gpu_mhz = gpcs[0]
        elif gr3d.group(3):
            gpu_mhz = float(gr3d.group(3))

    engines: dict[str, float | None] = {}
    for name, value in _ENGINE.findall(line):
        if name not in _NOT_ENGINES:
            engines[name] = None if value == "off" else float(value)
    temps = {
        name: float(value)
        for name, value in _TEMP.findall(line)
        if name.lower() not in _FAKE_SENSORS
    }
    rails = {
        name: Rail(int(cur) / 1000.0, int(avg) / 1000.0)
        for name, cur, avg in _RAIL.findall(line)
        if name not in _NOT_RAILS
    }

    return TegrastatsSample(
        timestamp=stamp.group(1) if stamp else None,
        ram_used_bytes=mib_to_bytes(int(ram.group(1))) if ram else None,
        ram_total_bytes=mib_to_bytes(int(ram.group(2))) if ram else None,
        swap_used_bytes=mib_to_bytes(int(swap.group(1))) if swap else None,
        swap_total_bytes=mib_to_bytes(int(swap.group(2))) if swap else None,
        cpus=_parse_cpus(line),
        emc_utilization_pct=float(emc.group(1)) if emc else None,
        emc_frequency_mhz=float(emc.group(2)) if emc and emc.group(2) else None,
        gpu_utilization_pct=gpu_util,
        gpu_frequency_mhz=gpu_mhz,
        gpu_gpc_frequencies_mhz=gpcs,
        mts_fg_pct=float(mts.group(1)) if mts else None,
        mts_bg_pct=float(mts.group(2)) if mts else None,
        engines_mhz=engines,
        temperatures_c=temps,
        rails=rails,
    )


def _parse_cpus(line: str) -> tuple[CpuCore, ...]:
    match = _CPU.search(line)
    if match is None:
        return ()
    # Old boards print one clock for all cores after the bracket: CPU [x%,y%]@MHz.
    shared_mhz = float(match.group(2)) if match.group(2) else None
    cores = []
    for item in match.group(1).split(","):
        item = item.strip()
        core = _CPU_CORE.match(item)
        if item == "off" or core is None:
            cores.append(CpuCore(online=False))
            continue
        mhz = float(core.group(2)) if core.group(2) else shared_mhz
        cores.append(CpuCore(True, float(core.group(1)), mhz))
    return tuple(cores)


def module_power_w(rails_w: Mapping[str, float]) -> float | None:
    """Module input power in W: the VDD_IN/POM_5V_IN rail, else the sum of all rails."""
    for name in _TOTAL_RAILS:
        if name in rails_w:
            return rails_w[name]
    if not rails_w:
        return None
    return round(sum(rails_w.values()), 6)


def total_power_w(rails: Mapping[str, Rail]) -> float | None:
    """Module input power in W from tegrastats rails (see `module_power_w`)."""
    return module_power_w({name: rail.power_w for name, rail in rails.items()})


def gpu_temperature_c(temperatures_c: Mapping[str, float]) -> float | None:
    """The GPU sensor's temperature in °C, chosen by name (GPU, gpu, GPU-therm ...)."""
    for name, value in temperatures_c.items():
        if sensor_name(name) == "gpu":
            return value
    return None


def sensor_name(zone_type: str) -> str:
    """Short lower-case sensor name: 'GPU-therm' -> 'gpu', 'CPU_therm' -> 'cpu'."""
    return re.split(r"[-_]", zone_type.strip(), maxsplit=1)[0].lower()


def is_placeholder_sensor(zone_type: str) -> bool:
    """True for zones whose value is a constant, not a reading (PMIC-Die on Jetson)."""
    return sensor_name(zone_type) in _FAKE_SENSORS


def ina3221_rail_power_w(millivolts: float, milliamps: float) -> float:
    """Power of one INA3221 channel in W from its bus voltage (mV) and current (mA)."""
    return millivolts * milliamps / 1_000_000.0


def is_real_rail(label: str) -> bool:
    """False for unconnected (NC) channels and the shunt-voltage sum channel."""
    text = label.strip().lower()
    return bool(text) and text != "nc" and not text.startswith("sum of shunt")


def parse_meminfo(text: str) -> tuple[int | None, int | None]:
    """(total, used) bytes from /proc/meminfo; used = MemTotal - MemAvailable."""
    values: dict[str, int] = {}
    for row in text.splitlines():
        key, _, rest = row.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key.strip()] = int(parts[0]) * KIB  # meminfo "kB" are KiB
    total = values.get("MemTotal")
    available = values.get("MemAvailable")
    used = total - available if total is not None and available is not None else None
    return total, used


def parse_compatible(raw: bytes) -> tuple[str, ...]:
    """Entries of a NUL-separated device-tree `compatible` property."""
    return tuple(part.decode("ascii", "replace") for part in raw.split(b"\0") if part)


def tegrastats_details(sample: TegrastatsSample) -> dict[str, str]:
    """Vendor extras from a tegrastats sample as strings (rails in W, clocks in MHz, °C)."""
    details: dict[str, str] = {"source": "tegrastats"}
    if sample.emc_utilization_pct is not None:
        details["emc_utilization_pct"] = f"{sample.emc_utilization_pct:g}"
    if sample.emc_frequency_mhz is not None:
        details["emc_frequency_mhz"] = f"{sample.emc_frequency_mhz:g}"
    if sample.gpu_gpc_frequencies_mhz:
        details["gpu_gpc_frequencies_mhz"] = ",".join(
            f"{mhz:g}" for mhz in sample.gpu_gpc_frequencies_mhz
        )
    for name, mhz in sample.engines_mhz.items():
        details[f"engine.{name}"] = "off" if mhz is None else f"{mhz:g} MHz"
    for name, celsius in sample.temperatures_c.items():
        details[f"temperature.{name}_c"] = f"{celsius:g}"
    for name, rail in sample.rails.items():
        details[f"rail.{name}_w"] = f"{rail.power_w:g}"
    if sample.swap_total_bytes is not None:
        details["swap_total_bytes"] = str(sample.swap_total_bytes)
        details["swap_used_bytes"] = str(sample.swap_used_bytes)
    return details


def runtime_active_pct(
    before_ms: tuple[int, int], after_ms: tuple[int, int]
) -> float | None:
    """Percent of the interval a device was runtime-PM active, from two readings of
    (`runtime_active_time`, `runtime_suspended_time`) in ms; None when no time passed."""
    active = after_ms[0] - before_ms[0]
    suspended = after_ms[1] - before_ms[1]
    if active < 0 or suspended < 0 or active + suspended <= 0:
        return None  # counters went backwards (device re-probed) or no time passed
    return 100.0 * active / (active + suspended)
