"""Temperatures in /metrics are whole degrees, so all-smi's view reads the nearest (issue 19 5d).

all-smi's view stores a temperature sample `as u32` (network/metrics_parser.rs), which cuts
the decimals off: 67.9 would read as 67. `_allsmi_view_reads` does what that cast does.
"""

from __future__ import annotations

import math

import pytest

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import CpuReading, DeviceReading, HostReading, MemoryReading, NodeSnapshot
from allsmi_py.remote.exposition import parse_samples

FAMILIES = {"all_smi_gpu_temperature_celsius": 0,
            "all_smi_gpu_temperature_threshold_slowdown_celsius": 1,
            "all_smi_gpu_temperature_threshold_acoustic_celsius": 2,
            "all_smi_cpu_temperature_celsius": 3}


def _allsmi_view_reads(value: float) -> int:
    return 0 if value < 0 else int(value)  # Rust's saturating `f64 as u32`


def _render(temps: tuple[float, float, float, float]) -> dict[str, float]:
    gpu = DeviceReading(backend="x", index=0, uuid="G", name="N", temperature_c=temps[0],
                        temperature_slowdown_c=temps[1], temperature_acoustic_c=temps[2])
    host = HostReading(cpu=CpuReading(model="EPYC", temperature_c=temps[3]),
                       memory=MemoryReading(), disks=())
    text = render_prometheus(NodeSnapshot("h", 1.0, (gpu,), host=host))
    return {name: value for name, _labels, value in parse_samples(text) if name in FAMILIES}


@pytest.mark.parametrize("temps", [(67.9, 89.5, 77.49, 48.7), (0.4, 90.0, 76.5, 35.02)])
def test_all_smi_view_reads_the_nearest_degree(temps: tuple[float, float, float, float]) -> None:
    written = _render(temps)
    assert set(written) == set(FAMILIES)
    for name, position in FAMILIES.items():
        nearest = math.floor(temps[position] + 0.5)
        assert written[name] == nearest, name
        assert _allsmi_view_reads(written[name]) == nearest, name


def test_the_lines_carry_no_decimals() -> None:
    text = render_prometheus(NodeSnapshot("h", 1.0, (DeviceReading(
        backend="x", index=0, uuid="G", name="N", temperature_c=67.9),)))
    (line,) = [ln for ln in text.splitlines()
               if ln.startswith("all_smi_gpu_temperature_celsius{")]
    assert line.endswith("} 68")


def test_an_impossible_temperature_is_omitted_not_an_error() -> None:
    for value in (float("nan"), float("inf")):
        written = _render((value, value, value, value))
        assert written == {}, value
