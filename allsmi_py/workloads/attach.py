"""Puts containers and pods on a tick's readings: processes from their cgroups, devices from
the kubelet's pod-resources map, names from the kubelet's log folders and the runtime's API.

Called by the collector once per tick, after every backend has read. A backend that
simulates its processes (the mock) sets its own workloads and is left alone; a workload a
backend set is never overwritten. Every step answers from caches or files under /proc, never
from a socket: the pod-resources map and the runtime's names come from threads of their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from allsmi_py.model import DeviceReading, ProcessReading
from allsmi_py.model_workload import WorkloadReading
from allsmi_py.workloads.kubelet_names import KubeletNames
from allsmi_py.workloads.processes import ProcessWorkloads
from allsmi_py.workloads.runtime_names import RuntimeNames

DeviceWorkloads = Mapping[str, tuple[WorkloadReading, ...]]
Holders = tuple[WorkloadReading, ...]
MAX_WORKLOADS_PER_DEVICE = 64
NAMES_KEPT_S = 10.0  # as long as the kubelet's names are: then names are asked for again
MAX_NAMED = 65_536


class DeviceWorkloadSource(Protocol):
    """Who holds each device (`workloads.pod_resources_watch.PodResourcesWatcher`)."""

    def device_workloads(self) -> DeviceWorkloads:
        """Device id as the device plugin reports it (GPU-..., MIG-...) -> pod containers."""
        ...

    def close(self) -> None:
        """Stop reading (the collector's close calls it)."""
        ...


class WorkloadAttacher:
    """Fills `ProcessReading.workload` and `DeviceReading.workloads` on a tick's readings."""

    def __init__(self, processes: ProcessWorkloads | None = None,
                 kubelet_names: KubeletNames | None = None,
                 runtime_names: RuntimeNames | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.processes = processes
        self.kubelet_names = kubelet_names
        self.runtime_names = runtime_names
        self._clock = clock
        # A cgroup's workload and its device's holders -> the named, joined workload: a
        # steady process then costs two dict lookups and one copy per tick.
        self._named: dict[tuple[WorkloadReading, Holders], WorkloadReading] = {}
        self._named_at = clock()
        self._runtime_version = -1

    @classmethod
    def on_host(cls, root: str = "/") -> WorkloadAttacher:
        """Everything this host offers: cgroups, the kubelet's logs, Docker/Podman sockets."""
        return cls(ProcessWorkloads(root), KubeletNames(root), RuntimeNames())

    def attach(self, devices: Sequence[DeviceReading], simulated_backends: Collection[str],
               pod_devices: DeviceWorkloadSource | None = None) -> list[DeviceReading]:
        """`devices` with their workloads and their processes' workloads filled in."""
        device_map = _device_map(pod_devices)
        self._expire_names()
        result = [device if device.backend in simulated_backends
                  else self._attach_device(device, device_map) for device in devices]
        if self.processes is not None:
            self.processes.forget_unseen()
        return result

    def close(self) -> None:
        """Stop the runtime-name lookups' thread."""
        if self.runtime_names is not None:
            self.runtime_names.close()

    def _expire_names(self) -> None:
        version = self.runtime_names.version if self.runtime_names is not None else 0
        now = self._clock()
        if (version != self._runtime_version or now - self._named_at >= NAMES_KEPT_S
                or len(self._named) >= MAX_NAMED):
            self._named = {}
            self._named_at = now
            self._runtime_version = version

    def _attach_device(self, device: DeviceReading, device_map: DeviceWorkloads) -> DeviceReading:
        holders = device.workloads or _holders(device, device_map)
        processes = device.processes
        if self.processes is not None and processes:
            processes = tuple(self._attach_process(p, holders) for p in processes)
        if holders == device.workloads and all(
                new is old for new, old in zip(processes, device.processes, strict=True)):
            return device
        return replace(device, workloads=holders, processes=processes)

    def _attach_process(self, process: ProcessReading, holders: Holders) -> ProcessReading:
        assert self.processes is not None
        if process.workload is not None:
            return process
        found = self.processes.workload(process.pid, process.started_at_s)
        if found is None:
            return process
        workload = self._named.get((found, holders))
        if workload is None:
            workload = self._named[(found, holders)] = _joined(self._with_names(found), holders)
        return replace(process, workload=workload)

    def _with_names(self, workload: WorkloadReading) -> WorkloadReading:
        if self.kubelet_names is not None:
            workload = self.kubelet_names.fill(workload)
        if workload.container is None and self.runtime_names is not None:
            name = self.runtime_names.name(workload.runtime, workload.container_id)
            if name is not None:
                workload = replace(workload, container=name)
        return workload


def _device_map(source: DeviceWorkloadSource | None) -> DeviceWorkloads:
    if source is None:
        return {}
    try:
        found = source.device_workloads()
    except Exception:  # noqa: BLE001 - another part's bug must not stop a tick
        return {}
    return found if isinstance(found, Mapping) else {}


def _holders(device: DeviceReading, device_map: DeviceWorkloads) -> Holders:
    """The pod containers holding the device: the whole GPU's and each MIG instance's."""
    if not device_map:
        return ()
    ids = [device.uuid, *(mig.uuid for mig in device.mig_instances)]
    holders: list[WorkloadReading] = []
    for device_id in ids:
        entries = device_map.get(device_id, ())
        if not isinstance(entries, tuple):
            continue
        for entry in entries:
            if isinstance(entry, WorkloadReading) and entry not in holders:
                holders.append(entry)
    return tuple(holders[:MAX_WORKLOADS_PER_DEVICE])


def _joined(workload: WorkloadReading, holders: Holders) -> WorkloadReading:
    """A pod process without a pod name, on a device one pod container holds: that one's names."""
    if workload.pod is not None or workload.pod_uid is None or len(holders) != 1:
        return workload
    holder = holders[0]
    if holder.pod is None or (holder.pod_uid is not None and holder.pod_uid != workload.pod_uid):
        return workload
    return replace(workload, pod=holder.pod, namespace=workload.namespace or holder.namespace,
                   container=workload.container or holder.container)
