"""The real nvidia-smi captures, parsed, and the fake pynvml checked against them.

The fake's scenarios (tests/fakes/fake_pynvml.py) stand in for NVML on a machine without a
GPU; these tests hold their static facts (names, VBIOS, memory sizes, power limits, clock
maxima, processes) to what nvidia-smi printed on the real cards. Moving values (power,
temperature) were taken from the `-q` section of the same capture, seconds apart from the
CSV, so they are asserted from the CSV here but not compared with the fake.
"""

from __future__ import annotations

import pynvml
import pytest

from tests.fakes.fake_pynvml import FakeGpu, h100, h100_mig, rtx_4080_super
from tests.fakes.nvidia_capture import capture, compute_apps, query_gpu

MIB = 1024**2


def number(text: str) -> float:
    """'81559 MiB' -> 81559.0, '700.00 W' -> 700.0."""
    return float(text.split()[0])


@pytest.mark.parametrize(("part", "state", "expected"), [
    ("h100-80gb", "load", {"name": "NVIDIA H100 80GB HBM3", "memory.used": "19818 MiB",
                           "utilization.gpu": "100 %", "power.draw.average": "631.95 W",
                           "fan.speed": "[N/A]", "mig.mode.current": "Disabled"}),
    ("h100-80gb", "idle", {"memory.used": "0 MiB", "clocks.current.graphics": "345 MHz",
                           "power.draw.instant": "69.62 W"}),
    ("h100-mig", "load", {"utilization.gpu": "[N/A]", "mig.mode.current": "Enabled",
                          "memory.used": "11125 MiB"}),
    ("4080", "load", {"name": "NVIDIA GeForce RTX 4080 SUPER", "ecc.mode.current": "[N/A]",
                      "fan.speed": "0 %", "utilization.encoder": "72 %", "pstate": "P2"}),
    ("l40s", "load", {"name": "NVIDIA L40S", "memory.total": "46068 MiB",
                      "power.limit": "350.00 W", "utilization.encoder": "60 %"}),
    ("2080", "load", {"name": "NVIDIA GeForce RTX 2080 SUPER", "driver_version": "610.62",
                      "power.draw.average": "[N/A]", "power.draw.instant": "97.99 W",
                      "fan.speed": "38 %", "pci.bus_id": "00000000:0C:00.0"}),
])
def test_query_gpu_values(part: str, state: str, expected: dict[str, str]) -> None:
    (row,) = query_gpu(capture(part), state)
    assert {key: row[key] for key in expected} == expected


def test_windows_wddm_reports_no_per_process_memory() -> None:
    apps = compute_apps(capture("2080"), "load")
    assert len(apps) == 21
    assert {app["used_gpu_memory"] for app in apps} == {"[N/A]"}
    assert apps[0]["process_name"] == "C:\\Windows\\System32\\dwm.exe"


def test_idle_h100_has_no_compute_processes() -> None:
    assert compute_apps(capture("h100-80gb"), "idle") == []


@pytest.mark.parametrize(("part", "gpu"), [
    ("h100-80gb", h100(0)), ("h100-mig", h100_mig()), ("4080", rtx_4080_super()),
])
def test_fake_scenario_matches_its_capture(part: str, gpu: FakeGpu) -> None:
    (row,) = query_gpu(capture(part), "load")
    assert gpu.name == row["name"]
    assert gpu.vbios == row["vbios_version"]
    assert gpu.memory_total == number(row["memory.total"]) * MIB
    assert gpu.memory_reserved == number(row["memory.reserved"]) * MIB
    assert gpu.memory_used == number(row["memory.used"]) * MIB
    assert gpu.power_limit_mw == number(row["power.limit"]) * 1000
    assert gpu.power_default_mw == number(row["power.default_limit"]) * 1000
    assert gpu.power_constraints_mw == (number(row["power.min_limit"]) * 1000,
                                        number(row["power.max_limit"]) * 1000)
    assert gpu.max_clocks[pynvml.NVML_CLOCK_GRAPHICS] == number(row["clocks.max.graphics"])
    assert gpu.max_clocks[pynvml.NVML_CLOCK_MEM] == number(row["clocks.max.memory"])
    assert gpu.clocks[pynvml.NVML_CLOCK_GRAPHICS] == number(row["clocks.current.graphics"])
    assert gpu.compute_capability is not None and gpu.pcie_gen is not None
    assert gpu.pcie_width is not None
    assert ".".join(map(str, gpu.compute_capability)) == row["compute_cap"]
    assert gpu.pstate == int(row["pstate"].lstrip("P"))
    assert gpu.pcie_gen[1] == int(row["pcie.link.gen.max"])
    assert gpu.pcie_width[0] == int(row["pcie.link.width.current"])
    utilization = row["utilization.gpu"]
    if utilization == "[N/A]":
        assert gpu.util is None
    else:
        assert gpu.util is not None and gpu.util[0] == number(utilization)
    # every process the fake lists ran on the real card with that much memory
    real = {int(app["pid"]): number(app["used_gpu_memory"]) * MIB
            for app in compute_apps(capture(part), "load")}
    assert gpu.compute
    for process in gpu.compute:
        assert real[process.pid] == process.used_bytes
