"""Every backend's exporter families, from its fixture through its own parser.

Each test builds DeviceReadings the way the vendor's own tests do (real fixtures in
tests/fixtures/<vendor>/; NVIDIA through the fake pynvml H100 scenario, whose values come
from the real H100 capture), renders them with `render_prometheus`, reads the text back
with prometheus-client's parser and checks all-smi's family names, labels and the exact
values of the fixture. Rebellions has no public sample: its input is the documented
layout its parser tests build (`documented_doc`), and says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import DeviceReading, NodeSnapshot
from allsmi_py.remote.parse import parse_node_text
from backends.amd.backend import AmdBackend
from backends.apple.backend import device_from_sample
from backends.apple.parse import parse_plist
from backends.furiosa.parse import merge, parse_info, parse_ps, parse_status, parse_topo
from backends.gaudi.parse import parse_output
from backends.intel.backend import IntelGpuBackend
from backends.jetson.backend import JetsonBackend, device_from_tegrastats
from backends.jetson.parse import parse_tegrastats
from backends.nvidia.backend import NvidiaBackend
from backends.rebellions.parse import parse_rbln
from backends.tenstorrent.parse import parse_snapshot
from backends.tpu.parse import parse_tpu_info
from tests.backends.apple.machines import Clock, m4_max, step_m4_max
from tests.backends.apple.test_native import backend_over
from tests.backends.intel.test_backend import make_xe
from tests.backends.jetson.test_backend import make_dla, make_tree
from tests.backends.rebellions.test_parse import documented_doc
from tests.fakes.fake_pynvml import FakeNvml, h100

FIXTURES = Path(__file__).parents[1] / "fixtures"
HOST = "node-1"
MIB = 1024**2
GIB = 1024**3


class Scrape:
    """One rendered snapshot, parsed by prometheus-client: samples by name."""

    def __init__(self, devices: Iterable[DeviceReading]) -> None:
        self.snapshot = NodeSnapshot(hostname=HOST, taken_at_s=1_800_000_000.0,
                                     devices=tuple(devices))
        self.text = render_prometheus(self.snapshot)
        self.samples: dict[str, list[Sample]] = {}
        for family in text_string_to_metric_families(self.text):
            for sample in family.samples:
                self.samples.setdefault(sample.name, []).append(sample)

    def rows(self, name: str, **labels: str) -> list[Sample]:
        """Samples of family `name` whose labels include `labels`."""
        return [s for s in self.samples.get(name, [])
                if all(s.labels.get(k) == v for k, v in labels.items())]

    def one(self, name: str, **labels: str) -> Sample:
        """The one sample of `name` with `labels`; fails when there are none or several."""
        rows = self.rows(name, **labels)
        assert len(rows) == 1, (name, labels, rows)
        return rows[0]

    def value(self, name: str, **labels: str) -> float:
        """The value of the one sample of `name` with `labels`."""
        return self.one(name, **labels).value


def npu(device: DeviceReading, index: int) -> dict[str, str]:
    """all-smi's NPU base labels for the device at `index` in the snapshot."""
    return {"npu": device.name, "instance": HOST, "npu_uuid": device.uuid,
            "npu_index": str(index)}


def gpu(device: DeviceReading, index: int) -> dict[str, str]:
    """all-smi's GPU base labels for the device at `index` in the snapshot."""
    return {"gpu": device.name, "instance": HOST, "gpu_uuid": device.uuid,
            "gpu_index": str(index)}


def assert_round_trip(scrape: Scrape) -> None:
    """The remote parser reads the same devices and details back from the text."""
    back = parse_node_text(scrape.text)
    assert [d.uuid for d in back.devices] == [d.uuid for d in scrape.snapshot.devices]
    for a, b in zip(scrape.snapshot.devices, back.devices, strict=True):
        assert (b.name, b.kind, b.vendor) == (a.name, a.kind, a.vendor)
        for key, value in a.details.items():
            if key.isidentifier() and key.islower():  # detail keys that are label names as-is
                assert b.details.get(key) == value, key
        for field in ("utilization_pct", "memory_used_bytes", "memory_total_bytes",
                      "temperature_c", "power_w", "clock_graphics_mhz", "power_limit_max_w"):
            assert getattr(b, field) == pytest.approx(getattr(a, field)), field


# -- Tenstorrent: tt-smi snapshot of a Blackhole p300c ----------------------------------------

P300C = FIXTURES / "tenstorrent" / "tt-smi_snapshot_blackhole-p300c_compact.json"


