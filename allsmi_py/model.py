"""The data model every part of allsmi-py shares.

One immutable snapshot flows one way: backends produce `DeviceReading`s, the collector
assembles a `NodeSnapshot`, and the TUI, exporter and mock server only read it. Remote mode
turns what a node serves back into the same `NodeSnapshot`.

Conventions: every numeric field names its unit; `None` means "not reported", never 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from allsmi_py.model_chassis import ChassisFan as ChassisFan  # re-exported: the model
from allsmi_py.model_chassis import ChassisReading as ChassisReading
from allsmi_py.model_chassis import EnvironmentReading as EnvironmentReading
from allsmi_py.model_workload import WorkloadReading as WorkloadReading
from allsmi_py.serialize import decode_json_as, dumps_json, from_plain, to_plain
from allsmi_py.topology import Topology

SNAPSHOT_FORMAT = "allsmi-py/snapshot/1"
"""Marker in every serialized NodeSnapshot, so remote mode can tell ours from all-smi's JSON."""

DEVICE_KINDS = ("gpu", "npu", "soc")
DEVICE_STATES = ("ok", "lost")
BACKEND_STATES = ("ok", "unavailable", "error", "lost")
NODE_STATES = ("ok", "timeout", "unreachable", "http_error", "bad_payload", "too_large",
               "slow", "waiting")  # the last two: the view's per-node schedule (remote/schedule.py)


@dataclass(frozen=True, slots=True)
class ProcessReading:
    """One process using one accelerator."""

    pid: int
    name: str | None = None
    user: str | None = None
    command: str | None = None
    process_type: str | None = None  # "compute", "graphics", "npu" ...
    gpu_memory_bytes: int | None = None
    gpu_utilization_pct: float | None = None
    cpu_pct: float | None = None
    host_memory_bytes: int | None = None
    started_at_s: float | None = None  # Unix time the process started
    ppid: int | None = None  # the parent's pid (the process table's tree view)
    workload: WorkloadReading | None = None  # its container and pod (allsmi_py.workloads)


@dataclass(frozen=True, slots=True)
class MigInstanceReading:
    """One MIG (multi-instance GPU) slice of a parent GPU."""

    uuid: str
    profile: str | None = None
    gpu_instance_id: int | None = None
    compute_instance_id: int | None = None
    memory_used_bytes: int | None = None
    memory_total_bytes: int | None = None
    utilization_pct: float | None = None
    memory_utilization_pct: float | None = None


@dataclass(frozen=True, slots=True)
class NvLinkReading:
    """One NvLink of a GPU: whether it is up, what it reaches and its line rate."""

    link_index: int
    active: bool
    remote_type: str | None = None  # gpu, switch, ibmnpu or unknown (NVML's device types)
    bandwidth_mb_s: int | None = None  # the link's speed in MB/s, not the traffic on it


