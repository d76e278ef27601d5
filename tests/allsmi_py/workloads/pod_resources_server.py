"""A real kubelet-style pod-resources gRPC server on a unix socket, for the client tests.

`list_answer` and `allocatable_answer` say what List and GetAllocatableResources do: a
response message, raw bytes (sent as they are: garbage on the wire) or a callable run in the
handler (to hang). `junk_socket` is a plain socket that writes junk to whoever connects.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from pathlib import Path

import grpc

from allsmi_py.workloads.pod_resources_pb2 import (
    AllocatableResourcesResponse,
    ContainerDevices,
    ContainerResources,
    ListPodResourcesResponse,
    NUMANode,
    PodResources,
    TopologyInfo,
)

Answer = (ListPodResourcesResponse | AllocatableResourcesResponse | bytes
          | Callable[[grpc.ServicerContext], bytes])

GPU = [f"GPU-{i:08x}-1111-2222-3333-44445555666{i}" for i in range(8)]
MIG = [f"MIG-{i:08x}-aaaa-bbbb-cccc-ddddeeeeffff" for i in range(3)]


def devices(resource: str, *ids: str, numa: int = 0) -> ContainerDevices:
    """A container's allocation of one device plugin resource."""
    return ContainerDevices(resource_name=resource, device_ids=list(ids),
                            topology=TopologyInfo(nodes=[NUMANode(ID=numa)]))


def pod(name: str, namespace: str, **containers: list[ContainerDevices]) -> PodResources:
    """A pod whose containers (name -> allocations) hold devices."""
    return PodResources(name=name, namespace=namespace, containers=[
        ContainerResources(name=c.replace("_", "-"), devices=d, cpu_ids=[2, 3])
        for c, d in containers.items()])


def node_pods() -> ListPodResourcesResponse:
    """Whole GPUs, MIG slices, a time-sliced GPU, another vendor's device and a CPU-only pod."""
    return ListPodResourcesResponse(pod_resources=[
        pod("train-0", "ml", trainer=[devices("nvidia.com/gpu", GPU[0], GPU[1])],
            sidecar=[]),
        pod("infer-7f9c", "serving", server=[devices("nvidia.com/mig-1g.10gb", MIG[0]),
                                             devices("nvidia.com/mig-3g.40gb", MIG[1])]),
        pod("shared-a", "team-a", main=[devices("nvidia.com/gpu.shared", GPU[2] + "::0")]),
        pod("shared-b", "team-b", main=[devices("nvidia.com/gpu.shared", GPU[2] + "::1")]),
        pod("npu-job", "research", worker=[devices("rebellions.ai/ATOM", "rbln0")]),
        pod("nic-user", "net", app=[devices("example.com/sriov-nic", "0000:3b:00.1")]),
        pod("web", "default", nginx=[]),
    ])


def node_allocatable() -> AllocatableResourcesResponse:
    """What the device plugins registered: 8 GPUs, 3 MIG slices, one NPU, one NIC."""
    return AllocatableResourcesResponse(devices=[
        devices("nvidia.com/gpu", *GPU[:2], *GPU[3:]),
        devices("nvidia.com/mig-1g.10gb", MIG[0], MIG[2]),
        devices("nvidia.com/mig-3g.40gb", MIG[1]),
        devices("nvidia.com/gpu.shared", GPU[2] + "::0", GPU[2] + "::1"),
        devices("rebellions.ai/ATOM", "rbln0"),
        devices("example.com/sriov-nic", "0000:3b:00.1"),
    ], cpu_ids=list(range(16)))


def hang(seconds: float) -> Callable[[grpc.ServicerContext], bytes]:
    """An answer that comes `seconds` late, or never once the client has given up."""
    def answer(context: grpc.ServicerContext) -> bytes:
        done = threading.Event()
        context.add_callback(done.set)
        done.wait(seconds)
        return b""
    return answer


def _handler(answer: Answer) -> Callable[[bytes, grpc.ServicerContext], bytes]:
    def handle(request: bytes, context: grpc.ServicerContext) -> bytes:
        if callable(answer):
            return answer(context)
        if isinstance(answer, bytes):
            return answer
        return answer.SerializeToString()
    return handle


@contextmanager
def serving(path: Path, list_answer: Answer,
            allocatable_answer: Answer | None = None) -> Iterator[Path]:
    """Serve v1.PodResourcesLister on the unix socket `path`; yields the path."""
    identity: Callable[[bytes], bytes] = lambda raw: raw  # noqa: E731
    methods = {
        "List": grpc.unary_unary_rpc_method_handler(
            _handler(list_answer), request_deserializer=identity, response_serializer=identity),
        "GetAllocatableResources": grpc.unary_unary_rpc_method_handler(
            _handler(allocatable_answer if allocatable_answer is not None
                     else node_allocatable()),
            request_deserializer=identity, response_serializer=identity),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4),
                         options=[("grpc.max_send_message_length", 64 * 1024 * 1024)])
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("v1.PodResourcesLister", methods),))
    server.add_insecure_port(f"unix:{path}")
    server.start()
    try:
        yield path
    finally:
        server.stop(grace=0)


@contextmanager
def junk_socket(path: Path, junk: bytes = b"\x00\xffNOT-HTTP2\r\n" * 64) -> Iterator[Path]:
    """A plain unix socket that writes `junk` to each client and closes."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(8)
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.sendall(junk)
                except OSError:
                    pass
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()
