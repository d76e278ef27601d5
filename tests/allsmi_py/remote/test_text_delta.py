"""A node's next /metrics body as a patch of its last: always what the whole decode makes.

Every test holds `patched` to `parse_node_text` of the same body; the hostile ones check
that each edit the patch cannot take (a changed label block, a refused value, a line more,
a comment turned sample ...) returns None, so the caller decodes the body whole.
"""

from __future__ import annotations

import dataclasses
import random

import pytest
from aiohttp import web

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import DeviceReading, NodeSnapshot, WorkloadReading
from allsmi_py.remote.client import ScrapeClient
from allsmi_py.remote.hosts import parse_host
from allsmi_py.remote.nodes import snapshot_from_next_text, snapshot_from_text
from allsmi_py.remote.parse import parse_node_text
from allsmi_py.remote.text_delta import TextTemplate, decode_with_template, patched
from mock_server.node import SimNode
from mock_server.plan import NodePlan

POD = WorkloadReading(container="trainer", pod="train-0", namespace="ml")
SERVE = WorkloadReading(container="api", pod="serve-1", namespace="web")


def _timeless(snapshot: NodeSnapshot) -> NodeSnapshot:
    # a process's start comes from its elapsed seconds and the time of the decode
    devices = tuple(dataclasses.replace(d, processes=tuple(
        dataclasses.replace(p, started_at_s=None) for p in d.processes)) for d in snapshot.devices)
    return dataclasses.replace(snapshot, taken_at_s=0.0, devices=devices)


def _same(a: NodeSnapshot, b: NodeSnapshot) -> None:
    assert _timeless(a) == _timeless(b)


def _bodies(spec: str, steps: int, *, processes: bool = False) -> list[bytes]:
    step = [0]
    node = SimNode(NodePlan(0, "node-0001", 0, spec), 7, 5.0, 1.8e9, processes, lambda: step[0])
    out = []
    for i in range(steps):
        step[0] = i
        snapshot = node.snapshot()
        if i % 3 == 1:  # pods come and go, as the mock server's kubelet has them do
            devices = list(snapshot.devices)
            devices[0] = dataclasses.replace(devices[0], workloads=(POD, SERVE)[: i % 2 + 1])
            snapshot = dataclasses.replace(snapshot, devices=tuple(devices))
        out.append(render_prometheus(snapshot, include_processes=processes).encode())
    return out


def _follow(bodies: list[bytes]) -> int:
    """Decode `bodies` in turn as a node's rounds; every snapshot is the whole decode's.
    Returns how many rounds the patch made."""
    snapshot, template = decode_with_template(bodies[0], "n:1")
    _same(snapshot, parse_node_text(bodies[0], "n:1"))
    made_by_patch = 0
    for last, body in zip(bodies, bodies[1:], strict=False):
        made = patched(last, body, template) if template is not None else None
        if made is None:
            snapshot, template = decode_with_template(body, "n:1")
        else:
            (snapshot, template), made_by_patch = made, made_by_patch + 1
        _same(snapshot, parse_node_text(body, "n:1"))
    return made_by_patch


@pytest.mark.parametrize("spec", ["h100:8", "h100:4,rngd:2", "mi300x:2", "m3max:1",
                                  "gaudi3:2,v5e:2", "n300:2,orin:1", "arcb580:1,max1550:1,atom:2",
                                  "a100:1,b200:1"])
def test_mock_rounds_patched_are_the_whole_decode(spec: str) -> None:
    bodies = _bodies(spec, 24)
    assert len({b for b in bodies}) == len(bodies)  # every round's values moved
    assert _follow(bodies) >= 18  # the pod rounds too: most rounds never decode whole


def test_process_rounds_are_the_whole_decode_even_when_processes_change() -> None:
    # processes come and go between rounds: those rounds take the whole decode
    _follow(_bodies("h100:2", 12, processes=True))


def _template(body: bytes) -> TextTemplate:
    _, template = decode_with_template(body, "n:1")
    assert template is not None
    return template


