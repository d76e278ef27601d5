"""Joules as kWh and as money: the one place the TUI turns an energy total into words."""

from __future__ import annotations

from dataclasses import dataclass

JOULES_PER_KWH = 3.6e6
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "KRW": "₩", "CNY": "¥",
                    "INR": "₹"}


def kwh(joules: float) -> float:
    """Joules in kilowatt-hours."""
    return joules / JOULES_PER_KWH


def format_kwh(joules: float) -> str:
    """'0.123 kWh', '12.3 kWh', '1.23 MWh': three significant places where they fit."""
    value = kwh(joules)
    if value >= 1000:
        return f"{value / 1000:.2f} MWh"
    return f"{value:.3f} kWh" if value < 10 else f"{value:.1f} kWh"


@dataclass(frozen=True, slots=True)
class EnergyPrice:
    """The price of one kWh (config energy.price_per_kwh) in `currency` (energy.currency)."""

    per_kwh: float = 0.12
    currency: str = "USD"

    def cost(self, joules: float) -> float:
        """What `joules` cost at this price."""
        return kwh(joules) * self.per_kwh

    def format_cost(self, joules: float) -> str:
        """'$1.23', '€0.05', '1.23 CHF' (code after the amount when there is no symbol)."""
        amount = self.cost(joules)
        text = f"{amount:,.2f}" if amount >= 0.01 or amount == 0 else f"{amount:.4f}"
        symbol = CURRENCY_SYMBOLS.get(self.currency.upper())
        if symbol is not None:
            return f"{symbol}{text}"
        return f"{text} {self.currency}".rstrip()
