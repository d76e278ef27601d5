"""The committed generated code is what protoc makes of allsmi_py/workloads/pod_resources.proto,
and it speaks the kubelet's wire names: package, service, methods and field numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.protoc_check import assert_generated_from

ROOT = Path(__file__).resolve().parents[3]
PROTO_DIR = ROOT / "allsmi_py" / "workloads"
GENERATED = PROTO_DIR / "pod_resources_pb2.py"


def test_the_committed_code_matches_the_proto(tmp_path: Path) -> None:
    assert_generated_from(PROTO_DIR / "pod_resources.proto", GENERATED, tmp_path)


def _numbers(message: object) -> dict[str, int]:
    return {f.name: f.number for f in message.DESCRIPTOR.fields}  # type: ignore[attr-defined]


def test_the_wire_names_are_the_kubelets() -> None:
    pytest.importorskip("google.protobuf")
    from allsmi_py.workloads import pod_resources
    from allsmi_py.workloads import pod_resources_pb2 as pb2

    service = pb2.DESCRIPTOR.services_by_name["PodResourcesLister"]
    assert service.full_name == "v1.PodResourcesLister"
    paths = {f"/{service.full_name}/{m.name}": (m.input_type.name, m.output_type.name)
             for m in service.methods}
    assert paths[pod_resources.LIST_METHOD] == \
        ("ListPodResourcesRequest", "ListPodResourcesResponse")
    assert paths[pod_resources.ALLOCATABLE_METHOD] == \
        ("AllocatableResourcesRequest", "AllocatableResourcesResponse")
    assert pod_resources.LIST_METHOD == "/v1.PodResourcesLister/List"
    assert _numbers(pb2.ListPodResourcesResponse) == {"pod_resources": 1}
    assert _numbers(pb2.PodResources) == {"name": 1, "namespace": 2, "containers": 3,
                                          "cpu_ids": 4, "memory": 5}
    assert _numbers(pb2.ContainerResources) == {"name": 1, "devices": 2, "cpu_ids": 3,
                                                "memory": 4}
    assert _numbers(pb2.ContainerDevices) == {"resource_name": 1, "device_ids": 2,
                                              "topology": 3}
    assert _numbers(pb2.AllocatableResourcesResponse) == {"devices": 1, "cpu_ids": 2,
                                                          "memory": 3}
    assert _numbers(pb2.NUMANode) == {"ID": 1}


def test_a_dra_field_the_proto_leaves_out_is_skipped() -> None:
    """ContainerResources field 5 (DRA claims) is unknown to us: it parses, and is ignored."""
    pytest.importorskip("google.protobuf")
    from allsmi_py.workloads import pod_resources_pb2 as pb2

    known = pb2.ContainerResources(name="main").SerializeToString()
    claim = b"\x2a\x06\x12\x04gpu0"  # field 5, length 6: a DynamicResource with claim_name
    parsed = pb2.ContainerResources.FromString(known + claim)
    assert parsed.name == "main" and list(parsed.devices) == []
