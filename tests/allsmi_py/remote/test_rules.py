"""The parser's label names and rule table come from the exporter's scopes, not from copies."""

from __future__ import annotations

from allsmi_py.exporter.schema import SCHEMA
from allsmi_py.exporter.scopes import SCOPES
from allsmi_py.model import DeviceReading, ProcessReading
from allsmi_py.remote import parse
from allsmi_py.remote.rules import reading_of, rules, scopes_of


def test_every_identity_label_is_one_of_its_scopes_base_labels() -> None:
    for scope in SCOPES.values():
        for label in (scope.key_label, scope.name_label, scope.index_label, scope.owner_label):
            assert not label or label in scope.labels, (scope.name, label)


def test_device_label_names_are_the_device_scopes_identity_labels() -> None:
    assert [s.name for s in scopes_of(DeviceReading)] == ["device", "npu", "mig_device", "energy"]
    assert parse._UUID_LABELS == ("gpu_uuid", "npu_uuid", "uuid")
    assert parse._NAME_LABELS == ("gpu", "npu")
    assert parse._INDEX_LABELS == ("gpu_index", "npu_index", "index")
    assert parse._PROCESS_TEXT == ("name", "user", "command")
    assert parse._device_base_labels() == {
        "gpu", "npu", "instance", "gpu_uuid", "npu_uuid", "uuid", "gpu_index", "npu_index",
        "index", "type", "host", "hostname", "backend", "vendor", "kind"}


def test_each_rule_fills_the_model_its_scope_declares() -> None:
    table = rules()
    assert reading_of(SCOPES["process"]) is ProcessReading
    for spec in SCHEMA:
        rule = table.get(spec.name)
        if rule is None or not spec.field or rule.label:
            continue
        model = reading_of(SCOPES[spec.scope])
        assert spec.field in model.__dataclass_fields__, spec.name
        assert rule.creates == bool(SCOPES[spec.scope].name_label), spec.name
    assert {r.scope for r in table.values()} == {"node", "device", "cpu", "cpu_socket",
                                                 "memory", "disk", "process"}
