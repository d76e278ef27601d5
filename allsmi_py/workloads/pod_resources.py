"""A client of the kubelet's pod-resources API: which pod container holds each accelerator.

The kubelet answers `v1.PodResourcesLister` over a unix socket (dcgm-exporter reads the same):
`List` gives every pod's containers with the device ids their device plugins allocated,
`GetAllocatableResources` every device the plugins registered. gRPC and protobuf are the
optional `kubernetes` extra, imported only when a client is made; without them, or without
the socket, `unavailable_reason` says why in one line and nothing is labelled. Each call has
a deadline and each answer a size cap; every name and id is checked before it is kept.
"""

from __future__ import annotations

import importlib.util
import os
import re
import stat
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from allsmi_py.model_workload import WorkloadReading
from allsmi_py.settings import SCHEMA

if TYPE_CHECKING:
    from allsmi_py.workloads.pod_resources_pb2 import (
        AllocatableResourcesResponse,
        ContainerDevices,
        ListPodResourcesResponse,
    )

SOCKET_PATH: str = SCHEMA["kubernetes"]["pod_resources_socket"].default
LIST_METHOD = "/v1.PodResourcesLister/List"
ALLOCATABLE_METHOD = "/v1.PodResourcesLister/GetAllocatableResources"
DEADLINE_S = 1.0
# 100 pods x 8 GPUs is ~20 KB; a node at the kubelet's 110-pod default stays far below this.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
MAX_PODS = 1000
MAX_CONTAINERS_PER_POD = 100
MAX_RESOURCES_PER_CONTAINER = 64
MAX_IDS_PER_RESOURCE = 1024  # 8 GPUs x 7 MIG slices x time-slicing replicas stays under it
MAX_DEVICES = 4096  # distinct device ids in one map

# The device plugin resources whose ids name accelerators, as fnmatch patterns. NVIDIA's
# ids are GPU UUIDs (GPU-...), MIG UUIDs (MIG-...) under the mixed strategy's per-profile
# names, and UUID::replica under time-slicing (gpu.shared when renamed).
ACCELERATOR_RESOURCES = (
    "nvidia.com/gpu", "nvidia.com/gpu.shared", "nvidia.com/mig-*",
    "amd.com/gpu", "gpu.intel.com/i915", "gpu.intel.com/xe", "habana.ai/gaudi",
    "google.com/tpu", "furiosa.ai/*", "rebellions.ai/*", "tenstorrent.com/*",
)
NO_PERMISSION = "no permission to connect to"
REPLICA_SEPARATOR = "::"  # NVIDIA time-slicing: GPU-<uuid>::<replica>

# Kubernetes names: a pod is a DNS subdomain (253), a namespace and a container DNS labels (63).
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_RESOURCE = re.compile(r"[A-Za-z0-9][-A-Za-z0-9_.]{0,252}/[-A-Za-z0-9_.]{1,63}")
_DEVICE_ID = re.compile(r"[A-Za-z0-9][-A-Za-z0-9_.:/]{0,127}")

DeviceMap = Mapping[str, tuple[WorkloadReading, ...]]


class PodResourcesError(Exception):
    """One line saying why the kubelet gave no answer we could use."""


def is_accelerator(resource_name: str) -> bool:
    """Whether a device plugin resource names accelerators (ACCELERATOR_RESOURCES)."""
    return any(fnmatchcase(resource_name, pattern) for pattern in ACCELERATOR_RESOURCES)


def device_id(raw: str) -> str | None:
    """The device an allocated id names (a time-slicing replica's GPU), or None if malformed."""
    if not isinstance(raw, str) or not _DEVICE_ID.fullmatch(raw):
        return None
    return raw.split(REPLICA_SEPARATOR, 1)[0] or None


def grpc_missing() -> str | None:
    for module, package in (("grpc", "grpcio"), ("google.protobuf", "protobuf")):
        try:
            if importlib.util.find_spec(module) is None:
                return f"{package} is not installed (pip install 'allsmi-py[kubernetes]')"
        except (ImportError, ValueError):
            return f"{package} cannot be imported"
    return None


def socket_problem(socket_path: str) -> str | None:
    """Why `socket_path` is not a socket we can talk to, or None if it looks like one."""
    try:
        mode = os.stat(socket_path).st_mode
    except FileNotFoundError:
        return f"no kubelet pod-resources socket at {socket_path}"
    except OSError as exc:
        return f"cannot see {socket_path}: {exc.strerror or type(exc).__name__}"
    if not stat.S_ISSOCK(mode):
        return f"{socket_path} is not a socket"
    if not os.access(socket_path, os.W_OK):
        return f"{NO_PERMISSION} {socket_path} (the kubelet's socket is root's)"
    return None


def unavailable_reason(socket_path: str = SOCKET_PATH) -> str | None:
    """Why pods cannot be read here (no grpcio, no socket), or None when they can be tried."""
    return grpc_missing() or socket_problem(socket_path)


def _containers(response: ListPodResourcesResponse) -> Iterator[tuple[str, str, str, Any]]:
    """(pod, namespace, container, devices) of each container whose names are valid."""
    for pod in response.pod_resources[:MAX_PODS]:
        if not _SUBDOMAIN.fullmatch(pod.name) or not _LABEL.fullmatch(pod.namespace):
            continue
        for container in pod.containers[:MAX_CONTAINERS_PER_POD]:
            if _LABEL.fullmatch(container.name):
                yield pod.name, pod.namespace, container.name, container.devices


