"""The metric table against all-smi's own names and labels, and against our model."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from allsmi_py.exporter.schema import BY_NAME, OWN_NAMES, SCHEMA, specs
from allsmi_py.exporter.scopes import SCOPES, cap_label_value, sanitize_label_name
from allsmi_py.exporter.workload_items import PROCESS_WORKLOAD_LABELS

REFERENCE = Path(__file__).resolve().parents[2] / "fixtures" / "allsmi" / "allsmi_metrics.txt"


def _reference() -> dict[str, tuple[tuple[str, ...], frozenset[str]]]:
    """name -> (required labels in order, optional labels) from all-smi's list."""
    families: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {}
    for line in REFERENCE.read_text().splitlines():
        match = re.fullmatch(r"(all_smi_\w+)\{(.*)\}", line.strip())
        assert match, line
        labels = [x for x in match.group(2).split(",") if x and not x.startswith("<")]
        families[match.group(1)] = (tuple(x for x in labels if not x.endswith("?")),
                                    frozenset(x[:-1] for x in labels if x.endswith("?")))
    return families


def test_every_name_is_all_smis() -> None:
    reference = _reference()
    unknown = [s.name for s in SCHEMA if s.name not in reference and s.name not in OWN_NAMES]
    assert unknown == []


def test_our_own_names_cannot_collide_with_all_smis() -> None:
    reference = _reference()
    assert OWN_NAMES
    for name in OWN_NAMES:
        assert name not in reference
        assert not name.startswith("all_smi_"), name  # all-smi's namespace stays all-smi's


def test_labels_are_all_smis_in_order() -> None:
    reference = _reference()
    for spec in SCHEMA:
        if spec.name in OWN_NAMES:
            continue
        required, optional = reference[spec.name]
        if spec.dynamic_labels:  # gpu_info: all-smi's `type`, then our extras and detail keys
            assert spec.labels[: len(required)] == required
            continue
        labels = spec.labels
        if spec.scope == "process":  # all-smi's first and in order, then our workload labels
            assert labels[-len(PROCESS_WORKLOAD_LABELS):] == PROCESS_WORKLOAD_LABELS
            labels = labels[:-len(PROCESS_WORKLOAD_LABELS)]
        assert tuple(x for x in labels if x not in optional) == required, spec.name


def test_workload_labels_are_dcgm_exporters_and_not_all_smis_elsewhere() -> None:
    # dcgm-exporter's pod/namespace/container; container_id as all-smi names it
    assert PROCESS_WORKLOAD_LABELS[:3] == ("pod", "namespace", "container")
    reference = _reference()
    for name, (required, optional) in reference.items():
        if name.startswith("all_smi_process_"):
            assert not set(PROCESS_WORKLOAD_LABELS) & ({*required} | optional), name


def test_required_families_are_present() -> None:
    required = {
        "all_smi_up", "all_smi_build_info", "all_smi_gpu_utilization",
        "all_smi_gpu_memory_used_bytes", "all_smi_gpu_memory_total_bytes",
        "all_smi_gpu_temperature_celsius", "all_smi_gpu_power_consumption_watts",
        "all_smi_gpu_frequency_mhz", "all_smi_gpu_info", "all_smi_gpu_power_limit_current_watts",
        "all_smi_gpu_power_limit_max_watts", "all_smi_gpu_fan_speed_rpm",
        "all_smi_gpu_performance_state", "all_smi_gpu_temperature_threshold_slowdown_celsius",
        "all_smi_gpu_pcie_gen_current", "all_smi_gpu_numa_node_id", "all_smi_cpu_utilization",
        "all_smi_memory_used_bytes", "all_smi_disk_total_bytes",
        "all_smi_process_memory_used_bytes", "all_smi_energy_consumed_joules_total",
        "all_smi_gaudi_power_draw_watts", "all_smi_furiosa_firmware_info",
    }
    assert required <= set(BY_NAME)


def test_names_unique_types_valid_counters_total() -> None:
    assert len(BY_NAME) == len(SCHEMA)
    for spec in SCHEMA:
        assert spec.type in ("gauge", "counter")
        assert spec.name.endswith("_total") == (spec.type == "counter"), spec.name
        assert spec.scope in SCOPES
        assert spec.help and "\n" not in spec.help


def test_fields_name_real_model_attributes() -> None:
    from allsmi_py import model as m
    inner = {"MigItem": m.MigInstanceReading, "ProcessItem": m.ProcessReading,
             "CoreItem": m.CpuReading}
    for spec in SCHEMA:
        if spec.field is None:
            continue
        model = SCOPES[spec.scope].model
        target = inner.get(model.__name__, model)
        assert spec.field in {f.name for f in dataclasses.fields(target)}, spec.name


def test_process_families_only_on_request() -> None:
    assert not any(s.scope == "process" for s in specs(False))
    assert any(s.scope == "process" for s in specs(True))


@pytest.mark.parametrize(("key", "label"), [
    ("Power Cap (Max)", "power_cap__max_"), ("3D Engine", "_3d_engine"),
    ("driver_version", "driver_version"), ("Fan Speed", "fan_speed"), ("Größe", "gr__e"),
])
def test_detail_keys_sanitized_like_all_smi(key: str, label: str) -> None:
    assert sanitize_label_name(key) == label


def test_label_caps_note_what_was_cut() -> None:
    assert cap_label_value("x" * 300, 256) == "x" * 256 + "...(44 bytes truncated)"
    assert cap_label_value("short", 256) == "short"
    assert cap_label_value("é" * 200, 128).startswith("é" * 64 + "...(")
