"""Panels of who uses the devices: GPU memory by Kubernetes namespace (issue 16 item 4).

The process families carry `pod`, `namespace`, `container` (empty outside a pod) when the
exporters run with `--processes`; they have no device model (`gpu`), so a model filter of
the dashboard joins the device families on the process's `gpu_index`.
"""

from __future__ import annotations

from grafana import Json, target, timeseries

PROCESS_MEMORY = "all_smi_process_memory_used_bytes"


def memory_by_namespace(processes: str, devices: str | None = None) -> Json:
    """Stacked device memory of the processes in each namespace; `processes` selects them,
    `devices` (a selector of all_smi_gpu_info) keeps only those devices' processes."""
    expr = f'{PROCESS_MEMORY}{{{processes}, namespace!=""}}'
    if devices is not None:
        expr += f" and on(job, instance, gpu_index) all_smi_gpu_info{{{devices}}}"
    return timeseries(
        "GPU memory by namespace",
        "Device memory used by the processes of each Kubernetes namespace, stacked (from "
        "the process families' namespace label: exporters with --processes; processes "
        "outside a pod are left out).",
        [target(f"sum by (namespace) ({expr})", "{{namespace}}")], "bytes", min_=0,
        stack=True)
