"""Unit conversions and human formatting, in one place."""

from __future__ import annotations

KIB = 1024
MIB = 1024**2
GIB = 1024**3
TIB = 1024**4

NOT_AVAILABLE = "N/A"


def mw_to_w(milliwatts: float | None) -> float | None:
    """Milliwatts to watts, keeping None."""
    return None if milliwatts is None else milliwatts / 1000.0


def mib_to_bytes(mebibytes: float | None) -> int | None:
    """MiB to bytes, keeping None."""
    return None if mebibytes is None else int(round(mebibytes * MIB))


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