BODY = (
    '# HELP all_smi_gpu_utilization GPU utilization\n'
    '# TYPE all_smi_gpu_utilization gauge\n'
    'all_smi_gpu_utilization{gpu="H100",instance="n1",gpu_uuid="GPU-0",gpu_index="0"} 50\n'
    'all_smi_gpu_utilization{gpu="H100",instance="n1",gpu_uuid="GPU-1",gpu_index="1"} 60\n'
    'all_smi_gpu_power_consumption_watts{gpu="H100",instance="n1",gpu_uuid="GPU-0",'
    'gpu_index="0"} 300\n'
    'all_smi_cpu_utilization{cpu_model="EPYC",instance="n1",hostname="n1",index="0"} 20\n'
    'all_smi_memory_used_bytes{instance="n1",hostname="n1",index="0"} 1000\n'
    'all_smi_disk_available_bytes{instance="n1",mount_point="/",index="0"} 5000\n'
    'allsmi_device_pod_info{gpu="H100",instance="n1",gpu_uuid="GPU-0",gpu_index="0",'
    'pod="train-0",namespace="ml",container="trainer"} 1\n'
)


def _edited(old: str, new: str) -> bytes:
    assert old in BODY
    return BODY.replace(old, new).encode()


def test_values_of_every_reading_are_patched() -> None:
    body = (_edited("} 50\n", "} 51.5\n").replace(b"} 300\n", b"} 301\n")
            .replace(b"} 20\n", b"} 21\n").replace(b"} 1000\n", b"} 999\n")
            .replace(b"} 5000\n", b"} 4000\n"))
    made = patched(BODY.encode(), body, _template(BODY.encode()))
    assert made is not None
    _same(made[0], parse_node_text(body, "n:1"))
    gpu0 = made[0].devices[0]
    assert (gpu0.utilization_pct, gpu0.power_w) == (51.5, 301.0)
    assert made[0].host is not None and made[0].host.disks[0].available_bytes == 4000


def test_pod_lines_that_come_and_go_are_read_again() -> None:
    pod = BODY.splitlines(keepends=True)[-1]
    more = (BODY + pod.replace('gpu_uuid="GPU-0",gpu_index="0"', 'gpu_uuid="GPU-1",gpu_index="1"')
            + pod.replace("train-0", "train-1")).encode()
    template = _template(BODY.encode())
    made = patched(BODY.encode(), more, template)
    assert made is not None
    _same(made[0], parse_node_text(more, "n:1"))
    assert [len(d.workloads) for d in made[0].devices] == [2, 1]
    fewer = _edited(pod, pod.replace("train-0", "train-9"))
    again = patched(more, fewer, made[1])
    assert again is not None
    _same(again[0], parse_node_text(fewer, "n:1"))


@pytest.mark.parametrize(("old", "new", "why"), [
    ('gpu_uuid="GPU-1",gpu_index="1"} 60', 'gpu_uuid="GPU-7",gpu_index="1"} 60',
     "a label block changed"),
    ("} 50\n", "} NaN\n", "a value the field refuses"),
    ("} 300\n", "} -5\n", "a negative power"),
    ("} 300\n", "} 1_000\n", "not an exposition number"),
    ("} 300\n", "} 300 1700000000000\n", "a timestamp: not the plain form"),
    ("} 50\n", "} 50\nall_smi_gpu_temperature_celsius{gpu_uuid=\"GPU-0\"} 40\n",
     "a line more"),
    ("# TYPE all_smi_gpu_utilization gauge\n",
     "all_smi_gpu_temperature_celsius{gpu_uuid=\"GPU-0\"} 40\n", "a comment turned sample"),
    ('pod="train-0",namespace="ml",container="trainer"} 1\n', "",
     "a pod line cut short"),
    ("} 20\n", "} 20\xff\n", "not UTF-8"),
])
def test_edits_the_patch_cannot_take_decode_whole(old: str, new: str, why: str) -> None:
    body = _edited(old, new)
    if "\xff" in new:
        body = BODY.replace(old, "} 20").encode() + b"\xff\n"
    assert patched(BODY.encode(), body, _template(BODY.encode())) is None, why


