"""Who holds a process or a device: its container and, under Kubernetes, its pod.

Apart from model.py only for its size; `allsmi_py.model` re-exports it. A process gets one
from its cgroup (`allsmi_py.workloads`), a device one per pod container the kubelet's
pod-resources API says holds it (time-sliced GPUs can have several).
"""

from __future__ import annotations

from dataclasses import dataclass

WORKLOAD_RUNTIMES = ("docker", "containerd", "cri-o", "podman", "lxc")


@dataclass(frozen=True, slots=True)
class WorkloadReading:
    """A container (and its pod) as far as it could be told without privileges the user lacks."""

    runtime: str | None = None  # one of WORKLOAD_RUNTIMES
    container_id: str | None = None  # the runtime's full id (64 hex); an LXC container's name
    container: str | None = None  # the container's name (runtime API, or the kubelet's)
    pod_uid: str | None = None
    pod: str | None = None
    namespace: str | None = None

    @property
    def short_id(self) -> str | None:
        """The first 12 characters of the id, as docker ps and all-smi show it."""
        return self.container_id[:12] if self.container_id else None

    @property
    def label(self) -> str | None:
        """How a table names it: namespace/pod, else the container's name or short id."""
        if self.pod:
            return f"{self.namespace}/{self.pod}" if self.namespace else self.pod
        return self.container or self.short_id