def _accelerator_ids(devices: Any) -> list[str]:
    ids: list[str] = []
    for entry in devices[:MAX_RESOURCES_PER_CONTAINER]:
        if _RESOURCE.fullmatch(entry.resource_name) and is_accelerator(entry.resource_name):
            ids.extend(filter(None, map(device_id, entry.device_ids[:MAX_IDS_PER_RESOURCE])))
    return ids


def device_map(response: ListPodResourcesResponse) -> dict[str, tuple[WorkloadReading, ...]]:
    """Device id -> the pod containers that hold it (several when a GPU is time-sliced)."""
    holders: dict[str, dict[WorkloadReading, None]] = {}
    for pod, namespace, container, devices in _containers(response):
        reading = WorkloadReading(container=container, pod=pod, namespace=namespace)
        for device in _accelerator_ids(devices):
            if device in holders or len(holders) < MAX_DEVICES:
                holders.setdefault(device, {})[reading] = None
    return {device: tuple(readings) for device, readings in holders.items()}


def allocatable_map(response: AllocatableResourcesResponse) -> dict[str, tuple[str, ...]]:
    """Accelerator resource name -> the device ids the kubelet can allocate of it."""
    found: dict[str, dict[str, None]] = {}
    entries: list[ContainerDevices] = list(response.devices[:MAX_DEVICES])
    for entry in entries:
        if _RESOURCE.fullmatch(entry.resource_name) and is_accelerator(entry.resource_name):
            ids = filter(None, map(device_id, entry.device_ids[:MAX_IDS_PER_RESOURCE]))
            found.setdefault(entry.resource_name, {}).update(dict.fromkeys(ids))
    return {name: tuple(ids) for name, ids in sorted(found.items())}


def _rpc_reason(method: str, exc: Any, deadline_s: float) -> str:
    """One line for a failed call; `exc` is a grpc.RpcError, which is a grpc.Call when raised
    by a call (code and details), and a bare error otherwise."""
    code = getattr(exc.code(), "name", "error") if callable(getattr(exc, "code", None)) else None
    what = method.rsplit("/", 1)[-1]
    if code == "DEADLINE_EXCEEDED":
        return f"the kubelet did not answer {what} within {deadline_s:g} s"
    if code == "RESOURCE_EXHAUSTED":
        return f"the kubelet's {what} answer is over {MAX_MESSAGE_BYTES // 2**20} MiB"
    details = exc.details() if callable(getattr(exc, "details", None)) else None
    text = " ".join(str(details or code or type(exc).__name__).split())[:120]
    return f"kubelet {what} failed: {code or 'error'}: {text}"


class PodResourcesClient:
    """One channel to the kubelet's socket (gRPC reconnects it by itself) and its two calls."""

    def __init__(self, socket_path: str = SOCKET_PATH, deadline_s: float = DEADLINE_S) -> None:
        missing = grpc_missing()
        if missing:
            raise PodResourcesError(missing)
        import grpc

        from allsmi_py.workloads import pod_resources_pb2 as pb2

        self.socket_path = socket_path
        self.deadline_s = deadline_s
        self._grpc = grpc
        self._channel = grpc.insecure_channel("unix:" + os.path.abspath(socket_path), options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", 1024),
            ("grpc.enable_retries", 0),
            ("grpc.initial_reconnect_backoff_ms", 1000),
            ("grpc.max_reconnect_backoff_ms", 10_000),  # a restarted kubelet is seen soon
        ])
        self._list = self._channel.unary_unary(
            LIST_METHOD, request_serializer=pb2.ListPodResourcesRequest.SerializeToString,
            response_deserializer=pb2.ListPodResourcesResponse.FromString)
        self._allocatable = self._channel.unary_unary(
            ALLOCATABLE_METHOD,
            request_serializer=pb2.AllocatableResourcesRequest.SerializeToString,
            response_deserializer=pb2.AllocatableResourcesResponse.FromString)
        self._pb2 = pb2

    def _call(self, method: str, call: Any, request: Any) -> Any:
        problem = socket_problem(self.socket_path)
        if problem:
            raise PodResourcesError(problem)
        try:
            return call(request, timeout=self.deadline_s)
        except self._grpc.RpcError as exc:
            raise PodResourcesError(_rpc_reason(method, exc, self.deadline_s)) from None
        except ValueError:  # the channel was closed under the call: we are closing
            raise PodResourcesError("the pod-resources client is closed") from None

    def list_devices(self) -> dict[str, tuple[WorkloadReading, ...]]:
        """Device id -> pod containers now; PodResourcesError with the reason when not."""
        response = self._call(LIST_METHOD, self._list, self._pb2.ListPodResourcesRequest())
        return device_map(response)

    def allocatable(self) -> dict[str, tuple[str, ...]]:
        """Accelerator resource -> allocatable device ids; PodResourcesError when not."""
        response = self._call(ALLOCATABLE_METHOD, self._allocatable,
                              self._pb2.AllocatableResourcesRequest())
        return allocatable_map(response)

    def close(self) -> None:
        """Close the channel; a call in flight ends with PodResourcesError."""
        self._channel.close()
