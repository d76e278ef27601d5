"""A node's JSON /snapshot: out-of-range numbers and unsafe strings in, a safe snapshot out."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

import pytest

from allsmi_py.model import CpuReading, HostReading, NodeSnapshot, ProcessReading
from allsmi_py.remote.checked import checked_snapshot
from allsmi_py.remote.nodes import BadSnapshot, NotOurs, snapshot_from_json
from allsmi_py.remote.parse import ParseError
from backends.mock.backend import MockBackend

_FIRST, _SECOND = MockBackend(spec="h100:2", seed=3).read()
_PROC = ProcessReading(pid=42, name="python", user="root", command="python train.py",
                       gpu_memory_bytes=1 << 30)
SNAP = NodeSnapshot(hostname="n1", taken_at_s=1_700_000_000.0,
                    devices=(dataclasses.replace(_FIRST, processes=(_PROC,)), _SECOND),
                    host=HostReading(cpu=CpuReading(per_core_utilization_pct=(1.0, 2.0))))
EVIL = "\n\r\x1b[2J\u202e\x9b\t"


def _doc() -> dict[str, Any]:
    return json.loads(SNAP.to_json())  # type: ignore[no-any-return]


def _body(doc: dict[str, Any], **raw: str) -> bytes:
    """`doc` as JSON, with each placeholder "@name@" replaced by raw JSON text."""
    text = json.dumps(doc)
    for name, value in raw.items():
        text = text.replace(f'"@{name}@"', value)
    return text.encode()


def test_an_honest_snapshot_comes_back_equal_and_without_a_note() -> None:
    assert snapshot_from_json(SNAP.to_json()) == SNAP
    assert checked_snapshot(SNAP) is SNAP


def test_integers_past_64_bits_become_none_and_a_note() -> None:
    doc = _doc()
    device = doc["devices"][0]
    device["memory_used_bytes"] = "@a@"
    device["ecc_errors_corrected_volatile"] = "@b@"
    device["memory_total_bytes"] = -5
    device["utilization_pct"] = 5000
    device["temperature_c"] = -300
    doc["devices"][0]["processes"][0]["pid"] = "@a@"
    snap = snapshot_from_json(_body(doc, a=str(2**64), b=str(10**500)))
    bad, good = snap.devices
    assert (bad.memory_used_bytes, bad.ecc_errors_corrected_volatile, bad.memory_total_bytes,
            bad.utilization_pct, bad.temperature_c) == (None,) * 5
    assert bad.processes == ()  # a process is its pid: without one it is dropped
    assert good == SNAP.devices[1]
    note = snap.backends[-1]
    assert (note.name, note.state) == ("remote", "error")
    assert note.message.startswith("6 values out of range dropped (utilization_pct 5000, ")
    json.loads(snap.to_json())  # writable again: orjson refuses integers past 64 bits


def test_numbers_past_what_msgspec_holds_take_the_wide_path() -> None:
    doc = _doc()
    doc["devices"][0]["power_w"] = "@f@"
    doc["devices"][0]["memory_used_bytes"] = "@i@"
    doc["taken_at_s"] = "@f@"
    doc["host"]["cpu"]["per_core_utilization_pct"] = [1.0, "@f@"]
    before = time.time()
    snap = snapshot_from_json(_body(doc, f="1e400", i="9" * 5000))
    device = snap.devices[0]
    assert device.power_w is None and device.memory_used_bytes is None
    assert snap.taken_at_s >= before  # the time of receipt instead
    assert snap.host is not None and snap.host.cpu.per_core_utilization_pct == ()
    assert snap.devices[1] == SNAP.devices[1]
    assert snap.backends[-1].message.startswith("4 values out of range dropped (taken_at_s inf")


def test_a_device_whose_required_index_is_out_of_range_is_dropped() -> None:
    doc = _doc()
    doc["devices"][0]["index"] = -1
    snap = snapshot_from_json(_body(doc))
    assert [d.uuid for d in snap.devices] == [SNAP.devices[1].uuid]


def test_strings_are_cleaned_wherever_they_are() -> None:
    doc = _doc()
    doc["hostname"] = f"node{EVIL}1"
    device = doc["devices"][0]
    device["name"] = f"H100{EVIL}"
    device["details"] = {f"key{EVIL}": f"value{EVIL}"}
    device["throttle_reasons"] = [f"hot{EVIL}"]
    device["processes"][0].update(name=f"py{EVIL}", user=f"r{EVIL}", command=f"run{EVIL}")
    doc["backends"] = [{"name": f"nv{EVIL}", "state": "ok", "message": "x" * 5000}]
    snap = snapshot_from_json(_body(doc))
    gpu = snap.devices[0]
    proc = gpu.processes[0]
    assert snap.hostname == "node  [2J 1"
    assert (gpu.name, gpu.details, gpu.throttle_reasons) == (
        "H100  [2J ", {"key  [2J ": "value  [2J "}, ("hot  [2J ",))
    assert (proc.name, proc.user, proc.command) == ("py  [2J ", "r  [2J ", "run  [2J ")
    assert snap.backends[0].name == "nv  [2J " and len(snap.backends[0].message) == 1024
    assert len(snap.backends) == 1  # strings are cleaned, not counted as dropped values


@pytest.mark.parametrize("body", [
    b'{"hostname": 5, "taken_at_s": 1, "format":"allsmi-py/snapshot/1"}',
    b'{"hostname": "h", "format":"allsmi-py/snapshot/1"}',
    b'{"hostname": "h", "taken_at_s": 1, "devices": [' + b"[" * 100_000 + b"]" * 100_000
    + b'], "format":"allsmi-py/snapshot/1"}',
    b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b', "format":"allsmi-py/snapshot/1"}',
    b'{"hostname": "h", "taken_at_s": 1e400, "devices": [' + b"[" * 100_000 + b"]" * 100_000
    + b'], "format":"allsmi-py/snapshot/1"}',
    b'{"hostname": "h", "taken_at_s": NaN, "format":"allsmi-py/snapshot/1"}',
    b'{"hostname": "h", "taken_at_s": 1e400, "x": NaN, "format":"allsmi-py/snapshot/1"}',
    b'{"hostname": "\\ud800", "taken_at_s": 1, "format":"allsmi-py/snapshot/1"}',
])
def test_a_broken_document_of_ours_is_bad_snapshot_and_nothing_else(body: bytes) -> None:
    # each ends with the marker as to_json writes it, so it is recognised without a parse
    with pytest.raises(BadSnapshot) as caught:
        snapshot_from_json(body)
    assert isinstance(caught.value, ParseError) and isinstance(caught.value, ValueError)


@pytest.mark.parametrize("body", [b"", b"[]", b"<html>", b'{"format": "other"}',
                                  b"[" * 100_000, b'{"x": ' + b"[" * 100_000])
def test_foreign_or_unreadable_bodies_are_not_ours(body: bytes) -> None:
    with pytest.raises(NotOurs):
        snapshot_from_json(body)
