"""The labels a process or a device gets for its container and pod (issue 16).

all-smi has none on its process families, so they follow dcgm-exporter's `pod`, `namespace`
and `container`, with `container_id` (all-smi's label name on its container_runtime_info)
for a container outside Kubernetes, whose name may be unknown. A device's pod containers
are our own family, one sample per (device, pod container): `allsmi_device_pod_info`.
"""

from __future__ import annotations

from dataclasses import dataclass

from allsmi_py.exporter.label_values import LABEL_CAPS, cap_label_value
from allsmi_py.model import DeviceReading, WorkloadReading

PROCESS_WORKLOAD_LABELS = ("pod", "namespace", "container", "container_id")
DEVICE_WORKLOAD_LABELS = ("pod", "namespace", "container")
# pod containers one device is written (and read back) with; a time-sliced GPU has a few
MAX_DEVICE_WORKLOADS = 64


@dataclass(frozen=True, slots=True)
class DeviceWorkloadItem:
    """One pod container a device is allocated to (the kubelet's pod-resources answer)."""

    device: DeviceReading
    workload: WorkloadReading


def workload_values(workload: WorkloadReading | None,
                    labels: tuple[str, ...] = PROCESS_WORKLOAD_LABELS) -> tuple[str, ...]:
    """The values of `labels` for a workload, capped; "" for what is not known (or no workload),
    so every sample of a family has the same label names."""
    if workload is None:
        return ("",) * len(labels)
    return tuple(cap_label_value(getattr(workload, label) or "", LABEL_CAPS[label])
                 for label in labels)


def device_workload_items(devices: tuple[DeviceReading, ...], hostname: str
                          ) -> list[tuple[tuple[str, ...], DeviceWorkloadItem]]:
    """Items of the device_workload scope: device labels (as the device scope's), then the pod's."""
    items: list[tuple[tuple[str, ...], DeviceWorkloadItem]] = []
    for i, d in enumerate(devices):
        seen: set[tuple[str, ...]] = set()  # one series per (device, pod container)
        for w in d.workloads:
            values = workload_values(w, DEVICE_WORKLOAD_LABELS)
            if values in seen or len(seen) >= MAX_DEVICE_WORKLOADS or not any(values):
                continue
            seen.add(values)
            items.append(((d.name, hostname, d.uuid, str(i), *values), DeviceWorkloadItem(d, w)))
    return items
