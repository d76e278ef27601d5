"""A GPU that falls off the bus, from the fake NVML to /metrics and back through the parser."""

from __future__ import annotations

from collections.abc import Callable

from allsmi_py.collector import Collector
from allsmi_py.exporter.render import render_prometheus
from allsmi_py.remote.parse import parse_node_text
from backends.nvidia.backend import NvidiaBackend
from tests.fakes.fake_pynvml import FakeGpu, FakeNvml, h100

MakeBackend = Callable[[list[FakeGpu]], tuple[NvidiaBackend, FakeNvml]]


def test_a_lost_gpu_is_lost_in_metrics_and_in_a_view_that_reads_them(
        make_backend: MakeBackend) -> None:
    gpus = [h100(i) for i in range(2)]
    backend, _ = make_backend(gpus)
    gpus[1].lost = True
    snapshot = Collector([backend], interval_s=1.0, deadline_s=5.0, hostname="n1").tick()
    text = render_prometheus(snapshot)
    lost_uuid = gpus[1].uuid
    state_lines = [line for line in text.splitlines() if line.startswith("allsmi_device_state{")]
    assert len(state_lines) == 2
    assert any(f'gpu_uuid="{lost_uuid}"' in line and 'state="lost"} 1' in line
               for line in state_lines)
    assert not any(line.startswith("all_smi_gpu_utilization{") and lost_uuid in line
                   for line in text.splitlines())  # only its identity and its state are left
    assert 'allsmi_backend_state{instance="n1",hostname="n1",backend="nvidia",state="ok"} 1' \
        in text  # one lost GPU of two: the backend itself still reads
    viewed = parse_node_text(text)
    assert {d.uuid: d.state for d in viewed.devices} == {gpus[0].uuid: "ok", lost_uuid: "lost"}