def test_a_refused_value_in_the_last_body_must_come_again_to_be_patched() -> None:
    refused = _edited("} 300\n", "} -5\n")
    snapshot, template = decode_with_template(refused, "n:1")
    assert template is not None and snapshot.backends  # counted in the "remote" note
    # the refused line itself may not change: a value it now accepts would fill the field
    assert patched(refused, _edited("} 300\n", "} 200\n"), template) is None
    other = refused.replace(b"} 50\n", b"} 55\n")
    made = patched(refused, other, template)
    assert made is not None
    _same(made[0], parse_node_text(other, "n:1"))
    assert made[0].backends == snapshot.backends


def test_the_cpu_keeps_its_first_value_and_a_later_one_is_only_ignored() -> None:
    second = 'all_smi_cpu_utilization{cpu_model="EPYC",instance="n1",hostname="n1",index="1"} 90\n'
    body = BODY + second
    later = body.replace("} 90\n", "} 10\n").encode()
    made = patched(body.encode(), later, _template(body.encode()))
    assert made is not None and made[0].host is not None
    assert made[0].host.cpu.utilization_pct == 20  # the first line's, as the route keeps it
    _same(made[0], parse_node_text(later, "n:1"))
    assert patched(body.encode(), body.replace("} 90\n", "} -1\n").encode(),
                   _template(body.encode())) is None  # refused: counted by the whole decode


def test_two_families_writing_one_field_are_never_patched() -> None:
    # all-smi's energy family and ours fill the same field: the last one wins, so a change
    # in the first alone would be read wrong by a patch
    energy = ('all_smi_energy_consumed_joules_total{gpu="H100",instance="n1",gpu_uuid="GPU-0",'
              'gpu_index="0"} 10\n')
    ours = energy.replace("all_smi_energy_consumed_joules_total",
                          "allsmi_device_energy_joules_total").replace("} 10", "} 12")
    body = BODY + energy + ours
    parse_node_text(body, "n:1")  # the names known, so the body is in the plain form
    template = _template(body.encode())
    for first, second in ((11, 12), (10, 13), (14, 15)):
        changed = body.replace("} 10\n", f"}} {first}\n").replace("} 12\n", f"}} {second}\n")
        made = patched(body.encode(), changed.encode(), template)
        assert made is not None
        _same(made[0], parse_node_text(changed, "n:1"))
    # the overridden line's value is still refused and counted like any other
    refused = body.replace("} 10\n", "} -3\n").encode()
    assert patched(body.encode(), refused, template) is None


def test_a_hostile_uuid_that_cleans_to_a_device_does_not_get_its_pods() -> None:
    pod = BODY.splitlines(keepends=True)[-1]
    hostile = pod.replace('gpu_uuid="GPU-0"', 'gpu_uuid="GPU-\x1b0"')
    body = (BODY + hostile).encode()
    made = patched(BODY.encode(), body, _template(BODY.encode()))
    assert made is not None
    _same(made[0], parse_node_text(body, "n:1"))
    assert len(made[0].devices[0].workloads) == 1


def test_next_text_guards_what_the_patch_made() -> None:
    body = BODY.encode()
    _, template = snapshot_from_next_text(body, "n:1", b"", None)
    sentinel = body.replace(b"} 300\n", b"} 65535\n")  # within the W bound, a sentinel
    guarded, _ = snapshot_from_next_text(sentinel, "n:1", body, template)
    assert guarded == dataclasses.replace(snapshot_from_text(sentinel, "n:1"),
                                          taken_at_s=guarded.taken_at_s)
    assert guarded.devices[0].power_w is None and guarded.devices[0].problems


