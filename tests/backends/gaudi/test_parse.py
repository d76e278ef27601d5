"""hl-smi CSV parser, on the Gaudi 3 HL-325L capture kept in all-smi's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from backends.gaudi.parse import HlSmiLineError, parse_line, parse_output, product_name

FIXTURE = (
    Path(__file__).parents[2]
    / "fixtures"
    / "gaudi"
    / "hl-smi_query-aip_csv-noheader_gaudi3-hl325l.csv"
)
MIB = 1024**2


def test_two_gaudi3_cards() -> None:
    first, second = parse_output(FIXTURE.read_text())
    assert (first.index, second.index) == (0, 1)
    assert first.uuid == "01P4-HL3090A0-18-U4V193-22-07-00"
    assert second.uuid == "01P4-HL3090A0-18-U4V298-03-04-04"
    assert first.name == "Intel Gaudi 3 HL-325L"
    assert first.kind == "npu"
    assert first.memory_total_bytes == 131072 * MIB
    assert first.memory_used_bytes == 672 * MIB
    assert first.power_w == 226.0
    assert second.power_w == 230.0
    assert first.power_limit_max_w == 850.0
    assert first.temperature_c == 36.0
    assert second.temperature_c == 39.0
    assert first.utilization_pct == 0.0
    assert first.details == {
        "internal_name": "HL-325L",
        "driver_version": "1.22.1",
        "driver_revision": "97ec1a4",
    }


def test_not_available_is_none_and_used_falls_back_to_total_minus_free() -> None:
    line = "3, N/A, HL-225, 1.17.0, 98304 MiB, N/A, 98000 MiB, N/A, 600 W, N/A, N/A"
    dev = parse_line(line)
    assert dev.uuid == "gaudi-3"
    assert dev.name == "Intel Gaudi 2 HL-225"
    assert dev.memory_used_bytes == 304 * MIB
    assert dev.power_w is None
    assert dev.temperature_c is None
    assert dev.utilization_pct is None
    assert "driver_revision" not in dev.details


def test_nounits_output_parses_the_same() -> None:
    line = "0, U1, HL-325L, 1.22.1-97ec1a4, 131072, 672, 130400, 226, 850, 36, 0"
    dev = parse_line(line)
    assert dev.memory_used_bytes == 672 * MIB
    assert dev.power_w == 226.0


@pytest.mark.parametrize(
    "line",
    [
        "hl-smi: command not supported",
        "0, U1, HL-325L, 1.22.1, 131072 MiB",
        "x, U1, HL-325L, 1.22.1, 1 MiB, 1 MiB, 1 MiB, 1 W, 1 W, 1 C, 1 %",
        "0, U1, HL-325L, 1.22.1, lots, 1 MiB, 1 MiB, 1 W, 1 W, 1 C, 1 %",
        "0, U1, HL-325L, 1.22.1, 1 TiB, 1 MiB, 1 MiB, 1 W, 1 W, 1 C, 1 %",
    ],
)
def test_garbage_lines_raise(line: str) -> None:
    with pytest.raises(HlSmiLineError):
        parse_line(line)


def test_product_names() -> None:
    assert product_name("HL-205") == "Intel Gaudi HL-205"
    assert product_name("HL-225") == "Intel Gaudi 2 HL-225"
    assert product_name("HL-338") == "Intel Gaudi 3 HL-338"
    assert product_name("Mystery") == "Intel Gaudi Mystery"
