"""A kubelet socket that hangs, answers garbage or too much: no labels, a reason, no wait."""

from __future__ import annotations

import threading
from pathlib import Path

import grpc
import pytest

from allsmi_py.workloads import pod_resources
from allsmi_py.workloads.pod_resources import PodResourcesClient, PodResourcesError
from allsmi_py.workloads.pod_resources_pb2 import ListPodResourcesResponse
from allsmi_py.workloads.pod_resources_watch import PodResourcesWatcher
from tests.allsmi_py.workloads.pod_resources_server import (
    devices,
    hang,
    junk_socket,
    node_pods,
    pod,
    serving,
)
from tests.unix_dirs import sock_dir

__all__ = ["sock_dir"]
DEADLINE_S = 0.2


def _list_error(path: Path) -> str:
    client = PodResourcesClient(str(path), deadline_s=DEADLINE_S)
    try:
        with pytest.raises(PodResourcesError) as caught:
            client.list_devices()
    finally:
        client.close()
    return str(caught.value)


def test_a_hung_kubelet_is_given_up_at_the_deadline(sock_dir: Path) -> None:
    with serving(sock_dir / "kubelet.sock", hang(30)) as path:
        assert _list_error(path) == "the kubelet did not answer List within 0.2 s"


def test_a_hung_kubelet_never_holds_up_device_workloads(sock_dir: Path) -> None:
    entered, release = threading.Event(), threading.Event()

    def stuck(context: grpc.ServicerContext) -> bytes:
        entered.set()
        context.add_callback(release.set)
        release.wait(30)
        return b""

    with serving(sock_dir / "kubelet.sock", stuck) as path:
        watcher = PodResourcesWatcher(str(path), interval_s=60, deadline_s=1.0)
        watcher.start()
        try:
            assert entered.wait(10)
            # The thread is inside List now; the collector's read answers at once regardless.
            assert watcher.device_workloads() == {}
            assert watcher.status == "waiting for the kubelet's first answer"
            assert watcher.wait_ready(10)
            assert watcher.status == "the kubelet did not answer List within 1 s"
            assert watcher.device_workloads() == {}
        finally:
            watcher.close()


def test_protobuf_garbage_from_a_real_grpc_server(sock_dir: Path) -> None:
    truncated = b"\x0a\xff\xff\xff\xff\x0f\x01"  # pod_resources of length 4 GiB, then one byte
    with serving(sock_dir / "kubelet.sock", truncated) as path:
        reason = _list_error(path)
    assert reason.startswith("kubelet List failed: INTERNAL")


def test_a_name_that_is_not_utf8_is_refused_by_the_decoder(sock_dir: Path) -> None:
    bad_name = b"\x0a\x04\x0a\x02\xff\xfe"  # PodResources{name: b"\xff\xfe"}
    with serving(sock_dir / "kubelet.sock", bad_name) as path:
        assert _list_error(path).startswith("kubelet List failed: INTERNAL")


def test_a_socket_that_speaks_no_http2(sock_dir: Path) -> None:
    with junk_socket(sock_dir / "kubelet.sock") as path:
        reason = _list_error(path)
    assert reason.startswith("kubelet List failed: UNAVAILABLE") or \
        reason == "the kubelet did not answer List within 0.2 s", reason


def test_an_answer_over_the_cap_is_refused(sock_dir: Path) -> None:
    big_id = "GPU-" + "f" * 120
    count = pod_resources.MAX_MESSAGE_BYTES // 100 + 1000  # > 4 MiB of ids on the wire
    huge = ListPodResourcesResponse(pod_resources=[
        pod(f"p{i}", "ml", main=[devices("nvidia.com/gpu", *[big_id] * 1000)])
        for i in range(count // 1000)])
    assert huge.ByteSize() > pod_resources.MAX_MESSAGE_BYTES
    with serving(sock_dir / "kubelet.sock", huge) as path:
        assert _list_error(path) == "the kubelet's List answer is over 4 MiB"


def test_a_kubelet_that_goes_away_empties_the_map(sock_dir: Path) -> None:
    path = sock_dir / "kubelet.sock"
    watcher = PodResourcesWatcher(str(path), deadline_s=2.0)
    with serving(path, node_pods()):
        watcher.refresh()
        assert watcher.status is None and watcher.device_workloads()
    path.unlink(missing_ok=True)
    watcher.refresh()
    try:
        assert watcher.device_workloads() == {}
        assert watcher.status == f"no kubelet pod-resources socket at {path}"
    finally:
        watcher.close()


def test_a_regular_file_at_the_socket_path(sock_dir: Path) -> None:
    path = sock_dir / "kubelet.sock"
    path.write_bytes(b"\x00" * 100)
    watcher = PodResourcesWatcher(str(path))
    watcher.refresh()
    watcher.close()
    assert watcher.status == f"{path} is not a socket" and watcher.device_workloads() == {}


def test_a_kubelet_without_allocatable_resources_still_labels(sock_dir: Path) -> None:
    def unimplemented(context: grpc.ServicerContext) -> bytes:
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "unknown method")
        return b""

    with serving(sock_dir / "kubelet.sock", node_pods(), unimplemented) as path:
        watcher = PodResourcesWatcher(str(path))
        watcher.refresh()
        watcher.close()
    assert watcher.status is None and len(watcher.device_workloads()) == 6
    assert watcher.allocatable() == {}
    assert watcher.allocatable_status == \
        "kubelet GetAllocatableResources failed: UNIMPLEMENTED: unknown method"
