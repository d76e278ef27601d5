"""tt-smi snapshot parser, on Tenstorrent's own trimmed Blackhole p300c snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backends.tenstorrent.parse import (
    SnapshotError,
    architecture,
    asic_temperature_c,
    parse_snapshot,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "tenstorrent"
P300C = FIXTURES / "tt-smi_snapshot_blackhole-p300c_compact.json"


def test_blackhole_p300c_snapshot() -> None:
    [dev] = parse_snapshot(P300C.read_text())
    assert dev.backend == "tenstorrent"
    assert dev.kind == "npu"
    assert dev.name == "Tenstorrent Blackhole p300c"
    assert dev.uuid == "tt-46131924062"
    assert dev.temperature_c == 34.8
    assert dev.power_w == 16.0
    assert dev.clock_graphics_mhz == 800.0
    assert dev.fan_rpm == 1882.0
    assert dev.temperature_shutdown_c == 110.0
    assert dev.power_limit_w == 550.0
    # No Tenstorrent source reports these: unknown, never 0.
    assert dev.utilization_pct is None
    assert dev.memory_used_bytes is None
    assert dev.memory_total_bytes is None
    assert dev.details["board_type"] == "p300c"
    assert dev.details["architecture"] == "blackhole"
    assert dev.details["pcie_address"] == "0000:04:00.0"
    assert dev.details["aiclk_mhz"] == "800"
    assert dev.details["axiclk_mhz"] == "960"
    assert dev.details["arcclk_mhz"] == "800"
    assert dev.details["voltage"] == "0.72"
    assert dev.details["current"] == "23"
    assert dev.details["power_watts"] == "16"
    assert dev.details["heartbeat"] == "11540"
    assert dev.details["ddr_status"] == "0x55555555"
    assert dev.details["dram_speed"] == "16000"
    assert dev.details["vdd_min_mv"] == "700"
    assert dev.details["vdd_max_mv"] == "900"
    assert dev.details["collection_method"] == "tt-smi"


def test_raw_words_agree_with_formatted_telemetry() -> None:
    """Drop the formatted `telemetry` block: the raw smbus words must give the same values."""
    doc = json.loads(P300C.read_text())
    del doc["device_info"][0]["telemetry"]
    [dev] = parse_snapshot(json.dumps(doc))
    assert dev.temperature_c == pytest.approx(34.83, abs=0.005)
    assert dev.power_w == 16.0
    assert dev.clock_graphics_mhz == 800.0
    assert dev.details["voltage"] == "0.719"
    assert dev.details["current"] == "23"
    assert dev.fan_pct is None


def test_progress_output_before_json_is_skipped() -> None:
    text = "Gathering information \x1b[32m100%\x1b[0m\n" + P300C.read_text()
    assert parse_snapshot(text)[0].temperature_c == 34.8


@pytest.mark.parametrize(
    "text",
    ["", "Error: no Tenstorrent devices found", "{not json", '{"host_info": {}}', "[1, 2]"],
)
def test_garbage_raises(text: str) -> None:
    with pytest.raises(SnapshotError):
        parse_snapshot(text)


def test_wormhole_temperature_is_12_4_fixed_point() -> None:
    # Wormhole packs the temperature in the low 16 bits as 12.4 fixed point (tt-smi backend.py).
    assert asic_temperature_c(0x0004_02A8, "Wormhole") == 42.5
    assert asic_temperature_c(0x002A_8000, "Blackhole") == 42.5


def test_architecture_from_board_type() -> None:
    assert architecture("n300") == "Wormhole"
    assert architecture("p150a") == "Blackhole"
    assert architecture("e150") == "Grayskull"
    assert architecture("unknown") is None
    assert architecture(None) is None


def test_processes_and_firmwares_from_documented_layout() -> None:
    """Built from tt-smi 6.x's documented models (`tt_smi/log.py`), not captured output."""
    doc = json.loads(P300C.read_text())
    doc["device_info"][0]["firmwares"] = {"fw_bundle_version": "18.7.0", "cm_fw": "0.5.0"}
    doc["device_info"][0]["limits"] = {"thm_limit": " 90", "tdp_limit": "300"}
    doc["processes"] = [{"pid": 4242, "user": "ml", "device": 0, "cmdline": "/usr/bin/python t.py"}]
    [dev] = parse_snapshot(json.dumps(doc))
    assert dev.details["fw_bundle_version"] == "18.7.0"
    assert dev.details["arc_fw_version"] == "0.5.0"
    assert dev.details["thermal_limit"] == "90"
    assert dev.details["tdp_limit"] == "300"
    [proc] = dev.processes
    assert (proc.pid, proc.user, proc.name) == (4242, "ml", "python")
    assert proc.command == "/usr/bin/python t.py"
