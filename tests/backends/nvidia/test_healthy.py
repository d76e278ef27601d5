"""A healthy 8x H100 box, with values from the real H100 capture."""

from __future__ import annotations

import dataclasses

import pytest

from allsmi_py.model import DeviceReading
from allsmi_py.units import MIB
from backends.nvidia.device import decode_throttle_reasons
from backends.nvidia.identity import READING_FIELDS, Identity
from tests.fakes.fake_pynvml import h100


def test_every_gpu_reports_identity_and_readings(make_backend) -> None:
    backend, _ = make_backend([h100(i) for i in range(8)])
    readings = backend.read()
    assert [r.index for r in readings] == list(range(8))
    assert len({r.uuid for r in readings}) == 8
    first = readings[0]
    assert first.backend == "nvidia" and first.vendor == "NVIDIA" and first.state == "ok"
    assert first.name == "NVIDIA H100 80GB HBM3"
    assert first.problems == ()
    assert first.details["driver_version"] == "590.48.01"
    assert first.details["cuda_version"] == "13.1"
    assert first.details["pci_bus_id"] == "00000000:09:00.0"
    assert first.details["architecture"] == "Hopper"
    assert first.details["compute_capability"] == "9.0"
    assert first.details["vbios_version"] == "96.00.A5.00.01"
    assert first.details["persistence_mode"] == "Enabled"
    assert first.details["compute_mode"] == "Default"


def test_values_and_units_match_nvidia_smi(make_backend) -> None:
    backend, _ = make_backend([h100(0)])
    gpu = backend.read()[0]
    # nvidia-smi -q: Total 81559 MiB, Reserved 479 MiB, Used 19818 MiB (v2 struct).
    assert gpu.memory_total_bytes == 81559 * MIB
    assert gpu.memory_used_bytes == 19818 * MIB
    assert gpu.memory_reserved_bytes == 479 * MIB
    assert (gpu.utilization_pct, gpu.memory_utilization_pct) == (100.0, 11.0)
    assert (gpu.temperature_c, gpu.memory_temperature_c) == (59.0, 55.0)
    # The averaged draw (629.45 W) wins over nvmlDeviceGetPowerUsage (588.39 W here).
    assert gpu.power_w == pytest.approx(629.45)
    assert (gpu.power_limit_w, gpu.power_limit_default_w, gpu.power_limit_max_w) == (
        700.0,
        700.0,
        700.0,
    )
    assert gpu.energy_j == pytest.approx(123_456.789)
    assert (gpu.clock_graphics_mhz, gpu.clock_sm_mhz, gpu.clock_memory_mhz) == (1980, 1980, 2619)
    assert gpu.clock_memory_max_mhz == 2619
    assert gpu.performance_state == 0
    assert (gpu.pcie_gen_current, gpu.pcie_gen_max) == (5, 5)
    assert (gpu.pcie_width_current, gpu.pcie_width_max) == (16, 16)
    assert gpu.pcie_tx_bytes_per_s == 3092 * 1024
    assert gpu.pcie_rx_bytes_per_s == 6346 * 1024
    assert gpu.ecc_enabled is True
    assert gpu.ecc_errors_uncorrected_aggregate == 0
    assert gpu.throttle_reasons == ()
    assert (gpu.temperature_shutdown_c, gpu.temperature_slowdown_c) == (92.0, 87.0)
    assert gpu.temperature_max_operating_c == 85.0
    assert gpu.temperature_acoustic_c is None
    assert gpu.fan_pct is None and gpu.fan_rpm is None  # passively cooled
    assert gpu.numa_node == 0
    assert gpu.mig_mode is False and gpu.mig_instances == ()


def test_processes_carry_memory_and_sm_utilization(make_backend) -> None:
    backend, _ = make_backend([h100(0)])
    procs = backend.read()[0].processes
    assert [p.pid for p in procs] == [11327, 11328, 11345]
    assert [p.gpu_memory_bytes for p in procs] == [2566 * MIB, 1542 * MIB, 15690 * MIB]
    assert all(p.process_type == "compute" for p in procs)
    assert [p.gpu_utilization_pct for p in procs] == [None, None, 99.0]


def test_power_falls_back_to_power_usage_without_the_average_field(make_backend) -> None:
    gpu = h100(0)
    gpu.power_average_mw = None
    backend, _ = make_backend([gpu])
    assert backend.read()[0].power_w == pytest.approx(588.39)


def test_memory_falls_back_to_v1_when_the_v2_call_is_missing(make_backend) -> None:
    gpu = h100(0)
    gpu.memory_reserved = None  # the fake answers FunctionNotFound to the v2 struct
    backend, fake = make_backend([gpu])
    for _ in range(2):
        reading = backend.read()[0]
        assert reading.memory_total_bytes == 81559 * MIB
        assert reading.memory_reserved_bytes is None
        assert reading.problems == ()
    # v2 was tried once, then v1 alone on the second tick.
    assert fake.per_device("gpu0")["nvmlDeviceGetMemoryInfo"] == 3


@pytest.mark.parametrize(
    ("mask", "names"),
    [
        (0, ()),
        (0x1, ("gpu_idle",)),
        (0x4 | 0x40, ("sw_power_cap", "hw_thermal_slowdown")),
        (0x100 | 0x80, ("hw_power_brake_slowdown", "display_clock_setting")),
        (None, None),
    ],
)
def test_throttle_reasons_decode_to_names(mask, names) -> None:
    assert decode_throttle_reasons(mask) == names


def test_active_throttle_reasons_reach_the_reading(make_backend) -> None:
    gpu = h100(0)
    gpu.throttle_mask = 0x4 | 0x20
    backend, _ = make_backend([gpu])
    assert backend.read()[0].throttle_reasons == ("sw_power_cap", "sw_thermal_slowdown")


def test_identity_reading_fields_name_fields_of_both_dataclasses() -> None:
    reading_fields = {f.name for f in dataclasses.fields(DeviceReading)}
    identity_fields = {f.name for f in dataclasses.fields(Identity)}
    assert set(READING_FIELDS) <= reading_fields & identity_fields
    # Everything open() learns that a reading also has, bar the identity itself, is carried.
    assert (reading_fields & identity_fields) - set(READING_FIELDS) == {
        "index", "uuid", "name", "details"}
