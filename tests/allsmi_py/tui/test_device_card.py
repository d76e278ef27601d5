"""What a device card's lines say for a GPU and for SoCs (Apple, Jetson)."""

from __future__ import annotations

from allsmi_py.alerts import AlertThresholds
from allsmi_py.model import DeviceReading
from allsmi_py.tui.history import History
from allsmi_py.tui.style import LEVEL_STYLE
from allsmi_py.tui.widgets.devices import card_spans

WIDTH = 60


def lines(device: DeviceReading) -> list[str]:
    return ["".join(text for text, _ in line)
            for line in card_spans(device, History(), AlertThresholds(), WIDTH)]


def soc(**fields: object) -> DeviceReading:
    return DeviceReading(backend="apple", index=0, uuid="apple-Mac16,5", name="Apple M4 Max",
                         kind="soc", vendor="Apple", temperature_c=39.0, power_w=0.27,
                         clock_graphics_mhz=338.0, **fields)  # type: ignore[arg-type]


def test_gpu_card_keeps_fan_and_pstate_even_when_not_reported() -> None:
    gpu = DeviceReading(backend="nvidia", index=0, uuid="GPU-0", name="NVIDIA H100", kind="gpu",
                        vendor="NVIDIA", performance_state=0)
    second = lines(gpu)[1]
    assert "Fan N/A" in second and "P0" in second


def test_apple_card_shows_thermal_pressure_and_ane_power_instead_of_fan() -> None:
    first, second, third = lines(soc(ane_power_w=1.25, thermal_pressure="Nominal"))
    assert second.rstrip() == "Temp 39 °C  Pwr 0.3 W  Clk 338 MHz"
    assert "Fan" not in second
    assert third.endswith("  Therm Nominal  ANE 1.2 W  0 procs")
    assert len(third) == WIDTH  # the spark line gave up exactly the room the extras need


def test_thermal_pressure_levels_colour_the_value() -> None:
    spans = card_spans(soc(thermal_pressure="Serious"), History(), AlertThresholds(), WIDTH)
    assert ("Serious", LEVEL_STYLE["critical"]) in spans[2]
    spans = card_spans(soc(thermal_pressure="Fair"), History(), AlertThresholds(), WIDTH)
    assert ("Fair", LEVEL_STYLE["warn"]) in spans[2]


def test_jetson_card_shows_dla_utilization() -> None:
    jetson = DeviceReading(backend="jetson", index=0, uuid="jetson-0", name="NVIDIA Jetson",
                           kind="soc", vendor="NVIDIA", dla_utilization_pct=37.5)
    third = lines(jetson)[2]
    assert "DLA 38%" in third
    assert "Therm" not in third and "ANE" not in third
