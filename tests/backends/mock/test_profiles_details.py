"""The mock profiles write only the detail keys their real vendor's backend declares."""

from __future__ import annotations

import pytest

from allsmi_py.details.registry import VENDORS
from backends.mock.backend import MockBackend
from backends.mock.profiles import PROFILES


@pytest.mark.parametrize("key", sorted(PROFILES))
def test_profile_details_are_declared_by_its_vendor(key: str) -> None:
    [device] = MockBackend(spec=f"{key}:1", seed=1).read()
    vendors = [v for v in VENDORS if v.matches(device)]
    assert len(vendors) == 1, (key, [v.family for v in vendors])
    undeclared = [k for k in device.details if not vendors[0].declares(k)]
    assert not undeclared, f"{key} writes keys {vendors[0].family} does not declare: {undeclared}"


def test_intel_gpu_and_tpu_profiles_read_as_their_real_backends_do() -> None:
    arc, pvc, tpu = MockBackend(spec="b580:1,max:1,tpu-v5e:1", seed=3).read()
    assert (arc.vendor, arc.kind, arc.details["driver"]) == ("Intel", "gpu", "xe")
    assert (arc.pcie_gen_max, arc.pcie_width_max) == (4, 8)  # B580: PCIe 4.0 x8
    assert arc.fan_rpm is not None and arc.temperature_slowdown_c is None
    assert pvc.memory_total_bytes == 128 * 1024**3 and pvc.ecc_enabled is True
    assert (tpu.vendor, tpu.kind, tpu.name) == ("Google", "npu", "Google TPU v5e")
    assert tpu.details["tensorcore_count"] == "1" and tpu.details["memory_type"] == "HBM2"
    assert tpu.power_w is None and tpu.temperature_c is None and tpu.energy_j is None
    assert tpu.memory_total_bytes == 16 * 1024**3 and tpu.utilization_pct is not None
