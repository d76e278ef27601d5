"""Device and backend states and collection times in /metrics, and read back by the parser."""

from __future__ import annotations

import dataclasses
import math
import threading

from prometheus_client.parser import text_string_to_metric_families

from allsmi_py.backend import Backend
from allsmi_py.collector import Collector
from allsmi_py.exporter.render import render_prometheus
from allsmi_py.exporter.schema import BY_NAME, OWN_NAMES
from allsmi_py.model import (
    BACKEND_STATES,
    DEVICE_STATES,
    BackendStatus,
    DeviceReading,
    NodeSnapshot,
)
from allsmi_py.remote.checked import checked_snapshot
from allsmi_py.remote.parse import parse_node_text
from allsmi_py.remote.prometheus_source import family_selector

TAKEN_AT = 1764815000.25
OK = DeviceReading(backend="nvidia", index=0, uuid="GPU-a", name="H100", utilization_pct=40.0)
LOST = DeviceReading(backend="nvidia", index=1, uuid="GPU-b", name="H100", state="lost",
                     problems=("GPU is lost",))
SNAPSHOT = NodeSnapshot("node-1", TAKEN_AT, (OK, LOST), backends=(
    BackendStatus("nvidia", "ok", last_ok_at_s=TAKEN_AT - 0.5),
    BackendStatus("amd", "unavailable", "no AMD card"),
    BackendStatus("gaudi", "error", "timed out: no answer after 2.0 s", last_ok_at_s=1000.0),
))
STATE_NAMES = ("allsmi_device_state", "allsmi_backend_state",
               "allsmi_last_collection_timestamp_seconds",
               "allsmi_backend_last_success_timestamp_seconds")


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _of(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {labels: value for (n, labels), value in _samples(text).items() if n == name}


def test_the_names_are_ours_and_declared_once() -> None:
    for name in STATE_NAMES:
        assert name in BY_NAME and name in OWN_NAMES


def test_every_device_has_one_state_series_lost_included() -> None:
    states = _of(render_prometheus(SNAPSHOT), "allsmi_device_state")
    assert states == {
        (("gpu", "H100"), ("gpu_index", "0"), ("gpu_uuid", "GPU-a"), ("instance", "node-1"),
         ("state", "ok")): 1.0,
        (("gpu", "H100"), ("gpu_index", "1"), ("gpu_uuid", "GPU-b"), ("instance", "node-1"),
         ("state", "lost")): 1.0,
    }
    assert {dict(labels)["state"] for labels in states} <= set(DEVICE_STATES)


def test_every_backend_has_its_state_and_the_time_it_last_read() -> None:
    text = render_prometheus(SNAPSHOT)
    states = {dict(labels)["backend"]: dict(labels)["state"]
              for labels in _of(text, "allsmi_backend_state")}
    assert states == {"nvidia": "ok", "amd": "unavailable", "gaudi": "error"}
    assert set(states.values()) <= set(BACKEND_STATES)
    last = {dict(labels)["backend"]: value
            for labels, value in _of(text, "allsmi_backend_last_success_timestamp_seconds").items()}
    assert last == {"nvidia": TAKEN_AT - 0.5, "gaudi": 1000.0}  # never read: no series
    (collected,) = _of(text, "allsmi_last_collection_timestamp_seconds").items()
    assert collected == ((("hostname", "node-1"), ("instance", "node-1")), TAKEN_AT)
    assert "allsmi_last_collection_timestamp_seconds{" in text
    assert f"{TAKEN_AT}" in text and "e+" not in text  # a plain decimal, as all-smi's view reads


def test_before_the_first_collection_there_is_no_collection_time() -> None:
    text = render_prometheus(None)
    assert "allsmi_last_collection_timestamp_seconds" not in text
    assert "allsmi_device_state" not in text and "all_smi_up{" in text


def test_the_parser_reads_a_lost_device_back() -> None:
    parsed = parse_node_text(render_prometheus(SNAPSHOT))
    assert [(d.uuid, d.state) for d in parsed.devices] == [("GPU-a", "ok"), ("GPU-b", "lost")]


def test_a_state_the_model_does_not_know_is_not_read() -> None:
    body = ('all_smi_gpu_info{gpu="H100",instance="n",gpu_uuid="GPU-a",gpu_index="0"} 1\n'
            'allsmi_device_state{gpu="H100",instance="n",gpu_uuid="GPU-a",gpu_index="0",'
            'state="on fire"} 1\n')
    (device,) = parse_node_text(body).devices
    assert device.state == "ok"


class _FailsAfterFirstRead(Backend):
    name = "flaky"

    def __init__(self) -> None:
        self.reads = 0
        self.release = threading.Event()

    def read(self) -> list[DeviceReading]:
        self.reads += 1
        if self.reads == 2:
            raise RuntimeError("driver call failed")
        if self.reads == 3:
            self.release.wait(30)  # hangs past the deadline
        return [DeviceReading(backend="flaky", index=0, uuid="F-0", name="F")]


def test_the_collector_keeps_a_backends_last_good_read_through_errors_and_timeouts() -> None:
    backend = _FailsAfterFirstRead()
    collector = Collector([backend], interval_s=1.0, deadline_s=2.0, hostname="h")
    try:
        first = collector.tick().backends[0]
        assert first.state == "ok" and first.last_ok_at_s is not None
        failed = collector.tick().backends[0]
        assert failed.state == "error" and failed.last_ok_at_s == first.last_ok_at_s
        stuck = collector.tick().backends[0]
        assert "timed out" in stuck.message and stuck.last_ok_at_s == first.last_ok_at_s
        backend.release.set()
    finally:
        backend.release.set()
        collector.stop()


def test_the_json_snapshot_carries_the_last_good_read_and_a_bad_one_is_refused() -> None:
    back = checked_snapshot(NodeSnapshot.from_json(SNAPSHOT.to_json()))
    assert [b.last_ok_at_s for b in back.backends] == [TAKEN_AT - 0.5, None, 1000.0]
    assert [d.state for d in back.devices] == ["ok", "lost"]
    hostile = dataclasses.replace(SNAPSHOT, backends=(
        BackendStatus("nvidia", "ok", last_ok_at_s=-5.0),
        BackendStatus("amd", "ok", last_ok_at_s=math.inf)))
    refused = checked_snapshot(NodeSnapshot.from_json(hostile.to_json()))
    assert [(b.name, b.last_ok_at_s) for b in refused.backends[:2]] == [("nvidia", None),
                                                                     ("amd", None)]


def test_a_view_through_prometheus_asks_for_the_device_state_too() -> None:
    assert "|allsmi_device_state|" in family_selector().replace('"', "|")
