"""PodResourcesWatcher: the latest map of a real pod-resources server, read without waiting."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from allsmi_py.workloads.pod_resources_pb2 import ListPodResourcesResponse
from allsmi_py.workloads.pod_resources_watch import PodResourcesWatcher, watcher_if_present
from tests.allsmi_py.workloads.pod_resources_server import (
    GPU,
    MIG,
    devices,
    node_pods,
    pod,
    serving,
)
from tests.allsmi_py.workloads.test_pod_resources import NODE_MAP, held
from tests.unix_dirs import sock_dir

__all__ = ["sock_dir"]


def test_the_thread_reads_the_kubelet_and_the_map_is_there(sock_dir: Path) -> None:
    with serving(sock_dir / "kubelet.sock", node_pods()) as path:
        watcher = PodResourcesWatcher(str(path), interval_s=60)
        assert watcher.status == "not started" and watcher.device_workloads() == {}
        with watcher:
            assert watcher.wait_ready(10)
            assert watcher.status is None
            assert watcher.device_workloads() == NODE_MAP
            assert watcher.allocatable()["nvidia.com/mig-1g.10gb"] == (MIG[0], MIG[2])
            assert watcher.refreshed_at_s is not None


def test_a_new_allocation_shows_at_the_next_refresh(sock_dir: Path) -> None:
    answer = {"now": node_pods()}

    def current(context: grpc.ServicerContext) -> bytes:
        return answer["now"].SerializeToString()

    with serving(sock_dir / "kubelet.sock", current) as path:
        watcher = PodResourcesWatcher(str(path))
        try:
            watcher.refresh()
            assert GPU[5] not in watcher.device_workloads()
            answer["now"] = ListPodResourcesResponse(pod_resources=[
                pod("late", "ml", main=[devices("nvidia.com/gpu", GPU[5])])])
            watcher.refresh()
            assert watcher.device_workloads() == {GPU[5]: (held("ml", "late", "main"),)}
            assert watcher.refreshes == 2
        finally:
            watcher.close()


def test_the_map_cannot_be_changed_by_its_reader(sock_dir: Path) -> None:
    with serving(sock_dir / "kubelet.sock", node_pods()) as path:
        watcher = PodResourcesWatcher(str(path))
        watcher.refresh()
        watcher.close()
    with pytest.raises(TypeError):
        watcher.device_workloads()[GPU[7]] = ()  # type: ignore[index]


def test_close_stops_the_thread_and_a_second_start_is_harmless(sock_dir: Path) -> None:
    with serving(sock_dir / "kubelet.sock", node_pods()) as path:
        watcher = PodResourcesWatcher(str(path), interval_s=60)
        watcher.start()
        thread = watcher._thread
        watcher.start()
        assert watcher._thread is thread and thread is not None
        assert watcher.wait_ready(10)
        watcher.close()
    assert not thread.is_alive()
    watcher.refresh()  # after close: refused, not reopened
    assert watcher.status == "the pod-resources watcher is closed"


def test_watcher_if_present_only_where_a_socket_is(sock_dir: Path) -> None:
    path = sock_dir / "kubelet.sock"
    assert watcher_if_present(str(path)) is None
    assert watcher_if_present("") is None
    with serving(path, node_pods()):
        watcher = watcher_if_present(str(path), interval_s=60, wait_s=10)
        assert watcher is not None
        try:
            assert watcher.device_workloads() == NODE_MAP
        finally:
            watcher.close()
