"""tt-kmd sysfs text -> DeviceReading, without files.

No real dump of tt-kmd's sysfs is public: the texts in fake_sysfs.py are built from tt-kmd's
documentation and driver source (`docs/sysfs-attributes.md`, `telemetry.c`, `wormhole.c`,
`blackhole.c`, `hwmon.c`). The last test derives the texts from the raw firmware words in
Tenstorrent's own tt-smi snapshot, so the two sources are checked against each other.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backends.tenstorrent.parse import parse_snapshot
from backends.tenstorrent.sysfs_parse import (
    CardFiles,
    board_id,
    has_telemetry,
    pcie_generation,
    reading_from_sysfs,
)
from tests.backends.tenstorrent.fake_sysfs import (
    N300_ATTRIBUTES,
    N300_HWMON,
    N300_PCI,
    P150A_ATTRIBUTES,
    P150A_HWMON,
    P150A_PCI,
    kmd_texts_from_blackhole_smbus,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "tenstorrent"
P300C = FIXTURES / "tt-smi_snapshot_blackhole-p300c_compact.json"


def test_blackhole_p150a() -> None:
    card = CardFiles(0, P150A_ATTRIBUTES, P150A_HWMON, P150A_PCI, "0000:03:00.0")
    dev = reading_from_sysfs(card)
    assert (dev.backend, dev.index, dev.kind) == ("tenstorrent", 0, "npu")
    assert dev.vendor == "Tenstorrent"
    assert dev.name == "Tenstorrent Blackhole p150a"
    assert dev.uuid == "tt-4032b15a0c7"
    assert dev.temperature_c == 41.375
    assert dev.temperature_slowdown_c == 90.0
    assert dev.power_w == 40.0
    assert dev.power_limit_w == 300.0
    assert dev.clock_graphics_mhz == 1350.0
    assert dev.fan_rpm == 2100.0
    assert dev.fan_pct is None
    assert (dev.pcie_gen_current, dev.pcie_width_current) == (5, 16)
    # No Tenstorrent source reports these: unknown, never 0.
    assert dev.utilization_pct is None
    assert dev.memory_used_bytes is None and dev.memory_total_bytes is None
    assert dev.problems == ()
    assert dict(dev.details) == {
        "collection_method": "sysfs",
        "board_type": "p150a",
        "architecture": "blackhole",
        "board_id": "4032b15a0c7",
        "pcie_address": "0000:03:00.0",
        "asic_id": "3D2A1C0E5F6B7A89",
        "fw_bundle_version": "18.7.0.0",
        "dm_app_fw_version": "0.23.99.0",
        "asic_temperature": "41.375",
        "aiclk_mhz": "1350",
        "axiclk_mhz": "960",
        "arcclk_mhz": "800",
        "therm_trip_count": "0",
        "heartbeat": "11540",  # 69242 // 6, tt-smi's scale on Blackhole
        "voltage": "0.765",
        "current": "52",
        "power_watts": "40",
        "fan_rpm": "2100",
        "tdp_limit": "300",
        "tdc_limit": "200",
        "thermal_limit": "90",
        "vdd_max_mv": "900",
    }
    assert has_telemetry(dev)


def test_wormhole_n300() -> None:
    card = CardFiles(1, N300_ATTRIBUTES, N300_HWMON, N300_PCI, "0000:04:00.0")
    dev = reading_from_sysfs(card)
    assert dev.index == 1
    assert dev.name == "Tenstorrent Wormhole n300"
    assert dev.uuid == "tt-10001451170b07d"
    assert dev.temperature_c == 45.25
    assert dev.temperature_slowdown_c == 75.0
    assert dev.power_w == 24.0
    assert dev.power_limit_w == 150.0
    assert dev.clock_graphics_mhz == 1000.0
    assert dev.fan_rpm is None  # Wormhole's hwmon has no fan channel
    assert (dev.pcie_gen_current, dev.pcie_width_current) == (4, 16)
    details = dev.details
    assert details["architecture"] == "wormhole"
    assert details["heartbeat"] == "5123"  # raw: Wormhole's scale is not matched to tt-smi
    assert details["voltage"] == "0.8"
    assert details["current"] == "30"
    assert (details["arc_fw_version"], details["eth_fw_version"], details["tt_flash_version"],
            details["dm_bl_fw_version"], details["dm_app_fw_version"]) == (
        "2.32.0.0", "6.14.0", "3.1.0.0", "129.2.0.0", "5.9.0.0")
    assert "asic_id" not in details and "fan_rpm" not in details
    assert "therm_trip_count" not in details


def test_nothing_read_gives_nothing_but_identity() -> None:
    dev = reading_from_sysfs(CardFiles(ordinal=2))
    assert (dev.name, dev.uuid, dev.index) == ("Tenstorrent", "tt-2", 2)
    assert dict(dev.details) == {"collection_method": "sysfs"}
    for value in (dev.temperature_c, dev.power_w, dev.power_limit_w, dev.clock_graphics_mhz,
                  dev.fan_rpm, dev.pcie_gen_current, dev.utilization_pct):
        assert value is None
    assert not has_telemetry(dev)


def test_power_alone_is_telemetry() -> None:
    assert has_telemetry(reading_from_sysfs(CardFiles(0, hwmon={"power1_input": "5000000"})))


def test_unknown_card_type_is_no_board_type_and_pci_id_names_the_chip() -> None:
    """tt-kmd prints `unknown` for a board id its table lacks; no hwmon here either."""
    card = CardFiles(0, {"tt_card_type": "unknown", "tt_serial": "0000000000000000"},
                     pci={"device": "0xb140"}, pci_address="0000:05:00.0")
    dev = reading_from_sysfs(card)
    assert dev.name == "Tenstorrent Blackhole"
    assert "board_type" not in dev.details
    assert dev.details["architecture"] == "blackhole"
    assert "board_id" not in dev.details  # an unprogrammed (zero) board id is no identity
    assert dev.uuid == "tt-0000:05:00.0"


def test_without_serial_the_pci_address_is_the_uuid() -> None:
    dev = reading_from_sysfs(CardFiles(3, {"tt_card_type": "n150"}, pci_address="0000:07:00.0"))
    assert dev.uuid == "tt-0000:07:00.0"
    assert dev.name == "Tenstorrent Wormhole n150"  # no hwmon, no PCI id: from the board name


def test_garbage_texts_are_missing_values() -> None:
    card = CardFiles(0, {"tt_aiclk": "N/A", "tt_serial": "not-hex", "tt_heartbeat": ""},
                     {"temp1_input": "hot", "power1_input": "12x"})
    dev = reading_from_sysfs(card)
    assert dev.clock_graphics_mhz is None and dev.temperature_c is None and dev.power_w is None
    assert dev.uuid == "tt-0"
    assert set(dev.details) == {"collection_method"}


def test_unreadable_files_become_problems() -> None:
    card = CardFiles(0, hwmon={"temp1_input": "50000"},
                     unreadable=("hwmon/power1_input: Device or resource busy",))
    dev = reading_from_sysfs(card)
    assert dev.power_w is None and dev.temperature_c == 50.0
    assert dev.problems == ("hwmon/power1_input: Device or resource busy",)


@pytest.mark.parametrize(("text", "want"), [
    ("32.0 GT/s PCIe", 5), ("16.0 GT/s PCIe", 4), ("8.0 GT/s PCIe", 3), ("2.5 GT/s", 1),
    ("Unknown", None), (None, None)])
def test_pcie_generation(text: str | None, want: int | None) -> None:
    assert pcie_generation(text) == want


@pytest.mark.parametrize(("text", "want"), [
    ("0000046131924062", "46131924062"), ("010001451170B07D", "10001451170b07d"),
    ("", None), (None, None), ("zz", None), ("0000000000000000", None),
    ("FFFFFFFFFFFFFFFF", None)])
def test_board_id(text: str | None, want: str | None) -> None:
    assert board_id(text) == want


def test_same_firmware_words_give_what_tt_smi_gives() -> None:
    """What tt-kmd would print for the p300c snapshot's raw words reads like the snapshot."""
    doc = json.loads(P300C.read_text())
    attributes, hwmon = kmd_texts_from_blackhole_smbus(doc["device_info"][0]["smbus_telem"])
    assert attributes["tt_serial"] == "0000046131924062"
    assert hwmon["temp1_input"] == "34832"
    via_sysfs = reading_from_sysfs(CardFiles(0, attributes, hwmon, {}, "0000:04:00.0"))
    [via_tt_smi] = parse_snapshot(P300C.read_text())
    assert (via_sysfs.uuid, via_sysfs.name) == (via_tt_smi.uuid, via_tt_smi.name)
    assert via_sysfs.temperature_c == pytest.approx(via_tt_smi.temperature_c, abs=0.05)
    for name in ("power_w", "clock_graphics_mhz", "fan_rpm"):
        assert getattr(via_sysfs, name) == getattr(via_tt_smi, name), name
    for key in ("board_type", "architecture", "board_id", "pcie_address", "aiclk_mhz",
                "axiclk_mhz", "arcclk_mhz", "current", "power_watts", "heartbeat", "fan_rpm",
                "vdd_max_mv"):
        assert via_sysfs.details[key] == via_tt_smi.details[key], key
    # tt-smi rounds its formatted voltage; the raw VCORE word is 719 mV either way.
    assert (via_sysfs.details["voltage"], via_tt_smi.details["voltage"]) == ("0.719", "0.72")