async def test_client_rounds_follow_a_node_whose_values_and_labels_change() -> None:
    bodies = [BODY.encode(), _edited("} 50\n", "} 70\n"),
              _edited('instance="n1",gpu_uuid="GPU-1"', 'instance="n1",gpu_uuid="GPU-9"'),
              _edited('instance="n1",gpu_uuid="GPU-1"', 'instance="n1",gpu_uuid="GPU-9"')
              .replace(b"} 60\n", b"} 65\n")]
    served = [0]

    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(body=bodies[served[0]], content_type="text/plain")

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        client = ScrapeClient(timeout_s=5.0, prefer_json=False)
        target = parse_host(f"127.0.0.1:{port}")
        try:
            for index, body in enumerate(bodies):
                served[0] = index
                node = await client.fetch(target)
                assert node.snapshot is not None, node.status
                _same(node.snapshot, snapshot_from_text(body, target.address))
            assert node.snapshot.devices[1].uuid == "GPU-9"
            assert node.snapshot.devices[1].utilization_pct == 65
        finally:
            await client.close()
    finally:
        await runner.cleanup()


def test_device_fields_keep_defaults_out() -> None:
    template = _template(BODY.encode())
    assert "processes" not in template.device_fields[0]
    assert DeviceReading(**template.device_fields[0]) == template.parsed.devices[0]


def test_an_ane_zero_is_left_to_the_whole_decode() -> None:
    # all-smi writes ANE 0 for a device with no ANE; the build drops it on all but Apple
    ane = 'all_smi_ane_utilization{gpu="H100",instance="n1",gpu_uuid="GPU-0",gpu_index="0"} 5\n'
    body = BODY + ane
    parse_node_text(body, "n:1")
    template = _template(body.encode())
    more = body.replace("} 5\n", "} 7\n").encode()
    made = patched(body.encode(), more, template)
    assert made is not None
    _same(made[0], parse_node_text(more, "n:1"))
    assert patched(body.encode(), body.replace("} 5\n", "} 0\n").encode(), template) is None


def test_random_edits_give_the_whole_decode_or_none() -> None:
    rng = random.Random(20)
    bodies = _bodies("h100:2", 3)
    base, _ = bodies[0], decode_with_template(bodies[0], "n:1")
    template = _template(base)
    text = base.decode()
    alphabet = '0123456789.e-+_}{", =#\n\t\\xé' + "\x00\x1b"
    made_count = 0
    for _ in range(400):
        chars = list(text)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(chars))
            if rng.random() < 0.5:
                chars[at] = rng.choice(alphabet)
            else:
                chars.insert(at, rng.choice(alphabet))
        body = "".join(chars).encode()
        made = patched(base, body, template)
        if made is None:
            continue
        made_count += 1
        _same(made[0], parse_node_text(body, "n:1"))
    assert made_count > 40  # edits of values alone are patched


def test_next_text_rounds_guard_like_the_whole_decode_as_values_turn_implausible() -> None:
    # each value stays within values.py's bound, so only the plausibility guard refuses it
    turns = [("} 300\n", "} 65535\n"), ("} 300\n", "} 300\n"), ("} 50\n", "} 99\n"),
             ("} 1000\n", "} 4294967295\n"), ("} 300\n", "} 1999\n"), ("} 60\n", "} 0\n")]
    body = BODY.encode()
    snapshot, template = snapshot_from_next_text(body, "n:1", b"", None)
    for old, new in turns * 2:
        last, body = body, BODY.replace(old, new).encode()
        snapshot, template = snapshot_from_next_text(body, "n:1", last, template)
        whole = snapshot_from_text(body, "n:1")
        assert snapshot == dataclasses.replace(whole, taken_at_s=snapshot.taken_at_s), new
    assert template is not None and template.changed is not None  # the patch made them


def test_the_pod_family_gone_whole_and_back_is_patched() -> None:
    step = [0]
    node = SimNode(NodePlan(0, "node-0001", 0, "h100:4"), 7, 5.0, 1.8e9, False, lambda: step[0])
    bodies = []
    for i, pods in enumerate([(POD,), (), (), (POD, SERVE), (SERVE,), ()]):
        step[0] = i
        snapshot = node.snapshot()
        devices = tuple(dataclasses.replace(d, workloads=pods if d.index == 1 else ())
                        for d in snapshot.devices)
        body = render_prometheus(dataclasses.replace(snapshot, devices=devices)).encode()
        assert (b"# TYPE allsmi_device_pod_info" in body) == bool(pods)
        bodies.append(body)
    assert _follow(bodies) == len(bodies) - 1  # the family's HELP and TYPE go and come too
