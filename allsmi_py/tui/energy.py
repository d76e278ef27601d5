"""Energy totals as the TUI shows them: kWh and cost at the configured price.

The price is display configuration set once by the command before the app starts
(`use_price`); the local and the cluster app share it, so neither needs a new argument.
"""

from __future__ import annotations

from allsmi_py.energy.price import EnergyPrice, format_kwh
from allsmi_py.tui.style import ACCENT, MUTED
from allsmi_py.tui.widgets.bars import Span

_price = EnergyPrice()


def use_price(price: EnergyPrice) -> None:
    """Show costs at `price` from now on (config energy.price_per_kwh and energy.currency)."""
    global _price
    _price = price


def current_price() -> EnergyPrice:
    """The price costs are shown at."""
    return _price


def energy_words(joules: float) -> str:
    """'1.234 kWh · $0.15'."""
    return f"{format_kwh(joules)} · {_price.format_cost(joules)}"


def energy_spans(joules: float | None, label: str = "  Energy ") -> list[Span]:
    """The label, kWh and cost as spans; none when the total is not known."""
    if joules is None:
        return []
    return [(label, ACCENT), (format_kwh(joules), ""), (f" {_price.format_cost(joules)}", MUTED)]
