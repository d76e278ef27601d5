"""Our own family for who holds a device: one sample per pod container the kubelet gave it to.

dcgm-exporter puts `pod`, `namespace` and `container` on each of its GPU metrics; here they
are one info family instead (value 1), so the device families keep all-smi's label sets and
a time-sliced GPU shared by several pods has one series per pod, not copies of every metric:
`all_smi_gpu_utilization * on (gpu_uuid) group_left (pod, namespace) allsmi_device_pod_info`.
The process families carry the same labels per process (scopes.py, workload_items.py).
"""

from __future__ import annotations

from allsmi_py.exporter.schema.spec import MetricSpec

WORKLOAD: tuple[MetricSpec, ...] = (
    MetricSpec("allsmi_device_pod_info",
               "1 for each pod container the kubelet has allocated the device to", "gauge",
               "device_workload", lambda item: 1),
)
