"""The committed generated code is what protoc makes of backends/tpu/proto/runtime_metrics.proto,
and it speaks libtpu's wire names: package, service, method and field numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.protoc_check import assert_generated_from

ROOT = Path(__file__).resolve().parents[3]
PROTO_DIR = ROOT / "backends" / "tpu" / "proto"
GENERATED = ROOT / "backends" / "tpu" / "runtime_metrics_pb2.py"


def test_the_committed_code_matches_the_proto(tmp_path: Path) -> None:
    assert_generated_from(PROTO_DIR / "runtime_metrics.proto", GENERATED, tmp_path)


def test_the_wire_names_are_libtpus() -> None:
    pytest.importorskip("google.protobuf")
    from backends.tpu import runtime_metrics_pb2 as pb2

    service = pb2.DESCRIPTOR.services_by_name["RuntimeMetricService"]
    assert service.full_name == "tpu.monitoring.runtime.RuntimeMetricService"
    assert service.methods_by_name["GetRuntimeMetric"].input_type.name == "MetricRequest"
    fields = {f.name: f.number for f in pb2.Metric.DESCRIPTOR.fields}
    assert fields == {"attribute": 1, "gauge": 3, "distribution": 5}
    dist = {f.name: f.number for f in pb2.Distribution.DESCRIPTOR.fields}
    assert dist == {"count": 1, "mean": 2, "min": 3, "max": 4, "bucket_options": 6,
                    "bucket_counts": 7}
    attr = {f.name: f.number for f in pb2.AttrValue.DESCRIPTOR.fields}
    assert attr["int_attr"] == 3 and attr["kvlist_attr"] == 6 and attr["string_attr"] == 1
