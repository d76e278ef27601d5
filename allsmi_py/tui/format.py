"""Formatting the UI needs beyond allsmi_py.units."""

from __future__ import annotations

from allsmi_py.units import NOT_AVAILABLE, format_bytes

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def used_of_total(used: float | None, total: float | None) -> str:
    """'12.3/79.6 GiB': both numbers in the unit that suits the total; N/A when unknown."""
    if total is None:
        return NOT_AVAILABLE if used is None else format_bytes(used)
    unit = format_bytes(total).split()[1]
    scale = 1024 ** _UNITS.index(unit)
    total_text = f"{total / scale:.1f}" if unit != "B" else f"{total:.0f}"
    if used is None:
        return f"N/A/{total_text} {unit}"
    used_text = f"{used / scale:.1f}" if unit != "B" else f"{used:.0f}"
    return f"{used_text}/{total_text} {unit}"
