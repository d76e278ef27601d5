"""What a metric's samples are about, and their base labels, for each scope of the schema.

A scope turns a `NodeSnapshot` into items: one `(label values, object)` pair per thing a
family has a sample for (a device, a process on a device, a disk ...). Label names follow
all-smi's exporter (`../shared/reference/allsmi-inventory.md` section 3); `gpu_index` is
the device's position in the snapshot, as in all-smi, not the vendor's own index.
"""

from __future__ import annotations

import platform
import socket
from collections.abc import Callable
from dataclasses import dataclass

from allsmi_py import __version__
from allsmi_py.exporter.label_values import LABEL_CAPS as LABEL_CAPS
from allsmi_py.exporter.label_values import cap_label_value as cap_label_value
from allsmi_py.exporter.label_values import clean_label_value as clean_label_value
from allsmi_py.exporter.label_values import sanitize_label_name as sanitize_label_name
from allsmi_py.exporter.workload_items import (
    DEVICE_WORKLOAD_LABELS,
    PROCESS_WORKLOAD_LABELS,
    DeviceWorkloadItem,
    device_workload_items,
    workload_values,
)
from allsmi_py.model import (
    BackendStatus,
    ChassisReading,
    CpuReading,
    CpuSocketReading,
    DeviceReading,
    DiskReading,
    EnvironmentReading,
    MemoryReading,
    MigInstanceReading,
    NodeSnapshot,
    NvLinkReading,
    ProcessReading,
)
from allsmi_py.model_chassis import ChassisFan

Item = tuple[tuple[str, ...], object]

@dataclass(frozen=True, slots=True)
class NodeItem:
    """The exporter itself: whether a collection has completed, and what built it."""

    hostname: str
    up: int
    version: str
    os: str
    arch: str
    taken_at_s: float | None = None  # Unix time of the latest collection, None before it


@dataclass(frozen=True, slots=True)
class ProcessItem:
    """One process on one device, with the snapshot time its age is measured from."""

    taken_at_s: float
    device: DeviceReading
    process: ProcessReading


@dataclass(frozen=True, slots=True)
class MigItem:
    """One MIG slice of a parent device."""

    device: DeviceReading
    mig: MigInstanceReading


@dataclass(frozen=True, slots=True)
class NvLinkItem:
    """One NvLink of a device."""

    device: DeviceReading
    link: NvLinkReading


@dataclass(frozen=True, slots=True)
class SocCpuItem:
    """The CPU side of a SoC device (Apple's clusters), under the host CPU's labels."""

    device: DeviceReading


@dataclass(frozen=True, slots=True)
class ChassisItem:
    """The host's chassis, with the devices whose power all-smi sums as its power on Linux."""

    chassis: ChassisReading
    devices: tuple[DeviceReading, ...]


@dataclass(frozen=True, slots=True)
class CoreItem:
    """One logical CPU's utilization."""

    cpu: CpuReading
    utilization_pct: float


def node_item(snapshot: NodeSnapshot | None, ready: bool) -> NodeItem:
    """The exporter-status object: up is 1 only once a snapshot exists and `ready` is true."""
    return NodeItem(
        hostname=snapshot.hostname if snapshot is not None else socket.gethostname(),
        up=1 if (snapshot is not None and ready) else 0,
        version=(snapshot.version if snapshot is not None and snapshot.version else __version__),
        os=platform.system().lower(),
        arch=platform.machine(),
        taken_at_s=snapshot.taken_at_s if snapshot is not None else None,
    )


