"""Mixed clusters: all-smi nodes and ours read through the real remote path (issue 19 item 5).

Each all-smi node is a fixture body of tests/fixtures/allsmi/ served by the FaultServer as an
all-smi node serves it (its /snapshot is all-smi's own document, so the view reads /metrics).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import ClusterSnapshot, DeviceReading, NodeSnapshot, ProcessReading
from allsmi_py.remote.allsmi_compat import UNIX_TIME_FLOOR_S, started_at
from allsmi_py.remote.parse import parse_node_text
from allsmi_py.remote.poller import ClusterPoller
from allsmi_py.tui.cluster_rows import user_usage
from tests.allsmi_py.remote.faults import FaultServer

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "allsmi"
FURIOSA = "allsmi_furiosa_rngd_processes.prom"
MOCK_NVIDIA = "allsmi_mock_nvidia_cpu_model.prom"
NVIDIA_UNIX = "allsmi_nvidia_processes_unix_start.prom"
OURS_STARTED_AGO_S = 5400.0


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _ours() -> NodeSnapshot:
    """One of our nodes: a process started 90 minutes ago, for user carol."""
    now = time.time()
    proc = ProcessReading(pid=777, name="python", user="carol", command="python ours.py",
                          gpu_memory_bytes=2**30, started_at_s=now - OURS_STARTED_AGO_S)
    gpu = DeviceReading(backend="nvidia", index=0, uuid="GPU-ours-0", name="NVIDIA H100",
                        vendor="NVIDIA", temperature_c=67.9, processes=(proc,))
    return NodeSnapshot(hostname="ours-1", taken_at_s=now, devices=(gpu,))


@pytest.fixture
async def cluster() -> AsyncIterator[tuple[ClusterSnapshot, float]]:
    server = FaultServer({"fur": "allsmi", "mock": "text", "dgx": "allsmi", "ours": "text",
                          "ours_json": "json"})
    for name, body in (("fur", FURIOSA), ("mock", MOCK_NVIDIA), ("dgx", NVIDIA_UNIX)):
        server.nodes[name].text_body = _fixture(body)
    ours = _ours()
    for name in ("ours", "ours_json"):
        node = server.nodes[name]
        node.snapshot = replace(ours, hostname=name)
        node.text_body = render_prometheus(node.snapshot, include_processes=True).encode()
        node.json_body = json.dumps(node.snapshot.to_dict()).encode()
    await server.start()
    try:
        async with ClusterPoller([server.target(n) for n in server.nodes]) as poller:
            yield await poller.poll_once(), ours.devices[0].processes[0].started_at_s or 0.0
    finally:
        await server.stop()


def _node(cluster: ClusterSnapshot, hostname: str) -> NodeSnapshot:
    for node in cluster.nodes:
        if node.snapshot is not None and node.snapshot.hostname == hostname:
            return node.snapshot
    raise AssertionError(f"no node {hostname}: {[n.status for n in cluster.nodes]}")


async def test_furiosa_processes_attach_by_index(cluster: tuple[ClusterSnapshot, float]) -> None:
    snap = _node(cluster[0], "rngd-node-7")  # (a): device_uuid="npu0" names no device
    first, second = snap.devices
    assert first.uuid.startswith("1E6B5A3C") and first.kind == "npu"
    assert sorted(p.pid for p in first.processes) == [41873, 41920]
    assert second.processes == ()
    assert first.processes[0].started_at_s is None  # all-smi's 0: start not known


async def test_mock_server_cpu_model_is_read(cluster: tuple[ClusterSnapshot, float]) -> None:
    snap = _node(cluster[0], "node-0003")  # (b): all_smi_cpu_model{model=...}, TYPE info
    assert snap.host is not None
    assert snap.host.cpu.model == "AMD EPYC 9654 96-Core Processor"
    assert snap.host.cpu.utilization_pct == 37.2
    memory = snap.host.memory  # the mock sends used and total only, no available
    assert memory.available_bytes is None and memory.in_use_bytes == 412316860416
    assert memory.used_pct == pytest.approx(100 * 412316860416 / 2199023255552)


async def test_ane_zero_is_no_reading_off_apple(cluster: tuple[ClusterSnapshot, float]) -> None:
    for host in ("rngd-node-7", "dgx-a17"):  # (c): both write all_smi_ane_utilization 0
        assert all(d.ane_power_w is None for d in _node(cluster[0], host).devices), host


def test_an_apple_ane_at_zero_is_an_idle_ane() -> None:
    labels = 'gpu="Apple M2 Ultra", instance="mac-1", gpu_uuid="AppleM2", gpu_index="0"'
    body = (f'all_smi_gpu_info{{{labels}, type="GPU", lib_name="Metal"}} 1\n'
            f"all_smi_ane_utilization{{{labels}}} 0\n")
    (device,) = parse_node_text(body).devices
    assert device.ane_power_w == 0.0
    ours = DeviceReading(backend="apple", index=0, uuid="A", name="M4", vendor="Apple",
                         ane_power_w=0.0)
    back = parse_node_text(render_prometheus(NodeSnapshot("m", 1.0, (ours,))))
    assert back.devices[0].ane_power_w == 0.0


async def test_start_times_agree_in_the_users_tab(
        cluster: tuple[ClusterSnapshot, float]) -> None:
    snapshot, ours_started = cluster  # (e)
    for host in ("ours", "ours_json"):  # elapsed (text) and Unix time (json): one start
        (proc,) = _node(snapshot, host).devices[0].processes
        assert proc.started_at_s == pytest.approx(ours_started, abs=60)
    dgx = _node(snapshot, "dgx-a17")
    assert {p.pid: p.started_at_s for p in dgx.devices[0].processes} == {
        2231907: 1764751823.0, 2240115: 1764790411.0}
    mock = _node(snapshot, "node-0003")  # the mock server writes elapsed: 60 s, 480 s ...
    (first,) = mock.devices[0].processes
    assert mock.taken_at_s - (first.started_at_s or 0) == pytest.approx(60.0)
    users = {u.user: u for u in user_usage(snapshot)[0]}
    assert users["carol"].longest_s == pytest.approx(OURS_STARTED_AGO_S, abs=60)
    alice = users["alice"].longest_s
    assert alice == pytest.approx(dgx.taken_at_s - 1764751823.0)
    assert users["inureyes"].longest_s == pytest.approx(60.0)
    assert users["(unknown)"].longest_s is None  # the Furiosa processes: no user, no start


def test_start_time_kinds_and_refusals() -> None:
    now = 1_800_000_000.0
    assert started_at(90.0, now) == now - 90.0
    assert started_at(1_700_000_000.0, now) == 1_700_000_000.0
    assert started_at(UNIX_TIME_FLOOR_S - 1, now) == now - UNIX_TIME_FLOOR_S + 1
    assert started_at(0.0, now) is None
    assert started_at(now + 3600, now) is None  # a start in the future: a wrong clock
    assert started_at(float("nan"), now) is None


def test_hostile_process_lines_attach_nowhere_or_by_one_index() -> None:
    g0 = 'gpu="A", instance="h", gpu_uuid="G0", gpu_index="0"'
    n0 = 'npu="B", instance="h", npu_uuid="N0", npu_index="0"'
    g1 = 'gpu="A", instance="h", gpu_uuid="G1", gpu_index="1"'
    lines = [f"all_smi_gpu_utilization{{{g0}}} 1", f"all_smi_gpu_utilization{{{n0}}} 1",
             f"all_smi_gpu_utilization{{{g1}}} 1"]
    for pid, index, uuid in ((1, "0", "npu0"), (2, "1", "npu1"), (3, "9", "npu9"),
                             (4, "x", "npu1"), (5, "1", "G0"), (6, "-1", "")):
        lines.append(f'all_smi_process_memory_used_bytes{{pid="{pid}", name="p", user="u", '
                     f'device_id="{index}", gpu_index="{index}", device_uuid="{uuid}", '
                     f'command="c"}} 1')
    devices = {d.uuid: d for d in parse_node_text("\n".join(lines)).devices}
    assert [p.pid for p in devices["G0"].processes] == [5]  # the uuid wins over the index
    assert [p.pid for p in devices["G1"].processes] == [2]  # index 1: one device has it
    assert devices["N0"].processes == ()  # index 0 is two devices': pid 1 attaches nowhere


def test_hostile_start_time_samples() -> None:
    base = ('pid="7", name="p", user="u", device_id="0", gpu_index="0", '
            'device_uuid="G0", command="c"')
    for value in ("-5", "1e300", "NaN", "+Inf"):
        body = (f'all_smi_gpu_utilization{{gpu="A", instance="h", gpu_uuid="G0", '
                f'gpu_index="0"}} 1\nall_smi_process_memory_used_bytes{{{base}}} 1\n'
                f"all_smi_process_start_time_seconds{{{base}}} {value}\n")
        snap = parse_node_text(body)
        assert snap.devices[0].processes[0].started_at_s is None, value
        assert [b.name for b in snap.backends] == ["remote"], value  # counted as dropped


def test_all_smi_jetson_processes_attach_by_index() -> None:
    labels = ('gpu="NVIDIA Jetson AGX Orin", instance="orin-3", gpu_uuid="JETSON-ORIN-3", '
              'gpu_index="0"')
    process = ('pid="5120", name="python3", user="nvidia", device_id="0", gpu_index="0", '
               'device_uuid="JetsonGPU", command="python3 detect.py"')
    body = (f"all_smi_gpu_utilization{{{labels}}} 61\n"
            f"all_smi_process_memory_used_bytes{{{process}}} 1073741824\n"
            f"all_smi_process_start_time_seconds{{{process}}} 1764751823\n")
    (device,) = parse_node_text(body).devices
    (proc,) = device.processes
    assert (proc.pid, proc.gpu_memory_bytes, proc.started_at_s) == (5120, 2**30, 1764751823.0)
