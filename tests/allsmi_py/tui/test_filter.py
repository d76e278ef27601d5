"""The cluster filter: parsing, matching, and errors that say where."""

from __future__ import annotations

import pytest

from allsmi_py.tui.filter import Condition, DeviceFilter, FilterError, parse_filter
from tests.allsmi_py.tui.factories import GIB, device


def test_words_and_conditions_combine_with_spaces() -> None:
    query = parse_filter("H100 util>50 temp >= 80  mem<90 power!=300")
    assert query.words == ("h100",)
    assert query.conditions == (Condition("util", ">", 50.0), Condition("temp", ">=", 80.0),
                                Condition("mem", "<", 90.0), Condition("power", "!=", 300.0))
    assert query.describe() == "h100 util>50 temp>=80 mem<90 power!=300"


def test_empty_query_keeps_everything() -> None:
    assert parse_filter("   ").empty and parse_filter("").matches("any", device())


@pytest.mark.parametrize(("query", "expected"), [
    ("util>50", False), ("util>=50", True), ("util=50", True), ("util==50", True),
    ("util!=50", False), ("util<51", True), ("util<=49.5", False),
    ("temp>59", True), ("power>150", False), ("mem>33", True), ("mem>34", False),
    ("test", True), ("node-7", True), ("node-8", False), ("test node-7 util>=50", True),
    ("TEST util>=50 temp>90", False),
])
def test_matching(query: str, expected: bool) -> None:
    # device(): util 50 %, 8 of 24 GiB (33.3 %), 60 C, 150 W, named "Test GPU 24GB".
    assert parse_filter(query).matches("node-7\n10.0.0.7:9090", device()) is expected


def test_a_device_without_the_value_never_matches_a_condition_on_it() -> None:
    silent = device(utilization_pct=None, memory_used_bytes=None, temperature_c=None,
                    power_w=None)
    for query in ("util<1000", "util>-1", "mem>=0", "temp!=0", "power<1e9"):
        assert not parse_filter(query).matches("n", silent), query


def test_memory_percent_is_used_of_total() -> None:
    full = device(memory_used_bytes=23 * GIB, memory_total_bytes=24 * GIB)
    assert parse_filter("mem>90").matches("n", full)
    assert not parse_filter("mem>90").matches("n", device(memory_total_bytes=None))


def test_aliases() -> None:
    assert parse_filter("utilization>1 temperature>1 memory>1 pwr>1") == DeviceFilter(
        (), (Condition("util", ">", 1), Condition("temp", ">", 1), Condition("mem", ">", 1),
             Condition("power", ">", 1)))


@pytest.mark.parametrize(("query", "words", "column"), [
    ("foo>3", "unknown field 'foo'", 1),
    ("h100 bogus<=2", "unknown field 'bogus'", 6),
    ("util>abc", "needs a number", 6),
    ("util>", "needs a number", 6),
    (">50", "needs a field", 1),
    ("x" * 600, "longer than", 512),
])
def test_errors_say_what_and_where(query: str, words: str, column: int) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(query)
    assert words in str(caught.value)
    assert caught.value.column == column and str(caught.value).endswith(f"at col {column}")


@pytest.mark.parametrize(("query", "expected"), [
    ("util>90 | temp>59", True), ("util>90 | temp>60", False), ("util>90|test", True),
    ("node-8 | node-7 power<200", True), ("node-8 | node-7 power>200", False),
    ("-node-7", False), ("-h100", True), ("test -gpu", False), ("-h100 util=50", True),
    ("-test | util=50", True),
])
def test_alternatives_and_excluded_words(query: str, expected: bool) -> None:
    # device(): util 50 %, 60 C, 150 W, named "Test GPU 24GB", on node-7
    assert parse_filter(query).matches("node-7\n10.0.0.7:9090", device()) is expected


def test_alternatives_describe_and_compare() -> None:
    query = parse_filter("h100 -idle util<5|temp > 85")
    assert query.describe() == "h100 -idle util<5 | temp>85"
    assert query.alternatives == (DeviceFilter((), (Condition("temp", ">", 85.0),)),)
    assert not query.empty


@pytest.mark.parametrize(("query", "column"), [
    ("util>90 |", 9), ("| util>90", 1), ("a || b", 3), ("a | b | foo>1", 9),
])
def test_alternative_errors_point_at_the_right_column(query: str, column: int) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(query)
    assert caught.value.column == column
