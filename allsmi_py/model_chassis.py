"""The host's chassis and where it runs, as read in one tick (part of the shared model).

Apart from model.py only for its size; `allsmi_py.model` re-exports these, and HostReading
holds them (`chassis`, `environment`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChassisFan:
    """One chassis fan as the BMC names it."""

    fan_id: str
    name: str
    speed_rpm: float


@dataclass(frozen=True, slots=True)
class ChassisReading:
    """The machine's chassis: DMI's names, inlet and outlet air, and its whole power."""

    product_name: str | None = None
    vendor: str | None = None
    board: str | None = None
    version: str | None = None
    bios_version: str | None = None
    platform: str | None = None  # "Linux"
    inlet_c: float | None = None
    outlet_c: float | None = None
    power_w: float | None = None  # the BMC's system power; None without one
    sensor_source: str | None = None  # "ipmi" (the BMC) or "acpi" (thermal zones)
    fans: tuple[ChassisFan, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EnvironmentReading:
    """Where the host runs: its container (runtime, id, Kubernetes pod) and its VM."""

    container_runtime: str | None = None  # "Docker", "Kubernetes", ... as runtime_environment
    container_id: str | None = None  # the first 12 hex characters, as all-smi shows it
    pod_name: str | None = None
    namespace: str | None = None
    vm_type: str | None = None  # all-smi's names: "KVM", "AWS EC2", "Google Cloud" ...
    hypervisor: str | None = None
