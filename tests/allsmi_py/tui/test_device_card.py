"""What a device card's lines say for a GPU and for SoCs (Apple, Jetson)."""

from __future__ import annotations

from dataclasses import replace

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
    assert second.rstrip() == "Temp 39 °C  Pwr 0.3 W  Clk gfx 338 MHz"
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


def test_clocks_are_named_graphics_and_memory_not_current_over_max() -> None:
    # An MI300X's memory clock is below its graphics clock: "2100/1300" read as over the max.
    mi300x = DeviceReading(backend="amd", index=0, uuid="GPU-m", name="AMD Instinct MI300X",
                           kind="gpu", vendor="AMD", power_w=562.0, power_limit_w=750.0,
                           clock_graphics_mhz=2100.0, clock_memory_mhz=1300.0)
    second = lines(mi300x)[1]
    assert "Pwr 562/750 W  Clk gfx 2100 mem 1300 MHz" in second
    assert "2100/1300" not in second
    memory_only = lines(DeviceReading(backend="amd", index=0, uuid="GPU-m", name="MI300X",
                                      clock_memory_mhz=1300.0))[1]
    assert "Clk mem 1300 MHz" in memory_only
    assert "Clk N/A" in lines(DeviceReading(backend="amd", index=0, uuid="GPU-m", name="X"))[1]


def test_driver_gives_way_when_the_labelled_clocks_fill_the_line() -> None:
    h100 = DeviceReading(backend="nvidia", index=0, uuid="GPU-0", name="NVIDIA H100",
                         kind="gpu", vendor="NVIDIA", power_w=619.0, power_limit_w=700.0,
                         temperature_c=62.0, clock_graphics_mhz=1980.0, clock_memory_mhz=2619.0,
                         performance_state=0, details={"driver_version": "590.48.01"})
    for width in (76, 80, 120):
        second = "".join(text for text, _ in card_spans(h100, History(), AlertThresholds(),
                                                        width)[1])
        assert len(second) <= width and "Clk gfx 1980 mem 2619 MHz" in second
        assert ("Drv 590.48.01" in second) == (width >= 80)


def test_a_fanless_card_gives_up_fan_n_a_before_its_p_state_on_a_full_line() -> None:
    h100 = DeviceReading(backend="nvidia", index=0, uuid="GPU-0", name="NVIDIA H100",
                         kind="gpu", vendor="NVIDIA", temperature_c=32.0, power_w=69.0,
                         power_limit_w=700.0, clock_graphics_mhz=345.0, clock_memory_mhz=2619.0,
                         performance_state=8)
    def second(device: DeviceReading, width: int) -> str:
        spans = card_spans(device, History(), AlertThresholds(), width)[1]
        return "".join(text for text, _ in spans)
    narrow = second(h100, 56)  # two cards side by side at 120 columns
    assert narrow.endswith("MHz  P8") and "Fan" not in narrow
    assert "Fan N/A  P8" in second(h100, 100)
    with_fan = second(replace(h100, fan_pct=40.0), 56)
    assert "Fan 40%" in with_fan  # a reading is never dropped for room
    busy = second(replace(h100, temperature_c=55.0, power_w=562.0, clock_graphics_mhz=1980.0,
                          performance_state=0), 55)
    assert busy == "Temp 55 °C  Pwr 562/700 W  gfx 1980 mem 2619 MHz  P0"  # no "Clk" label
