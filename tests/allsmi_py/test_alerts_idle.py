"""The idle alert (all-smi's --alert-util-low-mins), its webhook body, and the listeners."""

from __future__ import annotations

from dataclasses import replace

import pytest

from allsmi_py.alerts import MIB, AlertEngine, AlertEvent, AlertThresholds, webhook_body
from allsmi_py.model import DeviceReading

GIB = 1024 * MIB
BUSY = DeviceReading(backend="mock", index=3, uuid="GPU-a", name="Test GPU",
                     temperature_c=50.0, utilization_pct=80.0, memory_used_bytes=40 * GIB,
                     memory_total_bytes=80 * GIB)
IDLE = replace(BUSY, utilization_pct=2.0)
EMPTY = replace(IDLE, memory_used_bytes=200 * MIB)  # idle, and holding no more than a context
TEN_MIN = AlertThresholds(util_low_mins=10)


def _run(engine: AlertEngine, steps: list[tuple[float, DeviceReading]]) -> list[tuple[float, str]]:
    """(minute, new level) of every idle transition, feeding (minute, device) in order."""
    out = []
    for minute, device in steps:
        for event in engine.update([device], now_s=minute * 60):
            assert event.rule == "idle"
            out.append((minute, event.level))
    return out


def test_idle_while_holding_memory_for_n_minutes_warns_then_clears_when_busy() -> None:
    engine = AlertEngine(TEN_MIN)
    steps = [(0, IDLE), (5, IDLE), (9.9, IDLE), (10, IDLE), (15, IDLE), (16, BUSY), (17, BUSY)]
    assert _run(engine, steps) == [(10, "warn"), (16, "ok")]
    assert engine.history[0].value == 2.0 and engine.history[0].threshold == 10


def test_any_busy_reading_restarts_the_clock() -> None:
    engine = AlertEngine(TEN_MIN)
    steps = [(0, IDLE), (8, IDLE), (9, BUSY), (10, IDLE), (19, IDLE), (20, IDLE)]
    assert _run(engine, steps) == [(20, "warn")]


def test_a_device_without_memory_in_use_is_never_idle_and_letting_go_clears() -> None:
    engine = AlertEngine(TEN_MIN)
    assert _run(engine, [(0, EMPTY), (30, EMPTY)]) == []
    assert _run(engine, [(31, IDLE), (41, IDLE), (42, EMPTY)]) == [(41, "warn"), (42, "ok")]


def test_the_threshold_is_at_or_below_util_low_pct() -> None:
    engine = AlertEngine(replace(TEN_MIN, util_low_pct=5.0))
    at = replace(IDLE, utilization_pct=5.0)
    above = replace(IDLE, utilization_pct=5.1)
    assert _run(engine, [(0, at), (10, at)]) == [(10, "warn")]
    assert _run(AlertEngine(TEN_MIN), [(0, above), (10, above)]) == []


def test_zero_minutes_is_off() -> None:
    engine = AlertEngine(AlertThresholds(util_low_mins=0))
    assert _run(engine, [(0, IDLE), (10_000, IDLE)]) == []
    assert not engine._idle_since


def test_unreported_utilization_keeps_the_clock_and_the_level() -> None:
    unknown = replace(IDLE, utilization_pct=None)
    engine = AlertEngine(TEN_MIN)
    assert _run(engine, [(0, IDLE), (5, unknown), (10, IDLE)]) == [(10, "warn")]
    assert _run(engine, [(11, unknown)]) == []
    assert engine.level("GPU-a") == "warn"


def test_a_vanished_device_takes_its_idle_clock_with_it() -> None:
    engine = AlertEngine(TEN_MIN)
    other = replace(IDLE, uuid="GPU-b")
    engine.update([IDLE, other], now_s=0)
    engine.update([other], now_s=60)
    assert set(engine._idle_since) == {"GPU-b"}
    assert _run(engine, [(5, IDLE), (14, IDLE), (15, IDLE)]) == [(15, "warn")]


def test_idle_and_temperature_are_separate_rules_of_one_device() -> None:
    engine = AlertEngine(TEN_MIN)
    hot_idle = replace(IDLE, temperature_c=85.0)
    engine.update([hot_idle], now_s=0)
    engine.update([hot_idle], now_s=600)
    assert engine.active() == [("GPU-a", "idle", "warn"), ("GPU-a", "temperature", "warn")]


def test_listeners_hear_every_transition_and_the_description_names_the_rule() -> None:
    heard: list[AlertEvent] = []
    engine = AlertEngine(TEN_MIN)
    engine.listeners.append(heard.append)
    _run(engine, [(0, IDLE), (10, IDLE), (11, BUSY)])
    assert [e.level for e in heard] == ["warn", "ok"]
    assert heard[0].describe() == ("GPU 3 Test GPU: idle WARN 2% busy for 10 min "
                                   "while holding memory")
    assert heard[1].describe() == "GPU 3 Test GPU: idle no longer (80% busy)"


@pytest.mark.parametrize(("rule", "level", "sent_rule", "sent_level"), [
    ("idle", "warn", "idle_utilization", "warn"),
    ("temperature", "critical", "temperature", "crit"),
])
def test_the_webhook_body_has_all_smi_fields_and_names(
        rule: str, level: str, sent_rule: str, sent_level: str) -> None:
    event = AlertEvent(1_800_000_000.0, "GPU-a", "GPU 3 H100", rule, level, "ok", 91.5, 90.0,
                       None, 3)
    body = webhook_body(event, "node-7")
    assert body["timestamp"] == "2027-01-15T08:00:00+00:00"
    assert (body["host"], body["gpu_index"], body["rule"]) == ("node-7", 3, sent_rule)
    assert (body["from"], body["to"], body["value"], body["threshold"]) == (
        "ok", sent_level, 91.5, 90.0)
    assert body["uuid"] == "GPU-a" and body["message"] == event.describe()
    assert webhook_body(replace(event, host="n1"), "node-7")["host"] == "n1"
