"""The energy meter between a local collector and what shows or serves its snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from allsmi_py.config import Config
from allsmi_py.energy.meter import GAP_INTERVALS, EnergyMeter, MeteredSource
from allsmi_py.energy.price import EnergyPrice
from allsmi_py.energy.store import EnergyStore, default_state_path

if TYPE_CHECKING:
    from allsmi_py.collector import Collector


def energy_price(config: Config) -> EnergyPrice:
    """The price of a kWh the config sets (energy.price_per_kwh, energy.currency)."""
    return EnergyPrice(float(config.value("energy", "price_per_kwh")),
                       str(config.value("energy", "currency")))


def metered(collector: Collector, config: Config) -> MeteredSource:
    """`collector` with energy totals kept in the state file the config names."""
    path_text = str(config.value("energy", "state_file") or "")
    path = Path(path_text).expanduser() if path_text else default_state_path()
    gap_s = max(float(config.value("energy", "max_gap_s")),
                GAP_INTERVALS * collector.interval_s)
    return MeteredSource(collector, EnergyMeter(EnergyStore(path), max_gap_s=gap_s))
