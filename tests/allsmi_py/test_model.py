"""The model's JSON round trip and derived values."""

from __future__ import annotations

import json
import sys

import pytest

from allsmi_py.model import (
    SNAPSHOT_FORMAT,
    BackendStatus,
    CpuReading,
    DeviceReading,
    DiskReading,
    HostReading,
    MemoryReading,
    MigInstanceReading,
    NodeSnapshot,
    ProcessReading,
)
from backends.mock.backend import MockBackend


def _rich_snapshot() -> NodeSnapshot:
    device = DeviceReading(
        backend="nvidia", index=0, uuid="GPU-1", name="NVIDIA H100 80GB HBM3", vendor="NVIDIA",
        utilization_pct=42.5, memory_used_bytes=1 << 34, memory_total_bytes=85520809984,
        temperature_c=55.0, power_w=312.25, power_limit_w=700.0, performance_state=0,
        throttle_reasons=("sw_power_cap", "gpu_idle"), ecc_enabled=True, mig_mode=True,
        mig_instances=(MigInstanceReading(uuid="MIG-1", profile="1g.10gb", gpu_instance_id=7,
                                          compute_instance_id=0, memory_used_bytes=13 << 20,
                                          memory_total_bytes=9984 << 20),),
        details={"driver_version": "590.48.01", "cuda_version": "13.1"},
        processes=(ProcessReading(pid=4242, name="python", user=None, command="python x.py",
                                  gpu_memory_bytes=1 << 30, cpu_pct=99.5),),
        problems=("fan speed: unknown error 999",),
    )
    host = HostReading(
        cpu=CpuReading(model="AMD EPYC", utilization_pct=12.5,
                       per_core_utilization_pct=(10.0, 15.0), core_count=2, thread_count=2),
        memory=MemoryReading(total_bytes=100, used_bytes=40, available_bytes=60),
        disks=(DiskReading(mount_point="/", total_bytes=10, used_bytes=4, available_bytes=6),),
        runtime_environment="Docker",
    )
    return NodeSnapshot(hostname="node-1", taken_at_s=1700000000.5, devices=(device,), host=host,
                        backends=(BackendStatus("nvidia", "ok", read_duration_s=0.01,
                                                device_count=1),
                                  BackendStatus("amd", "unavailable", "no AMD GPU")),
                        version="0.1.0")


def test_round_trip_through_json_keeps_every_field() -> None:
    snapshot = _rich_snapshot()
    text = json.dumps(snapshot.to_dict())
    assert NodeSnapshot.from_dict(json.loads(text)) == snapshot


def test_a_node_without_devices_keeps_the_key_and_older_documents_still_decode() -> None:
    empty = NodeSnapshot(hostname="cpu-only", taken_at_s=1.0,
                         backends=(BackendStatus("nvidia", "unavailable", "no driver"),))
    document = json.loads(empty.to_json())
    assert document["devices"] == []
    assert NodeSnapshot.from_dict(document) == empty
    del document["devices"]  # as written before issue 15
    assert NodeSnapshot.from_dict(document) == empty
    assert NodeSnapshot.from_json(json.dumps(document)) == empty


def test_round_trip_of_mock_devices() -> None:
    devices = tuple(MockBackend(spec="h100:2,m3max,rngd:2", seed=3, start_time_s=1e9).readings())
    snapshot = NodeSnapshot(hostname="h", taken_at_s=1.0, devices=devices)
    assert NodeSnapshot.from_dict(json.loads(json.dumps(snapshot.to_dict()))) == snapshot


def test_not_reported_fields_are_left_out_and_come_back_as_none() -> None:
    bare = NodeSnapshot(hostname="h", taken_at_s=1.0,
                        devices=(DeviceReading(backend="x", index=0, uuid="u", name="n"),))
    plain = bare.to_dict()
    assert "power_w" not in plain["devices"][0]
    assert plain["format"] == SNAPSHOT_FORMAT
    assert NodeSnapshot.from_dict(plain).devices[0].power_w is None


@pytest.mark.parametrize("document", [
    {"schema": 1, "hostname": "x", "gpus": []},  # all-smi's own snapshot JSON
    {"format": "something-else"},
])
def test_foreign_documents_are_rejected(document: dict) -> None:
    with pytest.raises(ValueError, match="not an allsmi-py snapshot"):
        NodeSnapshot.from_dict(document)


@pytest.mark.parametrize("mutate", [
    lambda d: d["devices"][0].__setitem__("utilization_pct", "high"),
    lambda d: d["devices"][0].__setitem__("index", 1.5),
    lambda d: d["devices"][0].pop("uuid"),
    lambda d: d.__setitem__("devices", {"not": "a list"}),
    lambda d: d["devices"][0].__setitem__("ecc_enabled", "yes"),
])
def test_malformed_documents_raise_value_error(mutate) -> None:
    plain = _rich_snapshot().to_dict()
    mutate(plain)
    with pytest.raises(ValueError):
        NodeSnapshot.from_dict(plain)


def test_derived_percentages() -> None:
    d = DeviceReading(backend="x", index=0, uuid="u", name="n", memory_used_bytes=25,
                      memory_total_bytes=100, power_w=350.0, power_limit_w=700.0)
    assert d.memory_used_pct == 25.0
    assert d.power_limit_pct == 50.0
    unknown = DeviceReading(backend="x", index=0, uuid="u", name="n", memory_total_bytes=0)
    assert unknown.memory_used_pct is None and unknown.power_limit_pct is None
    assert MemoryReading(total_bytes=200, available_bytes=50).used_pct == 75.0


def test_json_bytes_round_trip_and_rejections() -> None:
    snapshot = _rich_snapshot()
    body = snapshot.to_json()
    assert isinstance(body, bytes) and b" " not in body[:20]
    assert NodeSnapshot.from_json(body) == snapshot
    for bad in (b"[1, 2]", b"{not json", b"\xff\xfe", b'{"schema": 1}'):
        with pytest.raises(ValueError):
            NodeSnapshot.from_json(bad)


@pytest.mark.parametrize("without_msgspec", [False, True])
def test_typed_json_decoding_agrees_with_the_plain_path(
        without_msgspec: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from allsmi_py import serialize
    if without_msgspec:
        monkeypatch.setitem(sys.modules, "msgspec", None)
    monkeypatch.setattr(serialize, "_TYPED_DECODERS", {})
    spec = "h100:2,m3max,orin,n300:1,atom:1,rngd:1,gaudi3:1,mi300x:1,rtx4090:1"
    devices = tuple(MockBackend(spec=spec, seed=3, start_time_s=1e9).readings())
    snapshot = NodeSnapshot(hostname="h", taken_at_s=1.0, devices=devices,
                            host=_rich_snapshot().host, backends=_rich_snapshot().backends)
    body = snapshot.to_json()
    assert NodeSnapshot.from_json(body) == snapshot
    assert NodeSnapshot.from_dict(json.loads(body)) == snapshot
    pretty = json.dumps(json.loads(body), indent=2, sort_keys=True)  # marker not last
    assert NodeSnapshot.from_json(pretty) == snapshot
    broken = json.loads(body)
    broken["devices"][0]["index"] = True
    with pytest.raises(ValueError):
        NodeSnapshot.from_json(json.dumps(broken))
    broken["devices"][0]["index"] = 0
    broken["devices"][0]["details"] = {"driver_version": 590}
    with pytest.raises(ValueError):
        NodeSnapshot.from_json(json.dumps(broken))