@dataclass(frozen=True, slots=True)
class DeviceReading:
    """One accelerator (GPU, NPU or SoC graphics) as read in one tick."""

    backend: str
    index: int
    uuid: str
    name: str
    kind: str = "gpu"
    vendor: str = ""
    state: str = "ok"

    utilization_pct: float | None = None
    memory_utilization_pct: float | None = None  # memory-controller busy time
    memory_used_bytes: int | None = None
    memory_total_bytes: int | None = None
    memory_reserved_bytes: int | None = None

    temperature_c: float | None = None
    memory_temperature_c: float | None = None
    temperature_slowdown_c: float | None = None
    temperature_shutdown_c: float | None = None
    temperature_max_operating_c: float | None = None
    temperature_acoustic_c: float | None = None

    power_w: float | None = None
    power_limit_w: float | None = None
    power_limit_default_w: float | None = None
    power_limit_max_w: float | None = None
    energy_j: float | None = None  # the device's own counter (since driver load, reset...)
    energy_consumed_j: float | None = None  # integrated by allsmi since it first ran (energy/)

    clock_graphics_mhz: float | None = None
    clock_sm_mhz: float | None = None
    clock_memory_mhz: float | None = None
    clock_graphics_max_mhz: float | None = None
    clock_sm_max_mhz: float | None = None
    clock_memory_max_mhz: float | None = None

    fan_pct: float | None = None
    fan_rpm: float | None = None
    performance_state: int | None = None  # P0 == 0 (fastest) ... P15

    pcie_gen_current: int | None = None
    pcie_gen_max: int | None = None
    pcie_width_current: int | None = None
    pcie_width_max: int | None = None
    pcie_tx_bytes_per_s: float | None = None
    pcie_rx_bytes_per_s: float | None = None

    ecc_enabled: bool | None = None
    ecc_errors_corrected_volatile: int | None = None
    ecc_errors_uncorrected_volatile: int | None = None
    ecc_errors_corrected_aggregate: int | None = None
    ecc_errors_uncorrected_aggregate: int | None = None

    throttle_reasons: tuple[str, ...] | None = None
    encoder_utilization_pct: float | None = None
    decoder_utilization_pct: float | None = None
    numa_node: int | None = None

    # SoC and NPU extras that several vendors share
    ane_utilization_pct: float | None = None
    ane_power_w: float | None = None
    dla_utilization_pct: float | None = None
    thermal_pressure: str | None = None  # Apple: Nominal / Fair / Serious / Critical

    mig_mode: bool | None = None
    mig_instances: tuple[MigInstanceReading, ...] = ()
    nvlinks: tuple[NvLinkReading, ...] = ()  # every link the GPU has, up or down
    nvlink_tx_bytes_per_s: float | None = None  # payload over all NvLinks, both ways
    nvlink_rx_bytes_per_s: float | None = None

    details: Mapping[str, str] = field(default_factory=dict)  # vendor extras: driver, firmware...
    processes: tuple[ProcessReading, ...] = ()
    workloads: tuple[WorkloadReading, ...] = ()  # pod containers the kubelet gave it to
    problems: tuple[str, ...] = ()  # what failed to read this tick, in words

    @property
    def memory_used_pct(self) -> float | None:
        """Memory used as a percentage of total (0-100), or None when unknown."""
        if self.memory_used_bytes is None or not self.memory_total_bytes:
            return None
        return 100.0 * self.memory_used_bytes / self.memory_total_bytes

    @property
    def power_limit_pct(self) -> float | None:
        """Power draw as a percentage of the current limit, or None when unknown."""
        if self.power_w is None or not self.power_limit_w:
            return None
        return 100.0 * self.power_w / self.power_limit_w


@dataclass(frozen=True, slots=True)
class CpuSocketReading:
    """One CPU package (socket): its logical CPUs together and its own sensors."""

    index: int  # the kernel's physical_package_id
    utilization_pct: float | None = None  # mean over its logical CPUs
    frequency_mhz: float | None = None  # mean current clock of its logical CPUs
    temperature_c: float | None = None  # the package sensor (coretemp, k10temp, zenpower)
    power_w: float | None = None  # RAPL package domain or amd_energy, over the last interval


@dataclass(frozen=True, slots=True)
class CpuReading:
    """The host's CPUs, all sockets together."""

    model: str | None = None
    architecture: str | None = None
    utilization_pct: float | None = None
    per_core_utilization_pct: tuple[float, ...] = ()
    frequency_mhz: float | None = None
    frequency_max_mhz: float | None = None
    frequency_base_mhz: float | None = None  # nominal (non-turbo) clock, where the CPU states it
    core_count: int | None = None  # physical cores
    thread_count: int | None = None  # logical CPUs
    socket_count: int | None = None
    temperature_c: float | None = None
    power_w: float | None = None
    energy_consumed_j: float | None = None  # integrated by allsmi since it first ran (energy/)
    load_average_1m: float | None = None
    sockets: tuple[CpuSocketReading, ...] = ()
    per_core_socket_index: tuple[int, ...] = ()  # the socket of each per_core_utilization_pct
    power_unavailable_reason: str | None = None  # why power_w is None (RAPL root-only ...)


@dataclass(frozen=True, slots=True)
class MemoryReading:
    """Host RAM and swap."""

    total_bytes: int | None = None
    used_bytes: int | None = None
    available_bytes: int | None = None
    free_bytes: int | None = None
    buffers_bytes: int | None = None
    cached_bytes: int | None = None
    swap_total_bytes: int | None = None
    swap_used_bytes: int | None = None
    swap_free_bytes: int | None = None

    @property
    def in_use_bytes(self) -> int | None:
        """RAM in use: total minus available, else the used figure the source gave.

        all-smi's mock server sends only used and total (issue 19 item 5).
        """
        if self.total_bytes is not None and self.available_bytes is not None:
            return self.total_bytes - self.available_bytes
        return self.used_bytes

    @property
    def used_pct(self) -> float | None:
        """RAM in use (in_use_bytes) as a percentage of total."""
        in_use = self.in_use_bytes
        if not self.total_bytes or in_use is None:
            return None
        return 100.0 * in_use / self.total_bytes


