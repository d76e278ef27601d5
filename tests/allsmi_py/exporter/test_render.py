"""Our renderer against prometheus-client's generate_latest over the same schema."""

from __future__ import annotations

import dataclasses
import math
import re

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse
from prometheus_client.parser import text_string_to_metric_families

from allsmi_py.exporter.collector import SnapshotCollector
from allsmi_py.exporter.render import format_value, render_prometheus
from allsmi_py.exporter.schema import OWN_NAMES
from allsmi_py.model import DeviceReading, MigInstanceReading, NodeSnapshot, ProcessReading

from .conftest import mock_snapshot

VIEW_LINE = re.compile(r"^all_smi_([^\{]+)\{([^}]+)\} ([\d\.]+)$")
OWN_PREFIXES = tuple(f"{name}{{" for name in OWN_NAMES)


SampleKey = tuple[str, frozenset[tuple[str, str]]]


def _parsed(text: str) -> tuple[dict[str, str], dict[SampleKey, float]]:
    types: dict[str, str] = {}
    samples: dict[SampleKey, float] = {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for s in family.samples:
            key = (s.name, frozenset(s.labels.items()))
            assert key not in samples, f"duplicate series {key}"
            samples[key] = s.value
    return types, samples


def _reference(snapshot: NodeSnapshot | None, include_processes: bool) -> str:
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(lambda: snapshot, include_processes=include_processes))
    return generate_latest(registry).decode()


def test_same_meaning_as_prometheus_client(platform_snapshot: NodeSnapshot) -> None:
    for processes in (False, True):
        ours = _parsed(render_prometheus(platform_snapshot, include_processes=processes))
        theirs = _parsed(_reference(platform_snapshot, processes))
        assert ours[0] == theirs[0]
        assert ours[1].keys() == theirs[1].keys()
        for key, value in theirs[1].items():
            assert ours[1][key] == value, key


def test_every_sample_is_readable_by_all_smi_view(platform_snapshot: NodeSnapshot) -> None:
    text = render_prometheus(platform_snapshot, include_processes=True)
    samples = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(samples) > 20
    for line in samples:
        if line.startswith(OWN_PREFIXES):
            continue  # our own families: all-smi's view skips names it does not know
        assert VIEW_LINE.match(line), line
        value = line.rsplit(" ", 1)[1]
        assert "e" not in value and value != "." and not value.endswith(".0"), line


def test_h100_node_has_eight_series_per_gpu_family(h100_snapshot: NodeSnapshot) -> None:
    _, samples = _parsed(render_prometheus(h100_snapshot))
    util = {dict(k[1])["gpu_index"]: v for k, v in samples.items()
            if k[0] == "all_smi_gpu_utilization"}
    assert sorted(util, key=int) == [str(i) for i in range(8)]
    for i, device in enumerate(h100_snapshot.devices):
        assert util[str(i)] == device.utilization_pct
    info = [dict(k[1]) for k in samples if k[0] == "all_smi_gpu_info"]
    assert {x["driver_version"] for x in info} == {"590.48.01"}
    assert {x["type"] for x in info} == {"GPU"} and {x["instance"] for x in info} == {"node-1"}
    assert "all_smi_process_memory_used_bytes" not in {k[0] for k in samples}


def test_not_ready_gives_up_zero_and_build_info() -> None:
    types, samples = _parsed(render_prometheus(None))
    assert set(types) == {"all_smi_up", "all_smi_build_info"}
    assert [v for k, v in samples.items() if k[0] == "all_smi_up"] == [0.0]
    snapshot = mock_snapshot("h100:1")
    _, samples = _parsed(render_prometheus(snapshot, ready=False))
    assert [v for k, v in samples.items() if k[0] == "all_smi_up"] == [0.0]


def _awkward_snapshot() -> NodeSnapshot:
    base = mock_snapshot("h100:2").devices
    odd = dataclasses.replace(
        base[0], name='GPU "quoted" \\ back}slash\nnewline', utilization_pct=float("nan"),
        power_w=-3.0, temperature_c=None, memory_used_bytes=85_899_345_920,
        clock_graphics_mhz=1e-7, energy_j=1e20, numa_node=-1, fan_rpm=float("inf"),
        details={"Power Cap (Max)": "300 W", "gpu": "collides", "3D Engine": 'a"b'},
        mig_mode=True,
        mig_instances=(MigInstanceReading("MIG-1", "1g.10gb", 1, 0, 100, 1000, 5.5, None),
                       MigInstanceReading("MIG-2", None, None, None, None, 1000)),
        processes=(ProcessReading(5, name="x" * 200, user="u", command="c{}" * 100,
                                  gpu_memory_bytes=10, cpu_pct=1.5, started_at_s=1.0),
                   ProcessReading(5, name="dup"),
                   ProcessReading(6, gpu_memory_bytes=None, started_at_s=None)),
    )
    return NodeSnapshot("host\"1", 1_800_000_000.0, (odd, base[1]), None, version="1")


