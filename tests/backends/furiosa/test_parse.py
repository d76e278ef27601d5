"""furiosa-smi table parsers, on the RNGD tables of FuriosaAI's docs (2025.3.1 and 2026.3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backends.furiosa.parse import (
    TableError,
    merge,
    parse_info,
    parse_ps,
    parse_status,
    parse_topo,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "furiosa"
GIB = 1024**3


def text(kind: str, version: str) -> str:
    return (FIXTURES / f"furiosa-smi_{kind}_table_rngd_docs-v{version}.txt").read_text()


def test_info_2026() -> None:
    devices = parse_info(text("info", "2026.3"))
    assert [d.index for d in devices] == [0, 1, 2, 3]
    assert [d.temperature_c for d in devices] == [40.98, 41.34, 40.43, 46.57]
    assert [d.power_w for d in devices] == [38.40, 37.44, 37.44, 39.36]
    first = devices[0]
    assert first.name == "FuriosaAI RNGD"
    assert first.kind == "npu"
    assert first.uuid == "furiosa-0000:03:00.0"
    assert first.details == {
        "device_name": "npu0",
        "architecture": "rngd",
        "firmware_version": "1.7.0, 4dfed1852e7b",
        "pci_bdf": "0000:03:00.0",
    }
    assert first.clock_graphics_mhz is None


def test_info_2025_has_pert() -> None:
    devices = parse_info(text("info", "2025.3.1"))
    assert [d.temperature_c for d in devices] == [29.81, 32.97, 32.04, 31.48]
    assert [d.power_w for d in devices] == [35.0, 36.0, 36.0, 36.0]
    assert devices[3].details["firmware_version"] == "2025.1.0+696efad"
    assert devices[3].details["pert_version"] == "2025.1.0+1694e18"
    assert devices[3].details["pci_bdf"] == "0000:41:00.0"


def test_info_full_2026() -> None:
    devices = parse_info(text("info_format-full", "2026.3"))
    npu3 = devices[3]
    assert npu3.uuid == "09512C86-0702-4305-824D-44454143444F"
    assert npu3.temperature_c == 46.57
    assert npu3.power_w == 39.36
    assert npu3.clock_graphics_mhz == 2000.0
    assert npu3.details["serial_number"] == "RNGD000145"
    assert npu3.details["governor"] == "Performance"
    assert npu3.details["pci_dev"] == "236:20"
    assert npu3.details["clock_mhz"] == "2000"
    assert devices[0].temperature_c == 40.80


def test_info_full_2025_clock_not_available() -> None:
    devices = parse_info(text("info_format-full", "2025.3.1"))
    npu0 = devices[0]
    assert npu0.uuid == "8EAE95DA-2625-40D0-8838-68EA772193A8"
    assert npu0.temperature_c == 30.0
    assert npu0.clock_graphics_mhz is None
    assert "clock_mhz" not in npu0.details
    assert "governor" not in npu0.details
    assert npu0.details["serial_number"] == "RNGD000002"
    assert npu0.details["pci_dev"] == "510:0"


def test_status_2026_memory_and_idle_cores() -> None:
    status = parse_status(text("status", "2026.3"))
    assert sorted(status) == ["npu0", "npu1", "npu2", "npu3"]
    npu0, npu2 = status["npu0"], status["npu2"]
    assert npu0.liveness == "alive"
    assert npu0.memory_used_bytes == 0
    assert npu0.memory_total_bytes == int(47.5 * GIB)
    assert npu0.core_utilization_pct == {core: 0.0 for core in range(8)}
    assert npu0.utilization_pct == 0.0
    # `Core N: -` means the core is not in use: unknown, not 0.
    assert npu2.core_utilization_pct == {core: None for core in range(8)}
    assert npu2.utilization_pct is None


def test_status_2025_cores_column() -> None:
    status = parse_status(text("status", "2025.3.1"))
    npu3 = status["npu3"]
    assert npu3.liveness == "alive"
    assert npu3.memory_total_bytes is None
    assert npu3.core_states == tuple(f"{core} (available)" for core in range(8))
    assert npu3.utilization_pct == 0.0


@pytest.mark.parametrize("version", ["2025.3.1", "2026.3"])
def test_ps_one_process_on_four_npus(version: str) -> None:
    processes = parse_ps(text("ps", version))
    assert sorted(processes) == ["npu0", "npu1", "npu2", "npu3"]
    [proc] = processes["npu2"]
    assert proc.pid == 3283
    assert proc.name == "furiosa-mlperf"
    assert proc.command == "furiosa-mlperf llama-3.1-offline ./ --devices npu:0,npu:1,npu:2,npu:3"


def test_topo_2026() -> None:
    topo = parse_topo(text("topo", "2026.3"))
    assert topo["npu0"] == ({"npu1": "Bridge", "npu2": "Cpu", "npu3": "Cpu"}, 0)
    assert topo["npu3"] == ({"npu0": "Cpu", "npu1": "Cpu", "npu2": "Bridge"}, 0)


def test_topo_2025() -> None:
    topo = parse_topo(text("topo", "2025.3.1"))
    assert topo["npu0"] == ({"npu1": "Cpu", "npu2": "Cpu", "npu3": "Cpu"}, 0)
    assert topo["npu2"] == ({"npu0": "Cpu", "npu1": "Bridge", "npu3": "Bridge"}, 0)


def test_merge_2026() -> None:
    version = "2026.3"
    devices = merge(
        parse_info(text("info_format-full", version)),
        parse_status(text("status", version)),
        parse_ps(text("ps", version)),
        parse_topo(text("topo", version)),
    )
    npu1, npu2 = devices[1], devices[2]
    assert npu1.uuid == "A2216AE7-8D79-4086-A3B1-200AB4CE230A"
    assert npu1.utilization_pct == 0.0
    assert npu1.memory_total_bytes == int(47.5 * GIB)
    assert npu1.memory_used_bytes == 0
    assert npu1.numa_node == 0
    assert npu1.details["liveness"] == "alive"
    assert [p.pid for p in npu1.processes] == [3283]
    assert npu2.utilization_pct is None


@pytest.mark.parametrize(
    "garbage",
    ["", "furiosa-smi: error: no devices", "+---+\n| a | b |\n+---+\n| 1 |\n+---+"],
)
def test_garbage_raises(garbage: str) -> None:
    with pytest.raises(TableError):
        parse_info(garbage)


def test_ps_without_processes_is_empty() -> None:
    assert parse_ps("No running process\n") == {}
