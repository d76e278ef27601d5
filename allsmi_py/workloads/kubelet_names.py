"""Pod, namespace and container names from the kubelet's log folders, without privileges.

The kubelet names every container's log after it (Kubernetes "Logging architecture", and the
CRI logging design): `/var/log/containers/<pod>_<namespace>_<container>-<id>.log` (a symlink)
and one folder per pod, `/var/log/pods/<namespace>_<pod>_<uid>/`. Pod, namespace and container
names are DNS names, which never hold `_`, so the names split without doubt. Only the entry
names are read (never a link followed), at most every RESCAN_S and at most MAX_ENTRIES each.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from allsmi_py.model_workload import WorkloadReading

RESCAN_S = 10.0
MAX_ENTRIES = 10_000
CONTAINERS_DIR = "var/log/containers"
PODS_DIR = "var/log/pods"

_DNS_NAME = re.compile(r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?")
_CONTAINER_LOG = re.compile(r"([^_]+)_([^_]+)_([^_]+)-([0-9a-f]{64})\.log")
_UID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True, slots=True)
class KubeletContainer:
    """One container the kubelet logs for: its pod, namespace and name."""

    pod: str
    namespace: str
    container: str


@dataclass(frozen=True, slots=True)
class KubeletPod:
    """One pod the kubelet keeps a log folder for."""

    pod: str
    namespace: str


def parse_container_log_name(name: str) -> tuple[str, KubeletContainer] | None:
    """(container id, names) from a /var/log/containers entry's name, or None."""
    found = _CONTAINER_LOG.fullmatch(name)
    if found is None or not all(_DNS_NAME.fullmatch(found.group(i)) for i in (1, 2, 3)):
        return None
    return found.group(4), KubeletContainer(found.group(1), found.group(2), found.group(3))


def parse_pod_dir_name(name: str) -> tuple[str, KubeletPod] | None:
    """(pod uid, names) from a /var/log/pods entry's name, or None."""
    parts = name.split("_")
    if len(parts) != 3 or not _UID.fullmatch(parts[2]):
        return None
    namespace, pod = parts[0], parts[1]
    if not (_DNS_NAME.fullmatch(namespace) and _DNS_NAME.fullmatch(pod)):
        return None
    return parts[2], KubeletPod(pod, namespace)


class KubeletNames:
    """The kubelet's names under `root` (a DaemonSet mounts /var/log), re-read every RESCAN_S."""

    def __init__(self, root: str = "/", rescan_s: float = RESCAN_S,
                 max_entries: int = MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._containers_dir = os.path.join(root, CONTAINERS_DIR)
        self._pods_dir = os.path.join(root, PODS_DIR)
        self._rescan_s = rescan_s
        self._max_entries = max_entries
        self._clock = clock
        self._scanned_at: float | None = None
        self._containers: dict[str, KubeletContainer] = {}
        self._pods: dict[str, KubeletPod] = {}

    def container(self, container_id: str) -> KubeletContainer | None:
        """The names of the container with this full id, if the kubelet logs for it."""
        self._refresh()
        return self._containers.get(container_id)

    def pod(self, pod_uid: str) -> KubeletPod | None:
        """The name and namespace of the pod with this uid, if the kubelet logs for it."""
        self._refresh()
        return self._pods.get(pod_uid)

    def fill(self, workload: WorkloadReading) -> WorkloadReading:
        """`workload` with the pod, namespace and container names it lacks, where known."""
        changes: dict[str, str] = {}
        if workload.container_id and (known := self.container(workload.container_id)):
            changes = {"pod": known.pod, "namespace": known.namespace,
                       "container": known.container}
        elif workload.pod_uid and (pod := self.pod(workload.pod_uid)):
            changes = {"pod": pod.pod, "namespace": pod.namespace}
        missing = {key: value for key, value in changes.items() if getattr(workload, key) is None}
        return replace(workload, **missing) if missing else workload

    def _refresh(self) -> None:
        now = self._clock()
        if self._scanned_at is not None and now - self._scanned_at < self._rescan_s:
            return
        self._scanned_at = now
        containers: dict[str, KubeletContainer] = {}
        for name in self._entry_names(self._containers_dir):
            if (parsed := parse_container_log_name(name)) is not None:
                containers[parsed[0]] = parsed[1]
        pods: dict[str, KubeletPod] = {}
        for name in self._entry_names(self._pods_dir):
            if (pod := parse_pod_dir_name(name)) is not None:
                pods[pod[0]] = pod[1]
        self._containers, self._pods = containers, pods

    def _entry_names(self, folder: str) -> list[str]:
        names: list[str] = []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if len(names) >= self._max_entries:
                        break
                    names.append(entry.name)
        except OSError:
            return []
        return names
