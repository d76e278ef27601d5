"""The alert state machine: thresholds, hysteresis, escalation, vanished devices."""

from __future__ import annotations

from dataclasses import replace

from allsmi_py.alerts import AlertEngine, AlertThresholds
from allsmi_py.model import DeviceReading

BASE = DeviceReading(backend="mock", index=0, uuid="GPU-a", name="Test GPU",
                     temperature_c=50.0, power_w=100.0, power_limit_w=400.0)


def _feed(engine: AlertEngine, temps: list[float]) -> list[tuple[str, str]]:
    out = []
    for i, temp in enumerate(temps):
        for event in engine.update([replace(BASE, temperature_c=temp)], now_s=float(i)):
            out.append((event.previous, event.level))
    return out


def test_warn_then_critical_then_clear_with_hysteresis() -> None:
    engine = AlertEngine(AlertThresholds(temp_warn_c=80, temp_crit_c=90, hysteresis_c=2))
    transitions = _feed(engine, [79.9, 80.0, 85, 90, 89, 88.5, 88.0, 79, 78.1, 78.0])
    assert transitions == [("ok", "warn"), ("warn", "critical"), ("critical", "warn"),
                           ("warn", "ok")]
    assert [e.at_s for e in engine.history] == [1.0, 3.0, 6.0, 9.0]


def test_hovering_at_the_threshold_does_not_flap() -> None:
    engine = AlertEngine(AlertThresholds(temp_warn_c=80, hysteresis_c=2))
    assert _feed(engine, [80.5, 79.5, 80.2, 78.6, 80.9]) == [("ok", "warn")]
    assert engine.level("GPU-a") == "warn"


def test_jump_straight_to_critical_and_straight_back() -> None:
    engine = AlertEngine(AlertThresholds(temp_warn_c=80, temp_crit_c=90, hysteresis_c=2))
    assert _feed(engine, [95, 40]) == [("ok", "critical"), ("critical", "ok")]


def test_power_rule_uses_percent_of_limit_and_skips_unknown() -> None:
    engine = AlertEngine(AlertThresholds(power_warn_pct=95))
    hot = replace(BASE, power_w=390.0)  # 97.5 %
    events = engine.update([hot], now_s=1.0)
    assert [(e.rule, e.level) for e in events] == [("power", "warn")]
    assert "power WARN 98% of limit" in events[0].describe()
    assert engine.update([replace(BASE, power_w=None)], now_s=2.0) == []
    assert engine.level("GPU-a") == "warn"
    assert [e.level for e in engine.update([replace(BASE, power_w=300.0)], 3.0)] == ["ok"]


def test_worst_level_over_rules_and_vanished_device_forgotten() -> None:
    engine = AlertEngine(AlertThresholds(temp_warn_c=80, temp_crit_c=90))
    engine.update([replace(BASE, temperature_c=93, power_w=399.0)], now_s=1.0)
    assert engine.level("GPU-a") == "critical"
    assert engine.active() == [("GPU-a", "power", "warn"), ("GPU-a", "temperature", "critical")]
    assert engine.update([], now_s=2.0) == []
    assert engine.level("GPU-a") == "ok" and engine.active() == []


def test_history_is_bounded() -> None:
    engine = AlertEngine(AlertThresholds(temp_warn_c=80, hysteresis_c=2), history_size=3)
    _feed(engine, [85, 70, 85, 70, 85])
    assert len(engine.history) == 3
    assert engine.history[-1].level == "warn" and engine.history[-1].raised


def test_quiet_devices_leave_no_state_and_worst_levels_names_only_alerts() -> None:
    engine = AlertEngine(AlertThresholds(temp_warn_c=80, temp_crit_c=90, power_warn_pct=95))
    quiet = [replace(BASE, uuid=f"GPU-{i}", temperature_c=60.0) for i in range(100)]
    hot = replace(BASE, uuid="GPU-hot", temperature_c=91.0, power_w=390.0)
    assert engine.update(quiet, now_s=1.0) == [] and engine.active() == []
    events = engine.update([*quiet, hot], now_s=2.0)
    assert [(e.uuid, e.rule, e.level) for e in events] == [
        ("GPU-hot", "temperature", "critical"), ("GPU-hot", "power", "warn")]
    assert engine.worst_levels() == {"GPU-hot": "critical"}
    cooler = replace(hot, temperature_c=85.0, power_w=100.0)
    assert [(e.rule, e.level) for e in engine.update([cooler], now_s=3.0)] == [
        ("temperature", "warn"), ("power", "ok")]
    assert engine.worst_levels() == {"GPU-hot": "warn"}
    assert engine.active() == [("GPU-hot", "temperature", "warn")]


def test_a_device_that_returns_after_vanishing_starts_from_ok() -> None:
    engine = AlertEngine(AlertThresholds(temp_warn_c=80, hysteresis_c=2))
    engine.update([replace(BASE, temperature_c=85.0)], now_s=1.0)
    engine.update([], now_s=2.0)
    # At 79 a device still in warn would hold (hysteresis); one that left starts again at ok.
    assert engine.update([replace(BASE, temperature_c=79.0)], now_s=3.0) == []
    assert engine.level("GPU-a") == "ok"


def test_hosts_in_step_with_devices_name_the_node_and_none_keeps_the_local_line() -> None:
    engine = AlertEngine(AlertThresholds(power_warn_pct=95))
    hot = replace(BASE, power_w=390.0)
    other = replace(hot, uuid="GPU-b")
    events = engine.update([hot, other], now_s=1.0, hosts=["gpu-01", "gpu-03"])
    assert [e.host for e in events] == ["gpu-01", "gpu-03"]
    assert events[1].describe().startswith("gpu-03 GPU 0 Test GPU: power WARN 98% of limit")
    cleared = engine.update([replace(other, power_w=100.0)], now_s=2.0, hosts=["gpu-03"])
    assert cleared[0].describe().startswith("gpu-03 GPU 0 Test GPU: power back to normal")
    local = AlertEngine(AlertThresholds(power_warn_pct=95)).update([hot], now_s=1.0)
    assert local[0].host is None
    assert local[0].describe().startswith("GPU 0 Test GPU: power WARN")
