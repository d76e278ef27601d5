"""The pod-resources client against a real gRPC server on a unix socket, and its decoding."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

pytest.importorskip("grpc")

from allsmi_py.model_workload import WorkloadReading
from allsmi_py.workloads import pod_resources
from allsmi_py.workloads.pod_resources import (
    PodResourcesClient,
    PodResourcesError,
    allocatable_map,
    device_id,
    device_map,
    is_accelerator,
    unavailable_reason,
)
from allsmi_py.workloads.pod_resources_pb2 import (
    ContainerResources,
    ListPodResourcesResponse,
    PodResources,
)
from tests.allsmi_py.workloads.pod_resources_server import (
    GPU,
    MIG,
    devices,
    node_allocatable,
    node_pods,
    pod,
    serving,
)
from tests.unix_dirs import sock_dir

__all__ = ["sock_dir"]


def held(namespace: str, name: str, container: str) -> WorkloadReading:
    return WorkloadReading(container=container, pod=name, namespace=namespace)


NODE_MAP = {
    GPU[0]: (held("ml", "train-0", "trainer"),),
    GPU[1]: (held("ml", "train-0", "trainer"),),
    MIG[0]: (held("serving", "infer-7f9c", "server"),),
    MIG[1]: (held("serving", "infer-7f9c", "server"),),
    GPU[2]: (held("team-a", "shared-a", "main"), held("team-b", "shared-b", "main")),
    "rbln0": (held("research", "npu-job", "worker"),),
}


def test_list_maps_whole_gpus_mig_slices_shared_gpus_and_other_vendors(sock_dir: Path) -> None:
    with serving(sock_dir / "kubelet.sock", node_pods()) as path:
        client = PodResourcesClient(str(path))
        try:
            assert client.list_devices() == NODE_MAP
        finally:
            client.close()


def test_allocatable_lists_accelerators_only_and_each_shared_gpu_once(sock_dir: Path) -> None:
    with serving(sock_dir / "kubelet.sock", node_pods(), node_allocatable()) as path:
        client = PodResourcesClient(str(path))
        try:
            found = client.allocatable()
        finally:
            client.close()
    assert found == {
        "nvidia.com/gpu": (GPU[0], GPU[1], *GPU[3:]),
        "nvidia.com/gpu.shared": (GPU[2],),
        "nvidia.com/mig-1g.10gb": (MIG[0], MIG[2]),
        "nvidia.com/mig-3g.40gb": (MIG[1],),
        "rebellions.ai/ATOM": ("rbln0",),
    }


def test_a_workload_label_names_namespace_and_pod() -> None:
    assert device_map(node_pods())[GPU[0]][0].label == "ml/train-0"


@pytest.mark.parametrize("name", [
    "nvidia.com/gpu", "nvidia.com/mig-1g.10gb", "nvidia.com/mig-7g.80gb", "amd.com/gpu",
    "gpu.intel.com/i915", "habana.ai/gaudi", "google.com/tpu", "furiosa.ai/rngd",
    "rebellions.ai/ATOM", "tenstorrent.com/n300", "nvidia.com/gpu.shared"])
def test_accelerator_resources(name: str) -> None:
    assert is_accelerator(name)


@pytest.mark.parametrize("name", [
    "cpu", "memory", "example.com/sriov-nic", "nvidia.com/gpux", "hugepages-2Mi",
    "NVIDIA.COM/GPU", "nvidia.com/mig", "xnvidia.com/gpu"])
def test_other_resources_are_not_accelerators(name: str) -> None:
    assert not is_accelerator(name)


@pytest.mark.parametrize(("raw", "expected"), [
    ("GPU-0123abcd-1111", "GPU-0123abcd-1111"),
    ("GPU-0123abcd-1111::3", "GPU-0123abcd-1111"),
    ("MIG-0123abcd", "MIG-0123abcd"),
    ("0000:3b:00.0", "0000:3b:00.0"),
    ("card1-0", "card1-0"),
    ("", None), (" GPU-1", None), ("GPU-1\n", None), ("GPU 1", None), ("::0", None),
    ("x" * 129, None), ("GPU-\x00", None), ("ГПУ", None),
])
def test_device_ids_are_checked_and_replicas_name_their_gpu(raw: str,
                                                            expected: str | None) -> None:
    assert device_id(raw) == expected


@pytest.mark.parametrize(("name", "namespace", "container"), [
    ("Train", "ml", "main"), ("train_0", "ml", "main"), ("-train", "ml", "main"),
    ("t" * 254, "ml", "main"), ("", "ml", "main"), ("train\n", "ml", "main"),
    ("train", "ML", "main"), ("train", "n" * 64, "main"), ("train", "", "main"),
    ("train", "ml", "c" * 64), ("train", "ml", ""), ("train", "ml", "main.1"),
    ("train", "ml", "\u202emain"),
])
def test_a_pod_with_a_name_kubernetes_would_refuse_labels_nothing(
        name: str, namespace: str, container: str) -> None:
    response = ListPodResourcesResponse(pod_resources=[PodResources(
        name=name, namespace=namespace, containers=[ContainerResources(
            name=container, devices=[devices("nvidia.com/gpu", GPU[0])])])])
    assert device_map(response) == {}


def test_the_longest_names_kubernetes_allows_are_kept() -> None:
    name, namespace, container = "p" * 253, "n" * 63, "c" * 63
    response = ListPodResourcesResponse(pod_resources=[PodResources(
        name=name, namespace=namespace, containers=[ContainerResources(
            name=container, devices=[devices("nvidia.com/gpu", GPU[0])])])])
    assert device_map(response) == {GPU[0]: (held(namespace, name, container),)}


def test_pods_past_the_cap_are_not_read() -> None:
    count = pod_resources.MAX_PODS + 5
    response = ListPodResourcesResponse(pod_resources=[
        pod(f"p{i}", "ml", main=[devices("nvidia.com/gpu", f"GPU-{i}")]) for i in range(count)])
    found = device_map(response)
    assert len(found) == pod_resources.MAX_PODS
    assert f"GPU-{pod_resources.MAX_PODS - 1}" in found and f"GPU-{count - 1}" not in found


def test_device_ids_past_the_cap_are_not_kept() -> None:
    count = pod_resources.MAX_DEVICES + 10
    ids = [f"GPU-{i}" for i in range(count)]
    response = ListPodResourcesResponse(pod_resources=[
        pod(f"p{i}", "ml", main=[devices("nvidia.com/gpu", *ids[i::8])]) for i in range(8)])
    assert len(device_map(response)) == pod_resources.MAX_DEVICES


def test_one_container_listed_twice_on_a_device_is_one_holder() -> None:
    twice = [devices("nvidia.com/gpu", GPU[0], GPU[0]), devices("nvidia.com/gpu", GPU[0])]
    response = ListPodResourcesResponse(pod_resources=[pod("a", "ml", main=twice)])
    assert device_map(response) == {GPU[0]: (held("ml", "a", "main"),)}


def test_allocatable_skips_malformed_ids_and_resource_names() -> None:
    response = node_allocatable()
    response.devices.append(devices("nvidia.com/gpu", "bad id", "GPU-extra"))
    response.devices.append(devices("nvidia.com/gpu/../x", "GPU-hidden"))
    found = allocatable_map(response)
    assert found["nvidia.com/gpu"][-1] == "GPU-extra" and "bad id" not in found["nvidia.com/gpu"]
    assert all("GPU-hidden" not in ids for ids in found.values())


def test_an_absent_socket_is_a_reason_not_an_error(sock_dir: Path) -> None:
    path = str(sock_dir / "kubelet.sock")
    assert unavailable_reason(path) == f"no kubelet pod-resources socket at {path}"
    client = PodResourcesClient(path)
    try:
        with pytest.raises(PodResourcesError, match="no kubelet pod-resources socket"):
            client.list_devices()
    finally:
        client.close()


def test_a_regular_file_or_a_directory_is_not_a_socket(sock_dir: Path) -> None:
    regular = sock_dir / "kubelet.sock"
    regular.write_text("not a socket")
    assert unavailable_reason(str(regular)) == f"{regular} is not a socket"
    assert unavailable_reason(str(sock_dir)) == f"{sock_dir} is not a socket"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may connect to any socket")
def test_a_socket_we_may_not_write_says_so(sock_dir: Path) -> None:
    with serving(sock_dir / "kubelet.sock", node_pods()) as path:
        path.chmod(0o400)
        reason = unavailable_reason(str(path))
    assert reason is not None and reason.startswith("no permission to connect")


def test_without_grpcio_there_is_a_reason_and_no_client(monkeypatch: pytest.MonkeyPatch,
                                                        sock_dir: Path) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "grpc" else real(name, *a))
    with serving(sock_dir / "kubelet.sock", node_pods()) as path:
        reason = unavailable_reason(str(path))
        with pytest.raises(PodResourcesError, match="grpcio is not installed"):
            PodResourcesClient(str(path))
    assert reason == "grpcio is not installed (pip install 'allsmi-py[kubernetes]')"
