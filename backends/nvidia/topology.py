"""The GPUs' topology through NVML: what `nvidia-smi topo -m` prints, as a `Topology`.

Per pair, nvmlDeviceGetTopologyCommonAncestor gives the PCIe level; NvLinks override it as
nvidia-smi does (NV# = the links the two share). On an NVSwitch board (HGX/DGX) every link
goes to a switch, so NVML names no peer: two GPUs that both reach the switches share
min(links of one, links of the other), which is what topo -m prints there (NV18 on H100).
A direct link names its peer by PCI bus id (nvmlDeviceGetNvLinkRemotePciInfo).

Read once per device set (topology does not change while the GPUs do not): n*(n-1)/2
ancestor calls plus four per NvLink, a few hundred for eight GPUs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from allsmi_py.topology import (
    MAX_NVLINKS,
    MAX_TOPOLOGY_DEVICES,
    Topology,
    TopologyDevice,
    TopologyLink,
)
from backends.nvidia.nvml import DeviceCalls, NvmlSession

# nvmlGpuTopologyLevel_t -> nvidia-smi's label. INTERNAL (two GPUs on one board, a K80) is
# shown as PIX: nothing but the board's own bridge lies between them.
_LEVELS = {0: "PIX", 10: "PIX", 20: "PXB", 30: "PHB", 40: "NODE", 50: "SYS"}
_CPU_WORDS = 16  # 64-bit words of CPU mask: 1024 CPUs
_NODE_WORDS = 4  # 256 NUMA nodes
_SCOPE_NODE = 0  # NVML_AFFINITY_SCOPE_NODE


@dataclass
class _Links:
    """What one GPU's NvLinks reach."""

    up: int = 0
    down: int = 0
    version: str | None = None
    to_switch: int = 0
    to_gpu: Counter[str] = field(default_factory=Counter)  # peer bus id -> links


def read_topology(session: NvmlSession, handles: Sequence[Any | None],
                  bus_ids: Sequence[str | None], uuids: Sequence[str],
                  link_speeds_mb_s: Mapping[int, int | None]) -> Topology | None:
    """The topology of the GPUs with a handle (a lost one has none); None without GPUs.

    `link_speeds_mb_s`: each GPU's NvLink line rate as its reading has it (nvlink.py reads
    NVML_FI_DEV_NVLINK_SPEED_MBPS_COMMON every tick), by GPU index.

    Raises GpuLost (nvml.py) when a GPU falls off the bus while it is read.
    """
    present = [i for i, h in enumerate(handles) if h is not None][:MAX_TOPOLOGY_DEVICES]
    if not present:
        return None
    calls = {i: session.device(i, handles[i]) for i in present}
    links = {i: _scan(calls[i]) for i in present}
    levels: dict[tuple[int, int], str | None] = {}
    for pos, a in enumerate(present):
        for b in present[pos + 1:]:
            level = calls[a].get("nvmlDeviceGetTopologyCommonAncestor", handles[b],
                                 memo_args=(b,))  # a handle is a ctypes pointer: unhashable
            levels[(a, b)] = None if level is None else _LEVELS.get(int(level))
    switches = _switch_groups(present, levels)
    devices = tuple(_device(i, uuids[i], calls[i], links[i], switches.get(i)) for i in present)
    pairs: list[TopologyLink] = []
    for (a, b), pcie in levels.items():
        nv = _shared_links(links[a], links[b], bus_ids[a], bus_ids[b])
        if nv:
            speed = link_speeds_mb_s.get(a)
            pairs.append(TopologyLink(a, b, "NV", nv, None if speed is None else nv * speed,
                                      pcie_path=pcie))
        elif pcie is not None:
            pairs.append(TopologyLink(a, b, pcie, pcie_path=pcie))
    return Topology(devices, tuple(pairs), backend="nvidia", source="nvml")


def _bus(bus_id: str | bytes | None) -> str:
    """A PCI bus id without its domain's width: '00000000:09:00.0' and '0000:09:00.0' agree."""
    text = bus_id.decode(errors="replace") if isinstance(bus_id, bytes) else (bus_id or "")
    domain, _, rest = text.strip("\0 ").rpartition(":")
    head, _, bus = domain.rpartition(":")
    try:
        return f"{int(head or '0', 16):04x}:{bus}:{rest}".lower()
    except ValueError:
        return text.lower()


