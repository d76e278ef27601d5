"""The one range check (values.py), the one string cleaner (text.py) and their use in parse.py."""

from __future__ import annotations

import math

import pytest

from allsmi_py.model import CpuReading, DeviceReading, MemoryReading, ProcessReading
from allsmi_py.remote.parse import parse_node_text
from allsmi_py.remote.rules import rules
from allsmi_py.remote.text import MAX_TEXT, clean_text, is_clean
from allsmi_py.remote.values import (
    INT_LIMIT,
    Bound,
    Dropped,
    bound_for,
    bound_of,
    converter,
    label_int,
    shown,
)

INF, NAN = math.inf, math.nan


@pytest.mark.parametrize(("model", "field", "bound"), [
    (DeviceReading, "memory_used_bytes", Bound(int, 0, INT_LIMIT)),
    (DeviceReading, "performance_state", Bound(int, 0, INT_LIMIT)),
    (DeviceReading, "utilization_pct", Bound(float, 0.0, 1000.0)),
    (DeviceReading, "temperature_c", Bound(float, -273.15, 1000.0)),
    (DeviceReading, "power_limit_max_w", Bound(float, 0.0, 1e6)),
    (DeviceReading, "clock_sm_mhz", Bound(float, 0.0, 1e6)),
    (DeviceReading, "pcie_rx_bytes_per_s", Bound(float, 0.0, 2.0**63)),
    (DeviceReading, "energy_j", Bound(float, 0.0, 2.0**63)),
    (ProcessReading, "cpu_pct", Bound(float, 0.0, 6553600.0)),
    (CpuReading, "load_average_1m", Bound(float, -(2.0**63), 2.0**63)),
])
def test_a_fields_bound_follows_its_type_and_unit(model: type, field: str, bound: Bound) -> None:
    assert bound_of(model, field) == bound


def test_non_numbers_have_no_bound_and_bools_take_any_finite_number() -> None:
    assert bound_of(DeviceReading, "name") is None
    assert bound_of(DeviceReading, "throttle_reasons") is None
    to_bool = converter(bound_for("ecc_enabled", bool))
    assert (to_bool(1.0), to_bool(0.0), to_bool(INF), to_bool(NAN)) == (True, False, None, None)


@pytest.mark.parametrize(("field", "kind", "value", "expected"), [
    ("memory_used_bytes", int, 1e300, None),
    ("memory_used_bytes", int, -5.0, None),
    ("memory_used_bytes", int, INF, None),
    ("memory_used_bytes", int, NAN, None),
    ("memory_used_bytes", int, 2.0**63, None),
    ("memory_used_bytes", int, 2.0**62, 2**62),
    ("memory_used_bytes", int, 85899345920.0, 85899345920),
    ("utilization_pct", float, 100.4, 100.4),
    ("utilization_pct", float, 1000.5, None),
    ("utilization_pct", float, -1.0, None),
    ("temperature_c", float, -273.16, None),
    ("temperature_c", float, -40.0, -40.0),
    ("temperature_c", float, -INF, None),
    ("power_w", float, 350.0, 350.0),
    ("power_w", float, NAN, None),
])
def test_converter_keeps_what_the_field_can_mean(field: str, kind: type, value: float,
                                                 expected: object) -> None:
    got = converter(bound_for(field, kind))(value)
    assert got == expected and type(got) is type(expected)


def test_a_scaled_converter_checks_the_value_in_the_fields_unit() -> None:
    milli = converter(bound_for("ane_power_w", float), scale=1000.0)
    assert milli(5000.0) == 5.0 and milli(2e9) is None  # 2 MW after scaling
    as_int = converter(bound_for("memory_used_bytes", int), scale=1 / 1024)
    assert as_int(2.0) == 2048 and as_int(2.0**60) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("0", 0), ("4242", 4242), ("9223372036854775807", 2**63 - 1), ("9223372036854775808", None),
    ("", None), ("-1", None), ("1.5", None), ("²", None), ("٣", None), ("9" * 5000, None),
])
def test_label_int_takes_only_ascii_digits_in_range(text: str, expected: int | None) -> None:
    assert label_int(text) == expected


