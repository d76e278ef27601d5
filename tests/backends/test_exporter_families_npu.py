"""Exporter families of the NPU backends (Tenstorrent, Rebellions, Furiosa, Gaudi, TPU).

Each test builds DeviceReadings the way the vendor's own tests do (real fixtures in
tests/fixtures/<vendor>/), renders them with `render_prometheus`, reads the text back with
prometheus-client's parser and checks all-smi's family names, labels and the exact values
of the fixture. Rebellions has no public sample: its input is the documented layout its
parser tests build (`documented_doc`), and says so.
"""

from __future__ import annotations

import json

import pytest

from backends.furiosa.parse import merge, parse_info, parse_ps, parse_status, parse_topo
from backends.gaudi.parse import parse_output
from backends.rebellions.parse import parse_rbln
from backends.tenstorrent.parse import parse_snapshot
from backends.tpu.parse import parse_tpu_info
from tests.backends.families import FIXTURES, GIB, HOST, MIB, Scrape, assert_round_trip, gpu, npu
from tests.backends.rebellions.test_parse import documented_doc

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
    assert scrape.value("all_smi_gpu_temperature_celsius", **g) == 35  # 34.8, whole degrees
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
    assert scrape.value("all_smi_gpu_temperature_celsius", **g3) == 47  # 46.57
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
        assert scrape.value("all_smi_tpu_core_count", **base) == 1  # tpu-info's Devices
        assert scrape.value("all_smi_tpu_tensorcore_count", **base) == 2  # v4: two TensorCores
        assert scrape.one("all_smi_tpu_memory_type_info", **base).labels["type"] == "HBM2"
        assert scrape.one("all_smi_gpu_info", **gpu(chip, index)).labels["type"] == "TPU"
    assert scrape.one("all_smi_gpu_info", **gpu(chips[2], 2)).labels["device_path"] == \
        "/dev/accel2"
    # tpu-info shows no temperature or power to a TPU VM
    for absent in ("all_smi_gpu_temperature_celsius", "all_smi_tpu_power_max_watts"):
        assert absent not in scrape.samples
    assert_round_trip(scrape)


