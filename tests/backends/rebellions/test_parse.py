"""rbln-smi JSON parser.

No real rbln-smi/rbln-stat output is public (see the fixtures' SOURCES.md). Every input
here is BUILT by us from the field list in backends.md section 8 (all-smi's serde structs);
it is not a captured sample, and the values are ours.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from backends.rebellions.parse import RblnJsonError, memory_bytes, number, parse_rbln

MIB = 1024**2


def documented_doc() -> dict[str, Any]:
    """Two devices (SDK 1.x string `npu`, SDK 2.x integer `npu`) and one context."""
    return {
        "KMD_version": "1.2.3",
        "devices": [
            {
                "npu": "0",
                "name": "RBLN-CA22",
                "sid": "0000000022513338",
                "uuid": "4126c167-c7a6-4d0a-80dd-ffbf3641d1b0",
                "device": "rbln0",
                "status": "normal",
                "fw_ver": "1.2.0",
                "pci": {
                    "dev": "250:0",
                    "bus_id": "0000:3d:00.0",
                    "numa_node": "1",
                    "link_speed": "16.0GT/s",
                    "link_width": "x16",
                },
                "temperature": "31C",
                "card_power": "17.5W",
                "pstate": "P14",
                "memory": {"used": "512MiB", "total": "16096MiB"},
                "util": "12.5%",
                "board_info": "0005000c",
                "location": 5,
            },
            {
                "npu": 1,
                "name": "RBLN-CA22",
                "uuid": "a58a772b-1a27-4df3-823d-bd1d26627f74",
                "status": "normal",
                "temperature": "N/A",
                "card_power": "-",
                "pstate": "P0",
                "memory": {"used": "0MB", "total": "16096MB"},
                "util": "0.0%",
            },
        ],
        "contexts": [
            {
                "ctx_id": "7",
                "npu": "0",
                "pid": "4321",
                "cmd": "python3 serve.py",
                "memory": "256MiB",
            }
        ],
    }


def test_documented_layout() -> None:
    first, second = parse_rbln(json.dumps(documented_doc()))
    assert first.index == 0
    assert first.uuid == "4126c167-c7a6-4d0a-80dd-ffbf3641d1b0"
    assert first.name == "RBLN-CA22"
    assert first.kind == "npu"
    assert first.temperature_c == 31.0
    assert first.power_w == 17.5
    assert first.utilization_pct == 12.5
    assert first.memory_used_bytes == 512 * MIB
    assert first.memory_total_bytes == 16096 * MIB
    assert first.performance_state == 14
    assert first.numa_node == 1
    assert first.pcie_width_current == 16
    assert first.details == {
        "firmware_version": "1.2.0",
        "kmd_version": "1.2.3",
        "serial_id": "0000000022513338",
        "status": "normal",
        "pstate": "P14",
        "location": "5",
        "board_info": "0005000c",
        "device_path": "rbln0",
        "pci_bus_id": "0000:3d:00.0",
        "pci_dev": "250:0",
    }
    [proc] = first.processes
    assert (proc.pid, proc.name, proc.gpu_memory_bytes) == (4321, "python3", 256 * MIB)
    assert second.index == 1
    assert second.temperature_c is None
    assert second.power_w is None
    assert second.utilization_pct == 0.0
    assert second.memory_total_bytes == 16096 * MIB
    assert second.performance_state == 0
    assert second.processes == ()


def test_units() -> None:
    assert number("45C") == 45.0
    assert number("41.33°C") == 41.33
    assert number(" 35.00 W") == 35.0
    assert number("N/A") is None
    assert number("fast") is None
    assert memory_bytes("1.5GiB") == int(1.5 * 1024**3)
    assert memory_bytes(16) == 16 * MIB
    assert memory_bytes("12 parsecs") is None


@pytest.mark.parametrize(
    "text", ["", "rbln-smi: command not found", "{", "[]", '{"devices": {}}', '{"devices": [1]}']
)
def test_garbage_raises(text: str) -> None:
    with pytest.raises(RblnJsonError):
        parse_rbln(text)