def test_tenstorrent_families() -> None:
    [dev] = parse_snapshot(P300C.read_text())
    scrape = Scrape([dev])
    base = npu(dev, 0)
    assert base["npu"] == "Tenstorrent Blackhole p300c"
    for name, want in (
        ("all_smi_tenstorrent_asic_temperature_celsius", 34.8),
        ("all_smi_tenstorrent_aiclk_mhz", 800.0),
        ("all_smi_tenstorrent_axiclk_mhz", 960.0),
        ("all_smi_tenstorrent_arcclk_mhz", 800.0),
        ("all_smi_tenstorrent_voltage_volts", 0.72),
        ("all_smi_tenstorrent_current_amperes", 23.0),
        ("all_smi_tenstorrent_heartbeat", 11540.0),
        ("all_smi_tenstorrent_ddr_status", float(0x55555555)),
        ("all_smi_tenstorrent_fan_rpm", 1882.0),
    ):
        assert scrape.value(name, **base) == want, name
    # fan_speed " 38" matches neither smbus word (SOURCES.md): present, value not asserted
    assert scrape.rows("all_smi_tenstorrent_fan_speed_percent", **base)
    board = scrape.one("all_smi_tenstorrent_board_info", **base)
    assert (board.labels["board_type"], board.labels["board_id"],
            board.labels["architecture"]) == ("p300c", "46131924062", "blackhole")
    assert board.value == 1
    assert scrape.one("all_smi_tenstorrent_collection_method_info",
                      **base).labels["method"] == "tt-smi"
    assert scrape.one("all_smi_tenstorrent_pcie_address_info",
                      **base).labels["address"] == "0000:04:00.0"
    assert scrape.one("all_smi_tenstorrent_dram_info", **base).labels["speed"] == "16000"
    # The compact snapshot has no `firmwares` or `limits` block: those families stay absent.
    for absent in ("all_smi_tenstorrent_arc_firmware_info", "all_smi_tenstorrent_tdp_limit_watts",
                   "all_smi_npu_firmware_info", "all_smi_tenstorrent_pcie_generation"):
        assert absent not in scrape.samples, absent

    g = gpu(dev, 0)
    assert scrape.value("all_smi_gpu_temperature_celsius", **g) == 34.8
    assert scrape.value("all_smi_gpu_power_consumption_watts", **g) == 16.0
    assert scrape.value("all_smi_gpu_frequency_mhz", **g) == 800.0
    assert scrape.value("all_smi_gpu_power_limit_current_watts", **g) == 550.0
    assert scrape.value("all_smi_gpu_fan_speed_rpm", **g) == 1882.0
    assert scrape.value("all_smi_gpu_temperature_threshold_shutdown_celsius", **g) == 110.0
    info = scrape.one("all_smi_gpu_info", **g).labels
    assert (info["type"], info["board_type"], info["aiclk_mhz"]) == ("NPU", "p300c", "800")
    # No Tenstorrent source reports utilization or memory: absent, never 0.
    for absent in ("all_smi_gpu_utilization", "all_smi_gpu_memory_used_bytes"):
        assert absent not in scrape.samples
    assert_round_trip(scrape)


def test_tenstorrent_firmware_and_limit_families() -> None:
    """Built from the `firmwares` and `limits` blocks of `tt_smi/log.py`, not captured."""
    doc = json.loads(P300C.read_text())
    doc["device_info"][0]["firmwares"] = {
        "fw_bundle_version": "18.7.0", "cm_fw": "0.5.0", "cm_fw_date": "2025-05-14",
        "eth_fw": "1.4.0", "gddr_fw": "2.3.1"}
    doc["device_info"][0]["limits"] = {"tdp_limit": "300", "tdc_limit": "350", "thm_limit": " 90"}
    [dev] = parse_snapshot(json.dumps(doc))
    scrape = Scrape([dev])
    base = npu(dev, 0)
    for name, label, want in (
        ("all_smi_tenstorrent_arc_firmware_info", "version", "0.5.0"),
        ("all_smi_tenstorrent_eth_firmware_info", "version", "1.4.0"),
        ("all_smi_tenstorrent_firmware_date_info", "date", "2025-05-14"),
        ("all_smi_tenstorrent_ddr_firmware_info", "version", "2.3.1"),
        ("all_smi_npu_firmware_info", "firmware", "18.7.0"),
    ):
        assert scrape.one(name, **base).labels[label] == want, name
    assert scrape.value("all_smi_tenstorrent_tdp_limit_watts", **base) == 300.0
    assert scrape.value("all_smi_tenstorrent_tdc_limit_amperes", **base) == 350.0
    assert scrape.value("all_smi_tenstorrent_thermal_limit_celsius", **base) == 90.0


