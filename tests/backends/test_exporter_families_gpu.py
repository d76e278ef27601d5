"""Exporter families of the GPU and SoC backends (Apple, Jetson, Intel, AMD, NVIDIA).

Each test builds DeviceReadings the way the vendor's own tests do (real fixtures in
tests/fixtures/<vendor>/; NVIDIA through the fake pynvml H100 scenario, whose values come
from the real H100 capture), renders them with `render_prometheus`, reads the text back
with prometheus-client's parser and checks all-smi's family names, labels and the exact
values of the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from allsmi_py.model import DeviceReading
from backends.amd.backend import AmdBackend
from backends.apple.backend import device_from_sample
from backends.apple.parse import parse_plist
from backends.intel.backend import IntelGpuBackend
from backends.jetson.backend import JetsonBackend, device_from_tegrastats
from backends.jetson.parse import parse_tegrastats
from backends.nvidia.backend import NvidiaBackend
from tests.backends.apple.machines import Clock, m4_max, step_m4_max
from tests.backends.apple.test_native import backend_over
from tests.backends.families import FIXTURES, GIB, MIB, Scrape, assert_round_trip, gpu
from tests.backends.intel.test_backend import make_xe
from tests.backends.jetson.test_backend import make_dla, make_tree
from tests.fakes.fake_pynvml import FakeNvml, h100

# -- Apple Silicon: powermetrics plist of an M4 Max (Mac16,5) --------------------------------

PLIST = FIXTURES / "apple" / "powermetrics_plist_macbookpro16-m4max_mac16-5.plist"


def test_apple_families() -> None:
    dev = device_from_sample(parse_plist(PLIST.read_bytes()), "Apple M4 Max", None)
    scrape = Scrape([dev])
    g = gpu(dev, 0)
    assert scrape.value("all_smi_gpu_utilization", **g) == pytest.approx(12.2657)
    assert scrape.value("all_smi_gpu_frequency_mhz", **g) == 338.0
    assert scrape.value("all_smi_gpu_power_consumption_watts", **g) == pytest.approx(0.269614)
    # the ANE was idle in this sample: a real 0, reported as 0
    assert scrape.value("all_smi_ane_power_watts", **g) == 0.0
    assert scrape.value("all_smi_ane_utilization", **g) == 0.0
    assert scrape.value("all_smi_combined_power_watts", **g) == pytest.approx(3.24807)
    pressure = scrape.one("all_smi_thermal_pressure_info", **g)
    assert (pressure.labels["level"], pressure.value) == ("Nominal", 1)
    info = scrape.one("all_smi_gpu_info", **g).labels
    assert (info["type"], info["kind"], info["hw_model"]) == ("GPU", "soc", "Mac16,5")
    assert not any(name.startswith("all_smi_npu_") for name in scrape.samples)
    assert_round_trip(scrape)


def test_apple_native_families() -> None:
    """The no-root path over the fake C boundary (counters derived from the same M4 Max plist;
    SMC temperatures and VM page counts chosen, see tests/backends/apple/machines.py)."""
    fake, clock = m4_max(), Clock()
    backend = backend_over(fake, clock)
    backend.open()
    try:
        step_m4_max(fake, clock)
        (dev,) = backend.read()
    finally:
        backend.close()
    scrape = Scrape([dev])
    g = gpu(dev, 0)
    assert scrape.value("all_smi_gpu_utilization", **g) == pytest.approx(12.2657, abs=1e-4)
    assert scrape.value("all_smi_gpu_frequency_mhz", **g) == 338.0
    assert scrape.value("all_smi_gpu_power_consumption_watts", **g) == pytest.approx(0.269614)
    assert scrape.value("all_smi_combined_power_watts", **g) == pytest.approx(3.24807)
    # what powermetrics does not give: GPU temperature (Tg* keys) and used unified memory
    assert scrape.value("all_smi_gpu_temperature_celsius", **g) == 39.0
    assert scrape.value("all_smi_gpu_memory_used_bytes", **g) == 1_790_000 * 16384
    assert scrape.value("all_smi_gpu_memory_total_bytes", **g) == 48 * GIB
    pressure = scrape.one("all_smi_thermal_pressure_info", **g)
    assert (pressure.labels["level"], pressure.value) == ("Nominal", 1)
    info = scrape.one("all_smi_gpu_info", **g).labels
    assert (info["source"], info["cpu_temperature_c"]) == ("IOReport+SMC", "45.4")
    assert_round_trip(scrape)


# -- NVIDIA Jetson: tegrastats line of an AGX Orin 32GB on L4T r36 ---------------------------

TEGRASTATS = FIXTURES / "jetson" / "tegrastats_jetson-agx-orin-32gb_r36.txt"


def test_jetson_families() -> None:
    sample = parse_tegrastats(TEGRASTATS.read_text().splitlines()[0])
    dev = device_from_tegrastats(sample, "NVIDIA Jetson AGX Orin", "jetson-0")
    scrape = Scrape([dev])
    g = gpu(dev, 0)
    assert scrape.value("all_smi_gpu_utilization", **g) == 0.0
    assert scrape.value("all_smi_gpu_frequency_mhz", **g) == 305.0
    assert scrape.value("all_smi_gpu_temperature_celsius", **g) == 48  # 47.812, whole degrees
    assert scrape.value("all_smi_gpu_memory_used_bytes", **g) == 29114 * MIB
    assert scrape.value("all_smi_gpu_memory_total_bytes", **g) == 30697 * MIB
    # no VDD_IN rail on AGX Orin: the sum of VDD_GPU_SOC, VDD_CPU_CV and VIN_SYS_5V0
    assert scrape.value("all_smi_gpu_power_consumption_watts", **g) == pytest.approx(12.377)
    info = scrape.one("all_smi_gpu_info", **g).labels
    assert (info["engine_nvdla0"], info["engine_nvdla1"]) == ("off", "off")
    # tegrastats gives DLA clocks, not load (that needs root debugfs): no DLA sample
    assert "all_smi_dla_utilization" not in scrape.samples
    assert_round_trip(scrape)


def test_jetson_sysfs_dla_family(tmp_path: Path) -> None:
    """The sysfs path does give a DLA value: the runtime-PM active share of each engine."""
    make_tree(tmp_path)
    dla0 = make_dla(tmp_path, "nvdla0", "15880000", "active", 1000, 3000)
    dla1 = make_dla(tmp_path, "nvdla1", "158c0000", "suspended", 0, 4000)
    with JetsonBackend(root=str(tmp_path)) as backend:
        (dla0 / "runtime_active_time").write_text("1800\n")
        (dla0 / "runtime_suspended_time").write_text("3200\n")
        (dla1 / "runtime_suspended_time").write_text("5000\n")
        (dev,) = backend.read()
    scrape = Scrape([dev])
    g = gpu(dev, 0)
    assert scrape.value("all_smi_dla_utilization", **g) == pytest.approx(40.0)  # (80 + 0) / 2
    assert scrape.value("all_smi_gpu_utilization", **g) == 53.7
    info = scrape.one("all_smi_gpu_info", **g).labels
    assert (info["engine_nvdla0"], info["engine_nvdla1"]) == ("on", "off")
    assert_round_trip(scrape)


# -- Intel GPU (xe): sysfs/hwmon tree and the real xe fdinfo example -------------------------


def test_intel_families(tmp_path: Path) -> None:
    """Intel GPUs have no family of their own in all-smi: the generic GPU families carry them.

    The sysfs tree is built from the kernel ABI (no real dump is public); the fdinfo file is
    the real xe kernel-doc example, its render-engine counter advanced between the reads.
    """
    hwmon = make_xe(tmp_path)
    ticks = iter([100.0, 102.0])
    backend = IntelGpuBackend(root=str(tmp_path), clock=lambda: next(ticks))
    with backend:
        backend.read()
        fdinfo = tmp_path / "proc/4242/fdinfo/5"
        text = fdinfo.read_text().replace("drm-cycles-rcs:\t28257900", "drm-cycles-rcs:\t28757900")
        fdinfo.write_text(text.replace("7655183225", "7657183225"))
        (hwmon / "energy1_input").write_text("3000000\n")
        (dev,) = backend.read()
    scrape = Scrape([dev])
    g = gpu(dev, 0)
    assert g["gpu"] == "Intel GPU [8086:E20B]"
    for name, want in (
        ("all_smi_gpu_utilization", 25.0),
        ("all_smi_gpu_memory_total_bytes", 12 * GIB),
        ("all_smi_gpu_temperature_celsius", 51.0),
        ("all_smi_gpu_power_consumption_watts", 1.0),
        ("all_smi_gpu_frequency_mhz", 2400.0),
        ("all_smi_gpu_clock_graphics_max_mhz", 2850.0),
        ("all_smi_gpu_power_limit_current_watts", 190.0),
    ):
        assert scrape.value(name, **g) == pytest.approx(want), name
    # xe's fdinfo gives per-client memory, not a device total used: no used-memory sample
    assert "all_smi_gpu_memory_used_bytes" not in scrape.samples
    # the device's own counter; all_smi_energy_consumed_joules_total is allsmi's integral
    energy = scrape.one("allsmi_device_energy_joules_total", **g)
    assert energy.value == 3.0
    info = scrape.one("all_smi_gpu_info", **g).labels
    assert (info["type"], info["vendor"]) == ("GPU", "Intel")
    assert not any(name.startswith("all_smi_npu_") for name in scrape.samples)
    assert_round_trip(scrape)


# -- AMD: amdgpu sysfs dump of an RX 580 -----------------------------------------------------


def test_amd_families(tmp_path: Path) -> None:
    card = tmp_path / "sys/class/drm/card0"
    card.mkdir(parents=True)
    (card / "device").symlink_to((FIXTURES / "amd" / "amdgpu_sysfs_rx580").resolve())
    with AmdBackend(root=str(tmp_path), use_amdsmi=False) as backend:
        (dev,) = backend.read()
    scrape = Scrape([dev])
    g = gpu(dev, 0)
    for name, want in (
        ("all_smi_gpu_utilization", 11.0),
        ("all_smi_gpu_memory_used_bytes", 536870912),
        ("all_smi_gpu_memory_total_bytes", 4 * GIB),
        ("all_smi_gpu_temperature_celsius", 44.0),
        ("all_smi_gpu_power_consumption_watts", 41.045),
        ("all_smi_gpu_frequency_mhz", 900.0),
        ("all_smi_gpu_power_limit_current_watts", 155.0),
        ("all_smi_gpu_power_limit_max_watts", 201.0),
        ("all_smi_gpu_clock_graphics_max_mhz", 1366.0),
        ("all_smi_gpu_fan_speed_rpm", 595.0),
        ("all_smi_gpu_pcie_gen_current", 3),
        ("all_smi_gpu_pcie_width_current", 16),
    ):
        assert scrape.value(name, **g) == want, name
    info = scrape.one("all_smi_gpu_info", **g).labels
    assert (info["type"], info["vbios_version"]) == ("GPU", "113-1E3871U-O4C")
    assert not any(name.startswith("all_smi_npu_") for name in scrape.samples)
    assert_round_trip(scrape)


# -- NVIDIA: fake pynvml, H100 scenario (values of the real H100 capture) --------------------


@pytest.fixture
def h100_readings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[DeviceReading]]:
    FakeNvml([h100(0), h100(1)]).install(monkeypatch)
    backend = NvidiaBackend()
    backend.open()
    try:
        yield backend.read()
    finally:
        backend.close()


def test_nvidia_families(h100_readings: list[DeviceReading]) -> None:
    scrape = Scrape(h100_readings)
    first = h100_readings[0]
    g = gpu(first, 0)
    assert g["gpu"] == "NVIDIA H100 80GB HBM3"
    for name, want in (
        ("all_smi_gpu_utilization", 100.0),
        ("all_smi_gpu_memory_used_bytes", 19818 * MIB),
        ("all_smi_gpu_memory_total_bytes", 81559 * MIB),
        ("all_smi_gpu_temperature_celsius", 59.0),
        ("all_smi_gpu_power_consumption_watts", 629.45),
        ("all_smi_gpu_frequency_mhz", 1980.0),
        ("all_smi_gpu_clock_graphics_max_mhz", 1980.0),
        ("all_smi_gpu_clock_memory_max_mhz", 2619.0),
        ("all_smi_gpu_power_limit_current_watts", 700.0),
        ("all_smi_gpu_power_limit_max_watts", 700.0),
        ("all_smi_gpu_performance_state", 0),
        ("all_smi_gpu_pcie_gen_current", 5),
        ("all_smi_gpu_pcie_width_current", 16),
        ("all_smi_gpu_temperature_threshold_slowdown_celsius", 87.0),
        ("all_smi_gpu_temperature_threshold_shutdown_celsius", 92.0),
        ("all_smi_gpu_temperature_threshold_max_operating_celsius", 85.0),
        ("all_smi_gpu_numa_node_id", 0),
    ):
        assert scrape.value(name, **g) == pytest.approx(want), name
    assert scrape.value("allsmi_device_energy_joules_total", **g) == pytest.approx(123_456.789)
    assert scrape.value("all_smi_gpu_mig_mode", gpu_uuid=first.uuid) == 0
    info = scrape.one("all_smi_gpu_info", **g).labels
    assert info["type"] == "GPU"
    assert (info["driver_version"], info["cuda_version"]) == ("590.48.01", "13.1")
    assert (info["architecture"], info["compute_capability"]) == ("Hopper", "9.0")
    assert info["pci_bus_id"] == "00000000:09:00.0"
    # H100 SXM has no fan and no acoustic threshold; no NPU or SoC family applies
    for absent in ("all_smi_gpu_fan_speed_rpm",
                   "all_smi_gpu_temperature_threshold_acoustic_celsius",
                   "all_smi_ane_power_watts", "all_smi_dla_utilization"):
        assert absent not in scrape.samples, absent
    assert not any(name.startswith(("all_smi_npu_", "all_smi_gaudi_", "all_smi_tpu_"))
                   for name in scrape.samples)
    assert len(scrape.rows("all_smi_gpu_utilization")) == 2
    assert_round_trip(scrape)