@dataclass(frozen=True, slots=True)
class DiskReading:
    """One mounted file system."""

    mount_point: str
    device: str | None = None
    filesystem: str | None = None
    total_bytes: int | None = None
    used_bytes: int | None = None
    available_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class HostReading:
    """Host metrics: CPU, memory, disks, and where we run."""

    cpu: CpuReading = field(default_factory=CpuReading)
    memory: MemoryReading = field(default_factory=MemoryReading)
    disks: tuple[DiskReading, ...] = ()
    uptime_s: float | None = None
    runtime_environment: str | None = None  # "Docker", "Kubernetes", ... when detected
    os_name: str | None = None
    kernel: str | None = None
    problems: tuple[str, ...] = ()  # values refused as implausible this tick (plausible.py)
    chassis: ChassisReading | None = None
    environment: EnvironmentReading | None = None


@dataclass(frozen=True, slots=True)
class BackendStatus:
    """How one backend fared: ok, unavailable (and why), error, or lost."""

    name: str
    state: str
    message: str = ""
    read_duration_s: float | None = None
    device_count: int = 0
    last_ok_at_s: float | None = None  # Unix time of its latest read that did not fail


@dataclass(frozen=True, slots=True)
class NodeSnapshot:
    """Everything known about one node at one moment."""

    hostname: str
    taken_at_s: float  # Unix time
    devices: tuple[DeviceReading, ...] = ()
    host: HostReading | None = None
    backends: tuple[BackendStatus, ...] = ()
    version: str | None = None  # allsmi-py version that produced it
    topology: Topology | None = None  # how the devices are joined (topology.py), when known

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict carrying the SNAPSHOT_FORMAT marker."""
        plain: dict[str, Any] = to_plain(self)
        # to_plain leaves out fields at their default; scripts read data["devices"] even on a
        # node without accelerators (issue 15). Documents without it still decode to ().
        plain.setdefault("devices", [])
        plain["format"] = SNAPSHOT_FORMAT
        return plain

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NodeSnapshot:
        """Inverse of to_dict; raises ValueError when the document is not ours or malformed."""
        if data.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"not an allsmi-py snapshot (format={data.get('format')!r})")
        return from_plain(cls, data)

    def to_json(self) -> bytes:
        """to_dict() as compact UTF-8 JSON (the body of an exporter's /snapshot)."""
        return dumps_json(self.to_dict())

    @classmethod
    def from_json(cls, body: bytes | str) -> NodeSnapshot:
        """Inverse of to_json; ValueError for invalid JSON or a document that is not ours."""
        if not has_snapshot_marker(body):
            raise ValueError(
                f"not an allsmi-py snapshot (format={json_format_marker(body)!r})")
        return decode_json_as(cls, body)


@dataclass(frozen=True, slots=True)
class _FormatMarker:
    format: str | None = None


_MARKER_TAIL = f'"format":"{SNAPSHOT_FORMAT}"}}'.encode()


def has_snapshot_marker(body: bytes | str) -> bool:
    """True when the JSON document carries our format marker."""
    raw = body.encode() if isinstance(body, str) else body
    # to_json writes the marker last, so our own documents are recognised without a parse.
    if raw.rstrip().endswith(_MARKER_TAIL):
        return True
    try:
        return json_format_marker(raw) == SNAPSHOT_FORMAT
    except ValueError:
        return False


def json_format_marker(body: bytes | str) -> str | None:
    """The `format` member of a JSON document; ValueError when it is not a JSON object."""
    return decode_json_as(_FormatMarker, body).format


@dataclass(frozen=True, slots=True)
class NodeStatus:
    """The outcome of the latest attempt to read one remote node."""

    address: str
    state: str = "ok"
    error: str | None = None
    http_status: int | None = None
    latency_s: float | None = None
    last_ok_at_s: float | None = None  # Unix time of the last good read
    source: str | None = None  # "json" or "text": the path that worked


@dataclass(frozen=True, slots=True)
class ClusterNode:
    """One remote node: its status, and its last good snapshot (possibly stale)."""

    status: NodeStatus
    snapshot: NodeSnapshot | None = None

    @property
    def is_live(self) -> bool:
        """True when the latest read of this node succeeded."""
        return self.status.state == "ok"

    def stale_age_s(self, now_s: float) -> float | None:
        """Seconds since the last good read, when the snapshot shown is from an older round."""
        if self.is_live or self.status.last_ok_at_s is None:
            return None
        return max(0.0, now_s - self.status.last_ok_at_s)


@dataclass(frozen=True, slots=True)
class ClusterSnapshot:
    """All nodes of a cluster view at one round."""

    taken_at_s: float
    nodes: tuple[ClusterNode, ...] = ()