def test_shown_is_short_for_any_value() -> None:
    assert shown(2**64) == "18446744073709551616"
    assert shown(10**5000) == "about 2**16609"
    assert shown(-(10**30)) == "-about 2**99"
    assert (shown(1e300), shown(INF), shown(True)) == ("1e+300", "inf", "true")


def test_the_note_counts_every_value_and_names_the_first_few_families() -> None:
    dropped = Dropped()
    assert dropped.note() is None
    for name in ("a_bytes", "a_bytes", "b_pct", "c_c", "d_w"):
        dropped.add(name, 1e300)
    note = dropped.note()
    assert note is not None and (note.name, note.state) == ("remote", "error")
    assert note.message == ("5 values out of range dropped "
                            "(a_bytes 1e+300, b_pct 1e+300, c_c 1e+300, ...)")


@pytest.mark.parametrize(("raw", "clean"), [
    ("plain name", "plain name"),
    ("two\nlines", "two lines"),
    ("carriage\rreturn", "carriage return"),
    ("tab\there", "tab here"),
    ("\x1b[2Jcleared", "[2Jcleared"),
    ("\x1b]0;title\x07x", "]0;titlex"),
    ("bell\x07 del\x7f c1\x9b", "bell del c1"),
    ("\u202egnp.exe", "gnp.exe"),
    ("iso\u2066late\u2069", "isolate"),
    ("zero\u200bwidth", "zerowidth"),
    ("nel\x85ls\u2028ps\u2029", "nel ls ps "),
    ("H100 · 80GB é", "H100 · 80GB é"),
])
def test_clean_text_removes_what_a_terminal_would_obey(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean
    assert is_clean(clean) and (is_clean(raw) == (raw == clean))


def test_clean_text_caps_the_length() -> None:
    assert clean_text("x" * 5000) == "x" * MAX_TEXT
    assert clean_text("\n" * 5000) == " " * MAX_TEXT
    assert not is_clean("x" * (MAX_TEXT + 1))


GPU = 'gpu="H100", instance="n1", gpu_uuid="GPU-1", gpu_index="0"'
OTHER = 'gpu="H100", instance="n1", gpu_uuid="GPU-2", gpu_index="1"'


def _text(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def test_out_of_range_samples_cost_only_their_field() -> None:
    snap = parse_node_text(_text(
        f"all_smi_gpu_memory_used_bytes{{{GPU}}} 1e300",
        f"all_smi_gpu_memory_total_bytes{{{GPU}}} -5",
        f"all_smi_gpu_temperature_celsius{{{GPU}}} +Inf",
        f"all_smi_gpu_utilization{{{GPU}}} NaN",
        f"all_smi_gpu_power_consumption_watts{{{GPU}}} 250",
        f"all_smi_gpu_fan_speed_rpm{{{GPU}}} -Inf",
        f"all_smi_gpu_memory_used_bytes{{{OTHER}}} 1024",
        f"all_smi_gpu_utilization{{{OTHER}}} 5000",
        'all_smi_memory_total_bytes{instance="n1", hostname="n1", index="0"} 1.8e19',
        'all_smi_memory_used_bytes{instance="n1", hostname="n1", index="0"} 4096',
    ))
    bad, good = snap.devices
    assert (bad.memory_used_bytes, bad.memory_total_bytes, bad.temperature_c) == (None,) * 3
    assert (bad.utilization_pct, bad.fan_rpm, bad.power_w) == (None, None, 250.0)
    assert (good.memory_used_bytes, good.utilization_pct) == (1024, None)
    assert snap.host is not None
    assert snap.host.memory == MemoryReading(used_bytes=4096)
    (note,) = snap.backends
    assert note.message == ("7 values out of range dropped (all_smi_gpu_memory_used_bytes 1e+300, "
                            "all_smi_gpu_memory_total_bytes -5, "
                            "all_smi_gpu_temperature_celsius inf, ...)")
    assert snap.to_json()  # every number fits JSON's writer now


def test_a_clean_node_has_no_note() -> None:
    snap = parse_node_text(_text(f"all_smi_gpu_utilization{{{GPU}}} 50"))
    assert snap.backends == ()


def test_hostile_labels_never_reach_the_model_as_control_characters() -> None:
    evil = '\\n\r\x1b[2J\u202e\x9b\t'
    snap = parse_node_text(_text(
        f'all_smi_gpu_info{{gpu="Evil{evil}GPU", instance="node{evil}1", gpu_uuid="GPU-{evil}",'
        f' gpu_index="0", type="GPU", vendor="V{evil}", driver_version="1.0{evil}"}} 1',
        f'all_smi_gpu_utilization{{gpu="Evil{evil}GPU", instance="node{evil}1", '
        f'gpu_uuid="GPU-{evil}", gpu_index="0"}} 50',
        f'all_smi_process_memory_used_bytes{{pid="42", name="py{evil}", user="r{evil}", '
        f'device_id="0", gpu_index="0", device_uuid="GPU-{evil}", command="run{evil}.sh"}} 1024',
        f'all_smi_disk_total_bytes{{instance="n1", mount_point="/m{evil}", index="0"}} 10',
        f'all_smi_cpu_info{{cpu_model="Xeon{evil}", instance="n1", hostname="n1", index="0", '
        f'architecture="x86{evil}"}} 1',
        r'all_smi_thermal_pressure_info{gpu="g", instance="n1", gpu_uuid="GPU-2", '
        r'gpu_index="1", level="Fair\r\n"} 1',
    ))
    gpu = snap.devices[0]
    (proc,) = gpu.processes
    assert snap.host is not None
    strings = [snap.hostname, gpu.name, gpu.uuid, gpu.vendor, *gpu.details.values(), proc.name,
               proc.user, proc.command, snap.host.disks[0].mount_point, snap.host.cpu.model,
               snap.host.cpu.architecture, snap.devices[1].thermal_pressure]
    for text in strings:
        assert text is not None and text.isprintable(), repr(text)
    assert gpu.name == "Evil  [2J GPU"  # decoded \n and raw CR/TAB as spaces, ESC/bidi/C1 gone
    assert snap.hostname == "node  [2J 1"
    assert snap.devices[1].thermal_pressure == r"Fair\r "  # \r is no escape: kept as written


@pytest.mark.parametrize(("index", "pid"), [("²", "¹"), ("9" * 30, "9" * 30), ("-1", "-1")])
def test_numbers_in_labels_outside_ascii_digits_or_range_are_not_numbers(index: str,
                                                                          pid: str) -> None:
    snap = parse_node_text(_text(
        f'all_smi_gpu_utilization{{gpu="g", instance="n1", gpu_uuid="G", gpu_index="{index}"}} 5',
        f'all_smi_process_memory_used_bytes{{pid="{pid}", name="p", user="u", device_id="0", '
        f'gpu_index="0", device_uuid="G", command="c"}} 1024'))
    (device,) = snap.devices
    assert device.index == 0 and device.processes == ()  # position instead; no such pid


def test_energy_adds_to_a_named_device_but_names_none() -> None:
    energy = 'all_smi_energy_consumed_joules_total{{host="n1", scope="gpu", gpu_index="0", ' \
             'gpu_uuid="{}"}} {}'
    snap = parse_node_text(_text(f"all_smi_gpu_utilization{{{GPU}}} 5",
                                 energy.format("GPU-1", 1234.5), energy.format("GPU-9", 1.0),
                                 energy.format("GPU-1", -3)))
    (device,) = snap.devices
    assert device.energy_consumed_j == 1234.5
    assert rules()["all_smi_energy_consumed_joules_total"].creates is False