def test_awkward_values_and_labels() -> None:
    snapshot = _awkward_snapshot()
    text = render_prometheus(snapshot, include_processes=True)
    ours = _parsed(text)
    theirs = _parsed(_reference(snapshot, True))
    assert ours == theirs
    for line in text.splitlines():
        if not line.startswith(("#", *OWN_PREFIXES)):
            assert VIEW_LINE.match(line), line
    _, samples = ours
    by_name: dict[str, list[tuple[dict[str, str], float]]] = {}
    for (name, labels), value in samples.items():
        by_name.setdefault(name, []).append((dict(labels), value))
    # NaN, negative and Inf are left out, not zeroed; device 1 still reports its own
    assert [x[0]["gpu_index"] for x in by_name["all_smi_gpu_utilization"]] == ["1"]
    assert [x[0]["gpu_index"] for x in by_name["all_smi_gpu_power_consumption_watts"]] == ["1"]
    assert "all_smi_gpu_fan_speed_rpm" not in by_name
    assert [x[0]["gpu_index"] for x in by_name["all_smi_gpu_numa_node_id"]] == ["1"]
    assert "all_smi_gpu_memory_used_bytes{" in text and " 85899345920\n" in text
    assert " 0.0000001\n" in text and " 100000000000000000000\n" in text
    info0 = next(lbl for lbl, _ in by_name["all_smi_gpu_info"] if lbl["gpu_index"] == "0")
    assert info0["gpu"] == 'GPU "quoted" \\ back)slashnewline'
    assert info0["power_cap__max_"] == "300 W" and info0["_3d_engine"] == 'a"b'
    procs = [x for x in by_name["all_smi_process_memory_used_bytes"] if x[0]["gpu_index"] == "0"]
    assert len(procs) == 1 and procs[0][0]["name"] == "x" * 128 + "...(72 bytes truncated)"
    ages = [x for x in by_name["all_smi_process_start_time_seconds"] if x[0]["gpu_index"] == "0"]
    assert ages == [(procs[0][0], 1_800_000_000.0 - 1.0)]
    assert procs[0][0]["command"].endswith("...(44 bytes truncated)")
    mig = by_name["all_smi_mig_instance_memory_total_bytes"]
    assert sorted(x[0]["mig_uuid"] for x in mig) == ["MIG-1", "MIG-2"]
    assert by_name["all_smi_gpu_mig_mode"] == [(
        {"gpu_index": "0", "gpu_uuid": snapshot.devices[0].uuid, "gpu": info0["gpu"],
         "instance": 'host"1', "host": 'host"1'}, 1.0)]


def test_openmetrics_parses_with_the_same_samples(platform_snapshot: NodeSnapshot) -> None:
    text = render_prometheus(platform_snapshot, include_processes=True, openmetrics=True)
    assert text.endswith("# EOF\n")
    om = {(s.name, frozenset(s.labels.items())): s.value
          for f in om_parse(text) for s in f.samples}
    _, plain = _parsed(render_prometheus(platform_snapshot, include_processes=True))
    assert om == plain


@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**30, 10**30))
def test_format_value_is_plain_decimal_or_nothing(value: float) -> None:
    text = format_value(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)) or value < 0:
        assert text is None
        return
    assert text is not None
    assert re.fullmatch(r"\d+(\.\d+)?", text), text
    assert float(text) == float(value)
    assert not text.endswith(".0")


def test_format_value_examples() -> None:
    assert format_value(50.0) == "50"
    assert format_value(85899345920.0) == "85899345920"
    assert format_value(0.3720316673003178) == "0.3720316673003178"
    assert format_value(1e-05) == "0.00001"
    assert format_value(True) == "1" and format_value(-0.0) == "0"


def test_devices_that_vanish_disappear() -> None:
    two = mock_snapshot("h100:2")
    one = dataclasses.replace(two, devices=two.devices[:1])
    render_prometheus(two)
    text = render_prometheus(one)
    assert two.devices[1].uuid not in text and two.devices[0].uuid in text


def test_one_help_and_type_per_family(h100_snapshot: NodeSnapshot) -> None:
    text = render_prometheus(h100_snapshot, include_processes=True)
    types = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")]
    assert len(types) == len(set(types))


def test_device_reading_none_fields_are_omitted() -> None:
    bare = DeviceReading(backend="x", index=0, uuid="U", name="N")
    snapshot = NodeSnapshot("h", 1.0, (bare,))
    _, samples = _parsed(render_prometheus(snapshot))
    # what a device and a collection always have: identity, state, the collection's time
    assert {k[0] for k in samples} == {"all_smi_up", "all_smi_build_info", "all_smi_gpu_info",
                                       "allsmi_device_state",
                                       "allsmi_last_collection_timestamp_seconds"}
