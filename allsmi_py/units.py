"""Unit conversions and human formatting, in one place."""

from __future__ import annotations

import math
import re
from typing import TypeGuard

KIB = 1024
MIB = 1024**2
GIB = 1024**3
TIB = 1024**4

NOT_AVAILABLE = "N/A"


# Tools print "MB" and "GB" for binary sizes (nvidia-smi, hl-smi, rbln-smi, tpu-info and
# furiosa-smi all mean MiB and GiB), so both spellings read as binary.
_SIZE_UNITS = {"B": 1, "KB": KIB, "KIB": KIB, "MB": MIB, "MIB": MIB, "GB": GIB, "GIB": GIB,
               "TB": TIB, "TIB": TIB}
_PERCENT = re.compile(r"(\d*\.?\d+)\s*%")


def _usable(value: float | None, *, signed: bool = False) -> TypeGuard[float]:
    """A real number (not None, a bool, NaN or infinite), and not negative unless `signed`."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return signed or value >= 0


def _divided(value: float | None, divisor: float, *, signed: bool = False) -> float | None:
    if not _usable(value, signed=signed):
        return None
    try:
        return value / divisor
    except OverflowError:
        return None  # an int too large for a float: no sensor reads that


def mw_to_w(milliwatts: float | None) -> float | None:
    """Milliwatts to watts; None for None, NaN, infinite or negative."""
    return _divided(milliwatts, 1000.0)


def uw_to_w(microwatts: float | None) -> float | None:
    """Microwatts (hwmon `power*_input`, `power*_cap`) to watts; None for None or unusable."""
    return _divided(microwatts, 1e6)


def mj_to_j(millijoules: float | None) -> float | None:
    """Millijoules (NVML's energy counter) to joules; None for None or unusable."""
    return _divided(millijoules, 1000.0)


def uj_to_j(microjoules: float | None) -> float | None:
    """Microjoules (hwmon `energy*_input`) to joules; None for None or unusable."""
    return _divided(microjoules, 1e6)


def millidegrees_to_c(millidegrees: float | None) -> float | None:
    """Millidegrees Celsius (hwmon `temp*`, thermal zones) to °C; negative is a temperature."""
    return _divided(millidegrees, 1000.0, signed=True)


def mv_to_v(millivolts: float | None) -> float | None:
    """Millivolts (hwmon `in*_input`) to volts; None for None or unusable."""
    return _divided(millivolts, 1000.0)


def ma_to_a(milliamps: float | None) -> float | None:
    """Milliamperes (hwmon `curr*_input`) to amperes; None for None or unusable."""
    return _divided(milliamps, 1000.0)


def hz_to_mhz(hertz: float | None) -> float | None:
    """Hertz (devfreq, hwmon `freq*_input`) to MHz; None for None or unusable."""
    return _divided(hertz, 1e6)


def khz_to_mhz(kilohertz: float | None) -> float | None:
    """Kilohertz (cpufreq, Apple M4 clock tables) to MHz; None for None or unusable."""
    return _divided(kilohertz, 1e3)


def permille_to_pct(permille: float | None) -> float | None:
    """Per mille (Jetson's GPU `load`) to percent; None for None or unusable."""
    return _divided(permille, 10.0)


def size_to_bytes(amount: float | None, unit: str) -> int | None:
    """An amount in B, KiB, MiB, GiB or TiB ('MB' read as MiB, any case) to whole bytes.

    None for None, an unknown unit, or an amount that is NaN, infinite or negative.
    """
    scale = _SIZE_UNITS.get(unit.strip().upper())
    if scale is None or not _usable(amount):
        return None
    size = amount * scale
    if isinstance(size, float) and not math.isfinite(size):
        return None  # a float amount so large its bytes overflow
    return int(round(size))


def kib_to_bytes(kibibytes: float | None) -> int | None:
    """KiB (/proc/meminfo's "kB", NVML's KB/s) to bytes; None for None or unusable."""
    return size_to_bytes(kibibytes, "KiB")


def mib_to_bytes(mebibytes: float | None) -> int | None:
    """MiB to bytes; None for None, NaN, infinite or negative."""
    return size_to_bytes(mebibytes, "MiB")


def parse_percent(text: str | None) -> float | None:
    """The first 'N%' in a tool's text ('12.5%', 'Core 3: 0.00 %') as a number; else None."""
    match = _PERCENT.search(text or "")
    return float(match.group(1)) if match else None


def format_bytes(value: float | None, precision: int = 1) -> str:
    """1536 -> '1.5 KiB'; None -> 'N/A'."""
    if value is None:
        return NOT_AVAILABLE
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.{precision}f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def format_pct(value: float | None, precision: int = 0) -> str:
    """42.4 -> '42%'; None -> 'N/A'."""
    return NOT_AVAILABLE if value is None else f"{value:.{precision}f}%"


def format_number(value: float | None, unit: str = "", precision: int = 0) -> str:
    """(250.4, 'W') -> '250 W'; None -> 'N/A'."""
    if value is None:
        return NOT_AVAILABLE
    text = f"{value:.{precision}f}"
    return f"{text} {unit}" if unit else text


def format_duration(seconds: float | None) -> str:
    """Seconds to a compact '3d 04:05:06' / '04:05' form; None -> 'N/A'."""
    if seconds is None:
        return NOT_AVAILABLE
    total = int(max(0, seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}:{minutes:02d}:{secs:02d}"
    if hours:
        return f"{hours:d}:{minutes:02d}:{secs:02d}"
    return f"{minutes:d}:{secs:02d}"