def _shared_links(a: _Links, b: _Links, bus_a: str | None, bus_b: str | None) -> int:
    direct = (a.to_gpu.get(_bus(bus_b), 0) if bus_b else 0) or (
        b.to_gpu.get(_bus(bus_a), 0) if bus_a else 0)
    through_switch = min(a.to_switch, b.to_switch)
    return min(MAX_NVLINKS, direct + through_switch)


def _scan(calls: DeviceCalls) -> _Links:
    """Every NvLink of one GPU until the first that NVML does not know (past the last)."""
    nvml = calls.session.nvml
    found = _Links()
    limit = min(MAX_NVLINKS, int(getattr(nvml, "NVML_NVLINK_MAX_LINKS", 18)))
    switch = getattr(nvml, "NVML_NVLINK_DEVICE_TYPE_SWITCH", 2)
    for link in range(limit):
        state = calls.get("nvmlDeviceGetNvLinkState", link)
        if state is None:
            break  # NotSupported (no NvLink, MIG mode) or InvalidArgument (past the last)
        if state != nvml.NVML_FEATURE_ENABLED:
            found.down += 1
            continue
        found.up += 1
        if found.version is None:
            found.version = _version(nvml, calls.static("nvmlDeviceGetNvLinkVersion", link))
        if calls.static("nvmlDeviceGetNvLinkRemoteDeviceType", link) == switch:
            found.to_switch += 1
            continue
        pci = calls.static("nvmlDeviceGetNvLinkRemotePciInfo", link)
        bus = getattr(pci, "busId", None)
        if bus:
            found.to_gpu[_bus(bus)] += 1
    return found


def _version(nvml: Any, code: Any) -> str | None:
    """nvmlNvlinkVersion_t (NVML_NVLINK_VERSION_4_0 = 6) as "4.0"."""
    for name in dir(nvml):
        if name.startswith("NVML_NVLINK_VERSION_") and getattr(nvml, name) == code:
            major, _, minor = name.removeprefix("NVML_NVLINK_VERSION_").partition("_")
            if major.isdigit() and minor.isdigit():
                return f"{major}.{minor}"
    return None


def _switch_groups(present: list[int], levels: dict[tuple[int, int], str | None]
                   ) -> dict[int, str]:
    """GPUs that share a PCIe switch (PIX to each other), named after the group's first."""
    group = {i: i for i in present}

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for (a, b), level in levels.items():
        if level == "PIX":
            group[root(b)] = root(a)
    members = Counter(root(i) for i in present)
    return {i: f"switch-gpu{root(i)}" for i in present if members[root(i)] > 1}


def _device(index: int, uuid: str, calls: DeviceCalls, links: _Links,
            switch: str | None) -> TopologyDevice:
    cpus = calls.static("nvmlDeviceGetCpuAffinity", _CPU_WORDS)
    nodes = calls.static("nvmlDeviceGetMemoryAffinity", _NODE_WORDS, _SCOPE_NODE)
    node_list = _bits(nodes)
    return TopologyDevice(
        index, uuid, numa_node=node_list[0] if node_list else None,
        cpu_affinity=cpu_list(_bits(cpus)) or None, pcie_switch=switch,
        nvlinks_up=links.up, nvlinks_down=links.down, nvlink_version=links.version,
        nvswitch=links.to_switch > 0)


def _bits(words: Any) -> list[int]:
    """The set bits of an NVML mask (an array of 64-bit words, lowest first)."""
    if words is None:
        return []
    return [w * 64 + bit for w, word in enumerate(list(words)) for bit in range(64)
            if int(word) >> bit & 1]


def cpu_list(cpus: list[int]) -> str:
    """Sorted CPU numbers as ranges, as topo -m prints them: [0, 1, 2, 3, 64] -> "0-3,64"."""
    ranges: list[str] = []
    start = prev = -2
    for cpu in [*cpus, -2]:
        if cpu == prev + 1:
            prev = cpu
            continue
        if start >= 0:
            ranges.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = cpu
    return ",".join(ranges)