# -- Rebellions: documented rbln-smi layout (no public sample exists) ------------------------


def test_rebellions_families() -> None:
    first, second = parse_rbln(json.dumps(documented_doc()))
    scrape = Scrape([first, second])
    a, b = npu(first, 0), npu(second, 1)
    assert scrape.one("all_smi_rebellions_firmware_info", **a).labels["firmware"] == "1.2.0"
    assert scrape.one("all_smi_npu_firmware_info", **a).labels["firmware"] == "1.2.0"
    assert scrape.one("all_smi_rebellions_pstate_info", **a).labels["pstate"] == "P14"
    assert scrape.one("all_smi_rebellions_pstate_info", **b).labels["pstate"] == "P0"
    status = scrape.one("all_smi_rebellions_status", **a)
    assert (status.labels["status"], status.value) == ("normal", 1)
    device = scrape.one("all_smi_rebellions_device_info", **a).labels
    assert (device["model"], device["sid"], device["location"]) == (
        "RBLN-CA22", "0000000022513338", "5")
    assert scrape.rows("all_smi_rebellions_device_info", **b) == []  # no sid reported
    [kmd] = scrape.rows("all_smi_rebellions_kmd_info")
    assert kmd.labels == {"instance": HOST, "version": "1.2.3"}

    g = gpu(first, 0)
    assert scrape.value("all_smi_gpu_utilization", **g) == 12.5
    assert scrape.value("all_smi_gpu_memory_used_bytes", **g) == 512 * MIB
    assert scrape.value("all_smi_gpu_memory_total_bytes", **g) == 16096 * MIB
    assert scrape.value("all_smi_gpu_temperature_celsius", **g) == 31.0
    assert scrape.value("all_smi_gpu_power_consumption_watts", **g) == 17.5
    assert scrape.value("all_smi_gpu_performance_state", **g) == 14
    assert scrape.value("all_smi_gpu_pcie_width_current", **g) == 16
    assert scrape.value("all_smi_gpu_numa_node_id", **g) == 1
    assert scrape.rows("all_smi_gpu_temperature_celsius", **gpu(second, 1)) == []  # "N/A"
    assert scrape.one("all_smi_gpu_info", **g).labels["kmd_version"] == "1.2.3"
    assert_round_trip(scrape)


# -- Furiosa: furiosa-smi info/status/ps/topo tables of RNGD (2026.3 docs) --------------------


def furiosa_text(kind: str) -> str:
    return (FIXTURES / "furiosa" / f"furiosa-smi_{kind}_table_rngd_docs-v2026.3.txt").read_text()


def test_furiosa_families() -> None:
    devices = merge(parse_info(furiosa_text("info_format-full")),
                    parse_status(furiosa_text("status")), parse_ps(furiosa_text("ps")),
                    parse_topo(furiosa_text("topo")))
    scrape = Scrape(devices)
    n0, n2 = npu(devices[0], 0), npu(devices[2], 2)
    assert n0["npu"] == "FuriosaAI RNGD"
    assert scrape.one("all_smi_furiosa_device_info", **n0).labels["device_name"] == "npu0"
    assert scrape.one("all_smi_furiosa_device_info", **n2).labels["device_name"] == "npu2"
    assert scrape.one("all_smi_furiosa_chip_info", **n0).labels["chip"] == "rngd"
    firmware = "1.7.0, 4dfed1852e7b"
    assert scrape.one("all_smi_furiosa_firmware_info", **n0).labels["version"] == firmware
    assert scrape.one("all_smi_npu_firmware_info", **n0).labels["firmware"] == firmware
    assert scrape.value("all_smi_furiosa_clock_mhz", **n0) == 2000.0
    assert scrape.value("all_smi_furiosa_memory_total_bytes", **n0) == int(47.5 * GIB)
    assert scrape.value("all_smi_furiosa_memory_used_bytes", **n0) == 0
    assert scrape.value("all_smi_furiosa_utilization_percent", **n0) == 0.0
    # npu2's cores all print "-": no utilization, so no sample
    assert scrape.rows("all_smi_furiosa_utilization_percent", **n2) == []
    status = scrape.one("all_smi_furiosa_status", **n0)
    assert (status.labels["status"], status.value) == ("alive", 1)
    assert len(scrape.rows("all_smi_furiosa_status")) == 4
    # furiosa-smi reports no driver version or memory clock
    assert "all_smi_furiosa_driver_info" not in scrape.samples
    assert "all_smi_furiosa_memory_clock_mhz" not in scrape.samples

    g3 = gpu(devices[3], 3)
    assert scrape.value("all_smi_gpu_temperature_celsius", **g3) == 46.57
    assert scrape.value("all_smi_gpu_power_consumption_watts", **g3) == 39.36
    assert scrape.value("all_smi_gpu_frequency_mhz", **g3) == 2000.0
    assert scrape.value("all_smi_gpu_numa_node_id", **gpu(devices[1], 1)) == 0
    info = scrape.one("all_smi_gpu_info", **g3).labels
    assert (info["type"], info["serial_number"], info["governor"]) == (
        "NPU", "RNGD000145", "Performance")
    assert_round_trip(scrape)


