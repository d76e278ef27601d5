"""THE table of exported metrics: all-smi's names, help, type, labels, and how to read each.

The renderer and the prometheus-client collector write from it; the remote parser inverts
it (`BY_NAME[name].field` and `.scale` say which model field a sample sets back:
`field = value / scale`; `age` marks a value that is `taken_at_s - field`). Names and
labels follow all-smi's code as recorded in `../shared/reference/allsmi-inventory.md`
section 3. A getter returning None leaves the sample out: absent means "not reported".
The families are declared by scope: `device` (every device, and MIG), `npu` (the NPU
vendors' own), `host` (exporter status, processes, CPU, memory, disk, energy).
"""

from __future__ import annotations

from allsmi_py.exporter.schema.apple_cpu import APPLE_CPU
from allsmi_py.exporter.schema.chassis import CHASSIS
from allsmi_py.exporter.schema.device import (
    DEVICE,
    GPU_INFO_LABELS,
    MIG,
    NVLINK_STATE,
    device_type,
)
from allsmi_py.exporter.schema.environment import ENVIRONMENT
from allsmi_py.exporter.schema.host import DEVICE_ENERGY_COUNTER, ENERGY, HOST, PROCESS, STATUS
from allsmi_py.exporter.schema.npu import NPU
from allsmi_py.exporter.schema.spec import MetricSpec
from allsmi_py.exporter.schema.state import STATE
from allsmi_py.exporter.schema.workload import WORKLOAD

__all__ = ["BY_NAME", "ENERGY", "GPU_INFO_LABELS", "OWN_NAMES", "PROCESS_SCOPES", "SCHEMA",
           "STATUS", "MetricSpec", "device_type", "specs"]

# all-smi's family order: status, GPU, NPU, process, CPU, memory, disk, MIG, energy; then ours
SCHEMA: tuple[MetricSpec, ...] = (*STATUS, *DEVICE, *NPU, *PROCESS, *HOST, *APPLE_CPU, *MIG,
                                  *ENVIRONMENT, *CHASSIS, *ENERGY,
                                  *DEVICE_ENERGY_COUNTER, *NVLINK_STATE)
OWN_NAMES = frozenset(spec.name for spec in (*DEVICE_ENERGY_COUNTER, *NVLINK_STATE))
"""Families of our own: named so that they can never collide with one of all-smi's."""
# then the device and backend states and the collection times (schema/state.py), and the
# pods that hold each device (schema/workload.py)
SCHEMA = (*SCHEMA, *STATE, *WORKLOAD)
OWN_NAMES |= {spec.name for spec in SCHEMA if spec.name.startswith("allsmi_")}
BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in SCHEMA}
PROCESS_SCOPES = frozenset({"process"})


def specs(include_processes: bool = False) -> tuple[MetricSpec, ...]:
    """The families to export; process families only when asked for (all-smi's --processes)."""
    if include_processes:
        return SCHEMA
    return tuple(s for s in SCHEMA if s.scope not in PROCESS_SCOPES)
