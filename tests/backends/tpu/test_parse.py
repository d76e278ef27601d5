"""tpu-info table parser, on the 4 x TPU v4 output in tpu-info's README (2024)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backends.tpu.parse import TpuInfoError, parse_tables, parse_tpu_info

FIXTURE = Path(__file__).parents[2] / "fixtures" / "tpu" / "tpu-info_rich-table_tpu-v4-4chips.txt"
GIB = 1024**3


def test_four_v4_chips() -> None:
    chips = parse_tpu_info(FIXTURE.read_text(), accelerator_type="v4-8")
    assert [c.index for c in chips] == [0, 1, 2, 3]
    assert [c.uuid for c in chips] == ["tpu-accel0", "tpu-accel1", "tpu-accel2", "tpu-accel3"]
    chip = chips[2]
    assert chip.name == "Google TPU v4"
    assert chip.kind == "npu"
    assert chip.utilization_pct == 0.0
    assert chip.memory_used_bytes == 0
    assert chip.memory_total_bytes == int(31.75 * GIB)
    assert chip.temperature_c is None
    assert chip.power_w is None
    assert chip.details == {
        "device_path": "/dev/accel2",
        "devices_per_chip": "1",
        "chip_version": "v4",
        "accelerator_type": "v4-8",
        # from the v4 generation (backends/tpu/chips.py): no tool on the VM says it
        "tensorcore_count": "2",
        "memory_type": "HBM2",
    }
    assert [p.pid for p in chip.processes] == [130007]


@pytest.mark.parametrize(("chip_type", "facts"), [
    ("TPU v5e chip", ("1", "HBM2")), ("TPU v5p chip", ("2", "HBM2e")),
    ("TPU v6e chip", ("1", "HBM2e")), ("TPU v9z chip", None),
])
def test_generation_facts_only_for_known_chips(chip_type: str, facts: tuple[str, str] | None
                                               ) -> None:
    text = FIXTURE.read_text().replace("TPU v4 chip", chip_type.ljust(11))
    details = parse_tpu_info(text)[0].details
    found = (details["tensorcore_count"], details["memory_type"]) if facts else None
    assert found == facts
    assert facts or ("tensorcore_count" not in details and "memory_type" not in details)


def test_tables_found_by_columns() -> None:
    chips_table, util_table = parse_tables(FIXTURE.read_text())
    assert chips_table.title == "TPU Chips"
    assert chips_table.columns == ("Chip", "Type", "Devices", "PID")
    assert util_table.title == "TPU Utilization"
    assert util_table.rows[3] == ("3", "0.00 GiB / 31.75 GiB", "0.00%")


def test_without_libtpu_only_the_chip_table_remains() -> None:
    """Chip table of the fixture alone, as tpu-info prints it when no workload serves metrics."""
    chips_only = FIXTURE.read_text().split("Connected to libtpu")[0]
    chips = parse_tpu_info(chips_only)
    assert len(chips) == 4
    assert chips[0].utilization_pct is None
    assert chips[0].memory_total_bytes is None
    assert "accelerator_type" not in chips[0].details


def test_two_devices_per_chip_are_summed() -> None:
    """Built from the documented layout (v2/v3 expose two devices per chip), not captured output."""
    text = FIXTURE.read_text().replace("TPU v4 chip │ 1 ", "TPU v3 chip │ 2 ", 2)
    first, second = parse_tpu_info(text)[:2]
    assert first.memory_total_bytes == int(2 * 31.75 * GIB)
    assert second.memory_total_bytes == int(2 * 31.75 * GIB)
    assert first.details["chip_version"] == "v3"


@pytest.mark.parametrize("text", ["", "Error: libtpu not found", "┏━━┓\n┃ A ┃\n└──┘"])
def test_garbage_raises(text: str) -> None:
    with pytest.raises(TpuInfoError):
        parse_tpu_info(text)