def _node(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    return [((node.hostname, node.hostname), node)]


def _backends(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    if snapshot is None:
        return []
    host = node.hostname
    seen: set[str] = set()
    items: list[Item] = []
    for status in snapshot.backends:
        if status.name in seen:  # one series per backend name
            continue
        seen.add(status.name)
        items.append(((host, host, status.name), status))
    return items


def _instance(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    # host-wide facts drawn from the devices (all-smi's rebellions_kmd_info): one item
    if snapshot is None or not snapshot.devices:
        return []
    return [((node.hostname,), snapshot.devices)]


def _devices(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    if snapshot is None:
        return []
    host = node.hostname
    return [((d.name, host, d.uuid, str(i)), d) for i, d in enumerate(snapshot.devices)]


def _device_workloads(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    return [] if snapshot is None else list(device_workload_items(snapshot.devices, node.hostname))


def _npus(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    if snapshot is None:
        return []
    host = node.hostname
    return [((d.name, host, d.uuid, str(i)), d)
            for i, d in enumerate(snapshot.devices) if d.kind == "npu"]


def _mig_devices(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    if snapshot is None:
        return []
    host = node.hostname
    return [((str(i), d.uuid, d.name, host, host), d) for i, d in enumerate(snapshot.devices)]


def _migs(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    if snapshot is None:
        return []
    host = node.hostname
    items: list[Item] = []
    for i, d in enumerate(snapshot.devices):
        for j, m in enumerate(d.mig_instances):
            gi = "" if m.gpu_instance_id is None else str(m.gpu_instance_id)
            ci = "" if m.compute_instance_id is None else str(m.compute_instance_id)
            labels = (str(i), d.uuid, d.name, host, host, str(j), m.uuid, m.profile or "", gi, ci)
            items.append((labels, MigItem(d, m)))
    return items


def _nvlinks(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    if snapshot is None:
        return []
    host = node.hostname
    return [((d.name, host, d.uuid, str(i), str(link.link_index)), NvLinkItem(d, link))
            for i, d in enumerate(snapshot.devices) for link in d.nvlinks]


def _energy(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    if snapshot is None:
        return []
    host = node.hostname
    items: list[Item] = [((host, "gpu", str(i), d.uuid), d)
                         for i, d in enumerate(snapshot.devices)]
    if snapshot.host is not None:
        # all-smi writes the CPU's series without gpu_index and gpu_uuid; an empty label
        # value is the same series to Prometheus
        items.append(((host, "cpu", "", ""), snapshot.host.cpu))
    return items


def _processes(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    if snapshot is None:
        return []
    items: list[Item] = []
    for i, d in enumerate(snapshot.devices):
        seen: set[int] = set()
        for p in d.processes:
            if p.pid in seen:  # one series per (pid, device), as in all-smi
                continue
            seen.add(p.pid)
            labels = (
                str(p.pid),
                cap_label_value(p.name or "", LABEL_CAPS["name"]),
                cap_label_value(p.user or "", LABEL_CAPS["user"]),
                str(i),
                str(i),
                d.uuid,
                cap_label_value(p.command or "", LABEL_CAPS["command"]),
                *workload_values(p.workload),
            )
            items.append((labels, ProcessItem(snapshot.taken_at_s, d, p)))
    return items


def _cpu_model(cpu: CpuReading) -> str:
    return cpu.model or "Unknown"


def _cpus(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    if snapshot is None or snapshot.host is None:
        return []
    cpu = snapshot.host.cpu
    return [((_cpu_model(cpu), node.hostname, node.hostname, "0"), cpu)]


def _sockets(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    if snapshot is None or snapshot.host is None:
        return []
    cpu = snapshot.host.cpu
    model, host = _cpu_model(cpu), node.hostname
    # cpu_index: the CpuReading's position, as in all-smi; this node has one
    return [((model, host, host, "0", str(socket.index)), socket) for socket in cpu.sockets]


def _cores(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    if snapshot is None or snapshot.host is None:
        return []
    cpu = snapshot.host.cpu
    model, host = _cpu_model(cpu), node.hostname
    # "C": all-smi's core type for a core that is not an Apple S/P/E core
    return [((model, host, host, str(i), "C"), CoreItem(cpu, pct))
            for i, pct in enumerate(cpu.per_core_utilization_pct)]


def _soc_cpus(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    if snapshot is None:
        return []
    model = _cpu_model(snapshot.host.cpu) if snapshot.host is not None else "Unknown"
    host = node.hostname
    items: list[Item] = [((model, host, host, "0"), SocCpuItem(d))
                         for d in snapshot.devices if d.kind == "soc"]
    return items[:1]  # one CPU per node, as the cpu scope's index "0"


def _chassis(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    if snapshot is None:
        return []
    chassis = snapshot.host.chassis if snapshot.host is not None else None
    if chassis is None:
        if not any(d.kind == "soc" for d in snapshot.devices):
            return []
        chassis = ChassisReading()  # a SoC is its own chassis: its figures are the device's
    host = node.hostname
    return [((host, host), ChassisItem(chassis, snapshot.devices))]


def _chassis_fans(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    if snapshot is None or snapshot.host is None or snapshot.host.chassis is None:
        return []
    host = node.hostname
    return [((host, host, fan.fan_id, fan.name), fan) for fan in snapshot.host.chassis.fans]


def _environment(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    if snapshot is None or snapshot.host is None or snapshot.host.environment is None:
        return []
    return [((node.hostname,), snapshot.host.environment)]


def _memory(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    if snapshot is None or snapshot.host is None:
        return []
    return [((node.hostname, node.hostname, "0"), snapshot.host.memory)]


def _disks(snapshot: NodeSnapshot | None, node: NodeItem) -> list[Item]:
    if snapshot is None or snapshot.host is None:
        return []
    items: list[Item] = []
    seen: set[str] = set()
    for i, disk in enumerate(snapshot.host.disks):
        if disk.mount_point in seen:
            continue
        seen.add(disk.mount_point)
        items.append(((node.hostname, disk.mount_point, str(i)), disk))
    return items


@dataclass(frozen=True, slots=True)
class Scope:
    """A kind of thing metrics describe: its base label names and how to list its items.

    The identity labels say which base labels name the item, so a parser can find it again:
    `key_label` tells one item from another (a uuid, a pid, a mount point), `name_label`
    holds its display name, `index_label` its position, and `owner_label` the item it
    belongs to (a process's device). "" where the scope has none.
    """

    name: str
    labels: tuple[str, ...]
    items: Callable[[NodeSnapshot | None, NodeItem], list[Item]]
    model: type
    key_label: str = ""
    name_label: str = ""
    index_label: str = ""
    owner_label: str = ""


GPU4 = ("gpu", "instance", "gpu_uuid", "gpu_index")
NPU4 = ("npu", "instance", "npu_uuid", "npu_index")
CPU4 = ("cpu_model", "instance", "hostname", "index")
MEM3 = ("instance", "hostname", "index")
MIG5 = ("gpu_index", "gpu_uuid", "gpu", "instance", "host")
MIG10 = (*MIG5, "mig_instance", "mig_uuid", "mig_profile", "gpu_instance_id",
         "compute_instance_id")
PROCESS7 = ("pid", "name", "user", "device_id", "gpu_index", "device_uuid", "command")
# all-smi's seven first and in its order, then ours (label_values.py says which)
PROCESS11 = (*PROCESS7, *PROCESS_WORKLOAD_LABELS)

SCOPES: dict[str, Scope] = {s.name: s for s in (
    Scope("node", ("instance", "hostname"), _node, NodeItem,
          key_label="instance", name_label="hostname"),
    Scope("instance", ("instance",), _instance, tuple, key_label="instance"),
    Scope("backend", ("instance", "hostname", "backend"), _backends, BackendStatus,
          key_label="backend"),
    Scope("device", GPU4, _devices, DeviceReading,
          key_label="gpu_uuid", name_label="gpu", index_label="gpu_index"),
    Scope("npu", NPU4, _npus, DeviceReading,
          key_label="npu_uuid", name_label="npu", index_label="npu_index"),
    Scope("device_workload", (*GPU4, *DEVICE_WORKLOAD_LABELS), _device_workloads,
          DeviceWorkloadItem, owner_label="gpu_uuid"),
    Scope("mig_device", MIG5, _mig_devices, DeviceReading,
          key_label="gpu_uuid", name_label="gpu", index_label="gpu_index"),
    Scope("mig", MIG10, _migs, MigItem, key_label="mig_uuid", name_label="mig_profile",
          index_label="mig_instance", owner_label="gpu_uuid"),
    Scope("nvlink", (*GPU4, "link_index"), _nvlinks, NvLinkItem, key_label="link_index",
          owner_label="gpu_uuid"),
    Scope("process", PROCESS11, _processes, ProcessItem, key_label="pid", name_label="name",
          index_label="gpu_index", owner_label="device_uuid"),
    Scope("cpu", CPU4, _cpus, CpuReading, name_label="cpu_model", index_label="index"),
    Scope("cpu_socket", ("cpu_model", "instance", "hostname", "cpu_index", "socket_id"),
          _sockets, CpuSocketReading, key_label="socket_id", name_label="cpu_model"),
    Scope("cpu_core", ("cpu_model", "instance", "hostname", "core_id", "core_type"), _cores,
          CoreItem, key_label="core_id", name_label="cpu_model", index_label="core_id"),
    Scope("soc_cpu", CPU4, _soc_cpus, SocCpuItem, name_label="cpu_model",
          index_label="index"),
    Scope("chassis", ("hostname", "instance"), _chassis, ChassisItem, key_label="instance"),
    Scope("chassis_fan", ("hostname", "instance", "fan_id", "fan_name"), _chassis_fans,
          ChassisFan, key_label="fan_id", name_label="fan_name"),
    Scope("environment", ("hostname",), _environment, EnvironmentReading,
          key_label="hostname"),
    Scope("memory", MEM3, _memory, MemoryReading, index_label="index"),
    Scope("disk", ("instance", "mount_point", "index"), _disks, DiskReading,
          key_label="mount_point", index_label="index"),
    # energy describes a device but does not name one: it adds to devices found by name
    Scope("energy", ("host", "scope", "gpu_index", "gpu_uuid"), _energy, DeviceReading,
          key_label="gpu_uuid", index_label="gpu_index"),
)}
