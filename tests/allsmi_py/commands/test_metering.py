"""The energy section of the config reaches the meter and the price the TUI shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from allsmi_py.backend import Backend
from allsmi_py.collector import Collector
from allsmi_py.commands.metering import energy_price, metered
from allsmi_py.config import load_config
from allsmi_py.energy.price import EnergyPrice
from allsmi_py.errors import ConfigError
from allsmi_py.model import DeviceReading


class Steady(Backend):
    name = "steady"

    def read(self) -> list[DeviceReading]:
        return [DeviceReading(backend="steady", index=0, uuid="GPU-1", name="g", power_w=50.0)]


def empty_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text("general:\n  theme: dark\n")
    return path


def test_defaults(tmp_path: Path) -> None:
    config = load_config(empty_config(tmp_path), environ={})
    assert energy_price(config) == EnergyPrice(0.12, "USD")
    assert config.value("energy", "max_gap_s") == 10.0
    assert config.value("energy", "state_file") == ""


def test_file_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("energy:\n  price_per_kwh: 0.31\n  currency: EUR\n")
    config = load_config(path, environ={"ALLSMI_ENERGY_CURRENCY": "CHF"})
    price = energy_price(config)
    assert price == EnergyPrice(0.31, "CHF")
    assert price.format_cost(3.6e6 * 10) == "3.10 CHF"
    assert EnergyPrice(0.31, "EUR").format_cost(3.6e6 * 10) == "€3.10"


@pytest.mark.parametrize("text", ["energy:\n  price_per_kwh: -1\n",
                                  "energy:\n  price_per_kwh: .nan\n",
                                  "energy:\n  max_gap_s: 0\n",
                                  "energy:\n  currency: [1]\n"])
def test_bad_values_are_config_errors(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError):
        load_config(path, environ={})


def test_state_file_and_gap_reach_the_meter(tmp_path: Path) -> None:
    state = tmp_path / "kept" / "energy.json"
    path = tmp_path / "config.yaml"
    path.write_text(f"energy:\n  state_file: {state}\n  max_gap_s: 5\n")
    collector = Collector([Steady()], interval_s=4.0)
    source = metered(collector, load_config(path, environ={}))
    assert source.meter.max_gap_s == 12.0  # never under three collection intervals
    collector.tick()
    source.stop()
    assert json.loads(state.read_text())["totals_j"] == {"GPU-1": 0.0}


def test_default_state_file_is_under_xdg_state_home(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    source = metered(Collector([Steady()], interval_s=1.0), load_config(
        empty_config(tmp_path), environ={}))
    assert source.meter.store is not None
    assert source.meter.store.path == tmp_path / "allsmi" / "energy.json"


@pytest.mark.parametrize("command", ["view", "local"])
def test_the_tui_commands_show_costs_at_the_configured_price(
        command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from allsmi_py.cli import main
    from allsmi_py.tui import energy
    from allsmi_py.tui.app import AllSmiApp
    from allsmi_py.tui.cluster_app import ClusterApp

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    seen: list[EnergyPrice] = []
    monkeypatch.setattr(AllSmiApp, "run", lambda self: seen.append(energy.current_price()))
    monkeypatch.setattr(ClusterApp, "run", lambda self: seen.append(energy.current_price()))
    monkeypatch.setattr(energy, "_price", EnergyPrice())
    path = tmp_path / "config.yaml"
    path.write_text("energy:\n  price_per_kwh: 0.4\n  currency: GBP\n")
    args = ["--hosts", "127.0.0.1:9"] if command == "view" else ["--mock", "h100:1"]
    assert main(["--config", str(path), command, *args]) == 0
    assert seen == [EnergyPrice(0.4, "GBP")]
