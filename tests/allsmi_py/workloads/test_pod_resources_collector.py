"""The watcher in a real Collector (pod_devices=): a real kubelet-style server's pods on devices."""

from __future__ import annotations

import threading
from pathlib import Path

import grpc
import pytest

from allsmi_py.backend import Backend
from allsmi_py.collector import Collector
from allsmi_py.model import DeviceReading, MigInstanceReading
from allsmi_py.workloads.attach import WorkloadAttacher
from allsmi_py.workloads.pod_resources_watch import PodResourcesWatcher
from tests.allsmi_py.workloads.pod_resources_server import GPU, MIG, node_pods, serving
from tests.allsmi_py.workloads.test_pod_resources import held
from tests.unix_dirs import sock_dir

__all__ = ["sock_dir"]


@pytest.fixture(autouse=True)
def _no_host_cgroups(monkeypatch: pytest.MonkeyPatch) -> None:
    """WorkloadAttacher() reads no /proc; guard against the collector making one that does."""
    monkeypatch.setattr(WorkloadAttacher, "on_host", classmethod(
        lambda cls, root="/": pytest.fail("the test's attacher should be used")))


class Gpus(Backend):
    name = "real"

    def read(self) -> list[DeviceReading]:
        return [
            DeviceReading(backend="real", index=0, uuid=GPU[0], name="H100"),
            DeviceReading(backend="real", index=1, uuid=GPU[3], name="H100", mig_instances=(
                MigInstanceReading(uuid=MIG[0], profile="1g.10gb"),
                MigInstanceReading(uuid=MIG[1], profile="3g.40gb"))),
            DeviceReading(backend="real", index=2, uuid=GPU[2], name="H100"),
            DeviceReading(backend="real", index=3, uuid=GPU[7], name="H100"),
        ]


def _collector(watcher: PodResourcesWatcher) -> Collector:
    return Collector([Gpus()], pod_devices=watcher, workloads=WorkloadAttacher())


def test_whole_gpus_mig_slices_and_shared_gpus_get_their_pods(sock_dir: Path) -> None:
    with serving(sock_dir / "kubelet.sock", node_pods()) as path, \
            PodResourcesWatcher(str(path), interval_s=60) as watcher:
        assert watcher.wait_ready(10)
        collector = _collector(watcher)
        whole, migged, shared, idle = collector.tick().devices
        collector.close()
    assert whole.workloads == (held("ml", "train-0", "trainer"),)
    assert migged.workloads == (held("serving", "infer-7f9c", "server"),)
    assert shared.workloads == (held("team-a", "shared-a", "main"),
                                held("team-b", "shared-b", "main"))
    assert idle.workloads == ()


def test_a_hung_kubelet_leaves_the_ticks_unlabelled_and_on_time(sock_dir: Path) -> None:
    entered = threading.Event()

    def stuck(context: grpc.ServicerContext) -> bytes:
        entered.set()
        done = threading.Event()
        context.add_callback(done.set)
        done.wait(30)
        return b""

    with serving(sock_dir / "kubelet.sock", stuck) as path, \
            PodResourcesWatcher(str(path), interval_s=60, deadline_s=10.0) as watcher:
        assert entered.wait(10)
        collector = _collector(watcher)
        snapshots = [collector.tick() for _ in range(3)]  # while List hangs for 10 s
        assert not watcher.wait_ready(0)  # the first List has not ended yet
        collector.close()  # closes the watcher too, which cancels the hung List
    assert all(d.workloads == () for s in snapshots for d in s.devices)
    assert [b.state for s in snapshots for b in s.backends] == ["ok"] * 3

