"""MIG (multi-instance GPU) slices of one parent GPU."""

from __future__ import annotations

import re

from allsmi_py.model import MigInstanceReading
from backends.nvidia.identity import text
from backends.nvidia.nvml import DeviceCalls

# A MIG device's NVML name ends in its profile: "NVIDIA H100 80GB HBM3 MIG 3g.40gb".
_PROFILE = re.compile(r"(\d+g\.\d+gb(?:\+\w+)?)\s*$", re.IGNORECASE)


def profile_from_name(name: str | None) -> str | None:
    """'NVIDIA H100 80GB HBM3 MIG 1g.10gb' -> '1g.10gb'; None when the name has no profile."""
    if not name:
        return None
    match = _PROFILE.search(name)
    return match.group(1) if match else None


def mig_enabled(calls: DeviceCalls) -> bool | None:
    """The parent's current MIG mode; None on GPUs without MIG."""
    mode = calls.get("nvmlDeviceGetMigMode")
    if mode is None:
        return None
    return bool(mode[0] == calls.session.nvml.NVML_DEVICE_MIG_ENABLE)


def read_mig_instances(parent: DeviceCalls) -> tuple[MigInstanceReading, ...]:
    """Every MIG instance of the parent, in slot order (instances can come and go at runtime)."""
    slots = parent.static("nvmlDeviceGetMaxMigDeviceCount") or 0
    instances = []
    for slot in range(slots):
        handle = parent.get("nvmlDeviceGetMigDeviceHandleByIndex", slot, absent_ok=True)
        if handle is None:
            continue  # an empty slot answers NotFound
        calls = parent.session.device((parent.key, "mig", slot), handle)
        memory = calls.get("nvmlDeviceGetMemoryInfo")
        gi = calls.get("nvmlDeviceGetGpuInstanceId")
        ci = calls.get("nvmlDeviceGetComputeInstanceId")
        instances.append(
            MigInstanceReading(
                uuid=text(calls.get("nvmlDeviceGetUUID")) or "",
                profile=profile_from_name(text(calls.get("nvmlDeviceGetName"))),
                gpu_instance_id=None if gi is None else int(gi),
                compute_instance_id=None if ci is None else int(ci),
                memory_used_bytes=None if memory is None else int(memory.used),
                memory_total_bytes=None if memory is None else int(memory.total),
            )
        )
        parent.problems.extend(f"MIG {slot}: {p}" for p in calls.problems)
    return tuple(instances)
