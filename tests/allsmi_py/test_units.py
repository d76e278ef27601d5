"""The unit converters backends share: None in, None out; nonsense becomes None."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from allsmi_py.units import (
    GIB,
    KIB,
    MIB,
    TIB,
    hz_to_mhz,
    khz_to_mhz,
    kib_to_bytes,
    ma_to_a,
    mib_to_bytes,
    millidegrees_to_c,
    mj_to_j,
    mv_to_v,
    mw_to_w,
    parse_percent,
    permille_to_pct,
    size_to_bytes,
    uj_to_j,
    uw_to_w,
)

Converter = Callable[[float | None], float | None]
# Every converter of a quantity that cannot be negative.
NON_NEGATIVE: list[Converter] = [mw_to_w, uw_to_w, mj_to_j, uj_to_j, mv_to_v, ma_to_a,
                                 hz_to_mhz, khz_to_mhz, permille_to_pct]


@pytest.mark.parametrize(("convert", "value", "want"), [
    (mw_to_w, 250_400, 250.4),
    (uw_to_w, 41_045_000, 41.045),
    (mj_to_j, 1_500, 1.5),
    (uj_to_j, 2_000_000, 2.0),
    (millidegrees_to_c, 51_000, 51.0),
    (millidegrees_to_c, -5_500, -5.5),
    (mv_to_v, 750, 0.75),
    (ma_to_a, 12_000, 12.0),
    (hz_to_mhz, 1_300_500_000, 1300.5),
    (khz_to_mhz, 3_504_000, 3504.0),
    (permille_to_pct, 995, 99.5),
    (mw_to_w, 0, 0.0),
    (uw_to_w, 0.5, 0.5e-6),
])
def test_converts(convert: Converter, value: float, want: float) -> None:
    assert convert(value) == want


@pytest.mark.parametrize("convert", [*NON_NEGATIVE, millidegrees_to_c])
@pytest.mark.parametrize("value", [None, math.nan, math.inf, -math.inf, True])
def test_unusable_values_are_none(convert: Converter, value: float | None) -> None:
    assert convert(value) is None


@pytest.mark.parametrize("convert", NON_NEGATIVE)
def test_negative_is_none_where_meaningless(convert: Converter) -> None:
    assert convert(-1) is None
    assert convert(-0.001) is None


def test_a_number_too_large_for_a_float_is_none() -> None:
    assert uw_to_w(10**400) is None


def test_same_results_as_the_arithmetic_they_replace() -> None:
    # Backends compared in tests to the figure their old inline code gave; keep it exact.
    assert uw_to_w(41045000) == 41045000 / 1e6
    assert hz_to_mhz(1398000000) == 1398000000 / 1e6
    assert khz_to_mhz(3504000) == 3504000 * 1e3 / 1e6
    assert mw_to_w(12345) == 12345 / 1000.0


@pytest.mark.parametrize(("amount", "unit", "want"), [
    (192, "KiB", 192 * KIB), (16, "MiB", 16 * MIB), (0, "B", 0), (512, "MB", 512 * MIB),
    (0.5, "gib", GIB // 2), (31.75, "GiB", int(31.75 * GIB)), (2, "TB", 2 * TIB),
    (2, " KB ", 2 * KIB), (1.0000001, "B", 1),
])
def test_size_to_bytes(amount: float, unit: str, want: int) -> None:
    assert size_to_bytes(amount, unit) == want


@pytest.mark.parametrize(("amount", "unit"), [
    (None, "MiB"), (12, "parsecs"), (12, ""), (-1, "MiB"), (math.nan, "GiB"),
    (math.inf, "KiB"), (1e308, "TiB"), (True, "B"),
])
def test_size_to_bytes_refuses_nonsense(amount: float | None, unit: str) -> None:
    assert size_to_bytes(amount, unit) is None


def test_kib_and_mib_to_bytes() -> None:
    assert kib_to_bytes(64) == 65536
    assert kib_to_bytes(None) is None
    assert mib_to_bytes(81559) == 81559 * MIB
    assert mib_to_bytes(0.5) == MIB // 2
    assert mib_to_bytes(None) is None
    assert mib_to_bytes(-1) is None
    assert mib_to_bytes(math.nan) is None
    assert size_to_bytes(10**30, "TiB") == 10**30 * TIB  # ints stay exact


@pytest.mark.parametrize(("text", "want"), [
    ("12.5%", 12.5), (" 0.00 % ", 0.0), ("Core 3: 45.25%", 45.25), ("100%", 100.0),
    (".5%", 0.5), ("duty 7% of 9%", 7.0), ("-", None), ("N/A", None), ("", None),
    (None, None), ("12.5", None), ("nan%", None), ("1.2.3%", 2.3),
])
def test_parse_percent(text: str | None, want: float | None) -> None:
    assert parse_percent(text) == want
