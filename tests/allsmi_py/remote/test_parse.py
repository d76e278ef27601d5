"""Prometheus text back to a NodeSnapshot, through the exporter's schema."""

from __future__ import annotations

import time

import pytest

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.exporter.schema import SCHEMA
from allsmi_py.model import DeviceReading, NodeSnapshot
from allsmi_py.remote.parse import ParseError, parse_node_text
from allsmi_py.remote.rules import rules
from backends.mock.backend import MockBackend


def _snap(spec: str) -> NodeSnapshot:
    devices = MockBackend(spec=spec, seed=3, node="n1").read()
    return NodeSnapshot(hostname="n1", taken_at_s=time.time(), devices=tuple(devices))


@pytest.mark.parametrize("spec", ["h100:8", "gaudi3:2", "rngd:2", "a100:1,gaudi3:1"])
def test_exported_fields_come_back(spec: str) -> None:
    try:
        snap = _snap(spec)
    except ValueError:
        pytest.skip(f"mock has no profile {spec}")
    back = parse_node_text(render_prometheus(snap, include_processes=True))
    assert back.hostname == "n1"
    assert [d.uuid for d in back.devices] == [d.uuid for d in snap.devices]
    for a, b in zip(snap.devices, back.devices, strict=True):
        assert (b.name, b.kind, b.vendor, b.backend) == (a.name, a.kind, a.vendor, a.backend)
        for field in ("memory_used_bytes", "memory_total_bytes", "performance_state",
                      "power_w", "power_limit_w", "utilization_pct"):
            got, want = getattr(b, field), getattr(a, field)
            assert got == pytest.approx(want), (field, got, want)
        assert b.temperature_c == pytest.approx(a.temperature_c, abs=0.5)  # whole degrees
        assert {p.pid for p in b.processes} == {p.pid for p in a.processes}
        assert _exported_workloads(b) == _exported_workloads(a)


def _exported_workloads(device: DeviceReading) -> dict[int, tuple[str | None, ...] | None]:
    """What /metrics carries of each process's container and pod (labels pod ... container_id)."""
    return {p.pid: None if p.workload is None else (p.workload.pod, p.workload.namespace,
                                                    p.workload.container, p.workload.container_id)
            for p in device.processes}


def test_every_schema_family_with_a_field_has_a_rule() -> None:
    table = rules()
    for spec in SCHEMA:
        if spec.field and not spec.age and spec.scope not in ("mig", "cpu_core"):
            assert spec.name in table, spec.name


def test_all_smi_text_with_unknown_families_crlf_and_no_trailing_newline() -> None:
    text = ("# HELP all_smi_gpu_utilization x\r\n# TYPE all_smi_gpu_utilization gauge\r\n"
            'all_smi_gpu_utilization{gpu="NVIDIA A100", instance="node-1", gpu_uuid="GPU-A",'
            ' gpu_index="0"} 50\r\n'
            'all_smi_gpu_memory_total_bytes{gpu="NVIDIA A100", instance="node-1", '
            'gpu_uuid="GPU-A", gpu_index="0"} 85899345920\r\n'
            'all_smi_gpu_info{gpu="NVIDIA A100", instance="node-1", gpu_uuid="GPU-A", '
            'gpu_index="0", type="GPU", driver_version="550.54", cuda_version="12.4"} 1\r\n'
            'all_smi_gaudi_aip_utilization_percent{npu="HL-325L", instance="node-1", '
            'npu_uuid="N-1", npu_index="1"} 7\r\n'
            'all_smi_brand_new_family{instance="node-1"} 3\r\n'
            'all_smi_memory_total_bytes{instance="node-1", hostname="node-1", index="0"} 1024')
    snap = parse_node_text(text.encode())
    assert snap.hostname == "node-1"
    gpu, npu = snap.devices
    assert (gpu.utilization_pct, gpu.memory_total_bytes) == (50.0, 85899345920)
    assert gpu.details == {"driver_version": "550.54", "cuda_version": "12.4"}
    assert (npu.kind, npu.utilization_pct, npu.name) == ("npu", 7.0, "HL-325L")
    assert snap.host is not None and snap.host.memory.total_bytes == 1024


def test_body_without_any_known_family_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_node_text(b"<html>hello</html>")
    with pytest.raises(ParseError):
        parse_node_text(b"something_else 1\n")
    with pytest.raises(ParseError):
        parse_node_text(b"\xff\xfe")