# -- Intel Gaudi: hl-smi CSV of two Gaudi 3 HL-325L ------------------------------------------

HL_SMI = FIXTURES / "gaudi" / "hl-smi_query-aip_csv-noheader_gaudi3-hl325l.csv"


def test_gaudi_families() -> None:
    first, second = parse_output(HL_SMI.read_text())
    scrape = Scrape([first, second])
    a, b = npu(first, 0), npu(second, 1)
    assert a["npu"] == "Intel Gaudi 3 HL-325L"
    assert scrape.value("all_smi_gaudi_device_info", **a) == 1
    assert scrape.one("all_smi_gaudi_internal_name_info",
                      **a).labels["internal_name"] == "HL-325L"
    assert scrape.one("all_smi_gaudi_driver_info", **a).labels["version"] == "1.22.1"
    assert scrape.value("all_smi_gaudi_aip_utilization_percent", **a) == 0.0
    assert scrape.value("all_smi_gaudi_memory_used_bytes", **a) == 672 * MIB
    assert scrape.value("all_smi_gaudi_memory_total_bytes", **a) == 131072 * MIB
    assert scrape.value("all_smi_gaudi_memory_utilization_percent", **a) == pytest.approx(
        100 * 672 / 131072)
    assert scrape.value("all_smi_gaudi_power_draw_watts", **a) == 226.0
    assert scrape.value("all_smi_gaudi_power_draw_watts", **b) == 230.0
    assert scrape.value("all_smi_gaudi_power_max_watts", **a) == 850.0
    assert scrape.value("all_smi_gaudi_power_utilization_percent", **b) == pytest.approx(
        100 * 230 / 850)
    assert scrape.value("all_smi_gaudi_temperature_celsius", **b) == 39.0

    g = gpu(first, 0)
    assert scrape.value("all_smi_gpu_power_limit_max_watts", **g) == 850.0
    assert scrape.value("all_smi_gpu_utilization", **g) == 0.0
    info = scrape.one("all_smi_gpu_info", **g).labels
    assert (info["type"], info["driver_version"], info["driver_revision"]) == (
        "NPU", "1.22.1", "97ec1a4")
    assert_round_trip(scrape)


# -- Google TPU: tpu-info tables of four v4 chips --------------------------------------------

TPU_INFO = FIXTURES / "tpu" / "tpu-info_rich-table_tpu-v4-4chips.txt"


def test_tpu_families() -> None:
    chips = parse_tpu_info(TPU_INFO.read_text(), accelerator_type="v4-8")
    scrape = Scrape(chips)
    for index, chip in enumerate(chips):
        base = npu(chip, index)
        assert scrape.one("all_smi_tpu_chip_version_info", **base).labels["version"] == "v4"
        assert scrape.one("all_smi_tpu_accelerator_type_info", **base).labels["type"] == "v4-8"
        assert scrape.value("all_smi_tpu_utilization_percent", **base) == 0.0
        assert scrape.value("all_smi_tpu_memory_used_bytes", **base) == 0
        assert scrape.value("all_smi_tpu_memory_total_bytes", **base) == int(31.75 * GIB)
        assert scrape.value("all_smi_tpu_memory_utilization_percent", **base) == 0.0
        assert scrape.one("all_smi_gpu_info", **gpu(chip, index)).labels["type"] == "TPU"
    assert scrape.one("all_smi_gpu_info", **gpu(chips[2], 2)).labels["device_path"] == \
        "/dev/accel2"
    # tpu-info shows no temperature or power to a TPU VM
    for absent in ("all_smi_gpu_temperature_celsius", "all_smi_tpu_power_max_watts"):
        assert absent not in scrape.samples
    assert_round_trip(scrape)


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
    assert scrape.value("all_smi_gpu_temperature_celsius", **g) == 47.812
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
    energy = scrape.one("all_smi_energy_consumed_joules_total", gpu_uuid=dev.uuid)
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
    assert scrape.value("all_smi_energy_consumed_joules_total", host=HOST, scope="gpu",
                        gpu_uuid=first.uuid) == pytest.approx(123_456.789)
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
