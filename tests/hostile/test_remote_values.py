"""Nodes that attack the cluster dump with their values and labels (issue 14, items 1 and 4).

Real loopback nodes, read by `allsmi snapshot --hosts ... --format json` through the command
entry: one hostile series costs its field (None, and a note in the node's "remote" status),
never the node, the dump or the honest node beside it; no control character survives.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from allsmi_py.cli import main
from tests.hostile.hostile_nodes import HostileServer
from tests.threaded_server import serving_in_thread

EVIL = "\r\x1b[2J\u202e\x9b\t"  # raw in the body; a newline comes as the \n escape in text
LABELS = (f'gpu="Evil\\n{EVIL}GPU", instance="evil\\n{EVIL}node", gpu_uuid="GPU-EVIL",'
          ' gpu_index="0"')
TEXT = "\n".join([
    f'all_smi_gpu_info{{{LABELS}, type="GPU", driver_version="1.0{EVIL}"}} 1',
    f"all_smi_gpu_memory_used_bytes{{{LABELS}}} 1e300",
    f"all_smi_gpu_memory_total_bytes{{{LABELS}}} -5",
    f"all_smi_gpu_temperature_celsius{{{LABELS}}} +Inf",
    f"all_smi_gpu_utilization{{{LABELS}}} NaN",
    f"all_smi_gpu_power_consumption_watts{{{LABELS}}} 250",
    f'all_smi_process_memory_used_bytes{{pid="7", name="py{EVIL}", user="r\\n{EVIL}", '
    f'device_id="0", gpu_index="0", device_uuid="GPU-EVIL", command="run{EVIL}.sh"}} 1024',
]) + "\n"


def _json_body(server: HostileServer) -> bytes:
    doc = server.snapshot.to_dict()
    doc["hostname"] = f"evil\n{EVIL}json"
    device = doc["devices"][0]
    device.update(name=f"H100\n{EVIL}", memory_used_bytes=2**64, memory_total_bytes=2**70,
                  ecc_errors_corrected_volatile=10**500, utilization_pct=-1.0)
    device["details"] = {"driver": f"550\n{EVIL}"}
    return json.dumps(doc).encode()


def _handlers(server: HostileServer) -> None:
    json_body = _json_body(server)

    async def text_node(request: web.Request, endpoint: str) -> web.StreamResponse:
        if endpoint != "metrics":
            return web.Response(status=404)
        return web.Response(text=TEXT, content_type="text/plain")

    async def json_node(request: web.Request, endpoint: str) -> web.StreamResponse:
        return web.Response(body=json_body, content_type="application/json")

    server.handlers.update(values_text=text_node, values_json=json_node)


@pytest.fixture
def served() -> Iterator[HostileServer]:
    """Hostile nodes on a loop in a thread, since the command runs asyncio.run itself."""
    server = HostileServer(bomb_bytes=1 << 20)
    _handlers(server)
    with serving_in_thread(server):
        yield server
    gc.unfreeze()  # the command freezes the heap it started with


def _dump(server: HostileServer, capsys: pytest.CaptureFixture[str],
          fmt: str = "json") -> str:
    hosts = ",".join(server.url(n) for n in ("values_text", "values_json", "healthy"))
    assert main(["snapshot", "--hosts", hosts, "--format", fmt, "--timeout", "5"]) == 0
    return capsys.readouterr().out


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _remote_note(snapshot: dict[str, Any]) -> str:
    (note,) = [b for b in snapshot.get("backends", []) if b["name"] == "remote"]
    assert note["state"] == "error"
    return str(note["message"])


def test_hostile_values_cost_their_fields_not_the_node_or_the_dump(
        served: HostileServer, capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(_dump(served, capsys))
    nodes = {n["address"]: n for n in doc["nodes"]}
    assert [n["state"] for n in doc["nodes"]] == ["ok"] * 3, doc["nodes"]

    text = nodes[served.url("values_text")]
    assert text["source"] == "text"
    (gpu,) = text["snapshot"]["devices"]
    for field in ("memory_used_bytes", "memory_total_bytes", "temperature_c", "utilization_pct"):
        assert gpu.get(field) is None, field
    assert gpu["power_w"] == 250.0 and gpu["processes"][0]["gpu_memory_bytes"] == 1024
    assert _remote_note(text["snapshot"]).startswith(
        "4 values out of range dropped (all_smi_gpu_memory_used_bytes 1e+300, ")

    from_json = nodes[served.url("values_json")]
    assert from_json["source"] == "json"
    first, second = from_json["snapshot"]["devices"]
    for field in ("memory_used_bytes", "memory_total_bytes", "ecc_errors_corrected_volatile",
                  "utilization_pct"):
        assert first.get(field) is None, field
    assert _remote_note(from_json["snapshot"]).startswith("4 values out of range dropped (")

    healthy = nodes[served.url("healthy")]["snapshot"]
    assert "remote" not in [b["name"] for b in healthy.get("backends", [])]
    assert healthy["devices"] == served.snapshot.to_dict()["devices"]
    assert second == healthy["devices"][1]


def test_no_control_character_survives_into_the_dump(
        served: HostileServer, capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(_dump(served, capsys))
    for text in _strings(doc):
        assert text.isprintable(), repr(text)
    nodes = {n["address"]: n["snapshot"] for n in doc["nodes"]}
    text_node, json_node = nodes[served.url("values_text")], nodes[served.url("values_json")]
    assert text_node["hostname"] == "evil  [2J node"
    assert text_node["devices"][0]["name"] == "Evil  [2J GPU"
    assert text_node["devices"][0]["processes"][0]["command"] == "run [2J .sh"
    assert json_node["hostname"] == "evil  [2J json"
    assert json_node["devices"][0]["details"] == {"driver": "550  [2J "}


def test_the_csv_dump_survives_too(served: HostileServer,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    lines = _dump(served, capsys, "csv").splitlines()
    assert len(lines) == 1 + 1 + 2 + 2  # header, one device, two and two
    assert all(line.isprintable() for line in lines)
