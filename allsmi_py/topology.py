"""A node's accelerator topology: how each pair of devices is joined, and where each sits.

What `nvidia-smi topo -m` prints, as data. Per pair of devices, the path: `NV` with the
number of bonded NvLinks (NV18 on an HGX H100, where every GPU reaches every other through
the NVSwitches), else the PCIe level NVML's nvmlDeviceGetTopologyCommonAncestor names (PIX,
PXB, PHB, NODE, SYS). Per device: its NUMA node, the CPUs near it, the PCIe switch it hangs
under and its NvLinks up and down. A backend reads it once per device set (it does not change
while the devices do not) and the collector puts it on `NodeSnapshot.topology`.

A topology that arrives from the network is checked by `sanitized` before anything else
looks at it: more than MAX_TOPOLOGY_DEVICES devices is refused whole, and links that name
an unknown device, a path we do not know or a pair twice are dropped.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

# Nearest first. The meanings are nvidia-smi's legend, in our words.
PATH_MEANINGS: dict[str, str] = {
    "NV": "a bonded set of NvLinks (NV# names how many)",
    "PIX": "at most one PCIe bridge (the same PCIe switch)",
    "PXB": "several PCIe bridges, without the PCIe host bridge",
    "PHB": "PCIe and a PCIe host bridge (typically the CPU)",
    "NODE": "PCIe and the links between host bridges within one NUMA node",
    "SYS": "PCIe and the SMP link between NUMA nodes (QPI/UPI, xGMI)",
}
PATHS = tuple(PATH_MEANINGS)
_PCIE_OR_NONE = (*PATHS[1:], None)
# A node with more accelerators than this is not one we know of (an HGX B200 has 8, a
# Tenstorrent Galaxy 32); the cap bounds a hostile /snapshot's pairs to 64*63/2 = 2016.
MAX_TOPOLOGY_DEVICES = 64
MAX_TOPOLOGY_LINKS = MAX_TOPOLOGY_DEVICES * (MAX_TOPOLOGY_DEVICES - 1) // 2
MAX_NVLINKS = 64  # per device or pair; NVML's NVML_NVLINK_MAX_LINKS is 36 today
MAX_ID_CHARS = 64  # a PCIe switch id, a CPU list


@dataclass(frozen=True, slots=True)
class TopologyDevice:
    """Where one device sits: NUMA node, nearby CPUs, PCIe switch, NvLinks."""

    index: int  # the device's index, as in its DeviceReading
    uuid: str = ""
    numa_node: int | None = None  # the nearest CPU NUMA node (topo -m: NUMA Affinity)
    cpu_affinity: str | None = None  # the CPUs near it as a list: "0-55,112-167"
    pcie_switch: str | None = None  # shared by the devices under one PCIe switch
    nvlinks_up: int = 0
    nvlinks_down: int = 0
    nvlink_version: str | None = None  # "4.0" on Hopper
    nvswitch: bool = False  # its NvLinks go to NVSwitches, not straight to a peer


@dataclass(frozen=True, slots=True)
class TopologyLink:
    """How two devices reach each other (`a` < `b`, device indices)."""

    a: int
    b: int
    path: str  # one of PATHS
    nvlinks: int = 0  # bonded NvLinks between the two; 0 when the path is PCIe only
    bandwidth_mb_s: int | None = None  # the line rate of those NvLinks together, one way
    pcie_path: str | None = None  # the PCIe level under the NvLinks (PIX ... SYS), when known

    @property
    def label(self) -> str:
        """The matrix cell: NV18, PIX, SYS..."""
        return f"NV{self.nvlinks}" if self.path == "NV" else self.path


@dataclass(frozen=True, slots=True)
class Topology:
    """Every device of a node and every pair of them."""

    devices: tuple[TopologyDevice, ...] = ()
    links: tuple[TopologyLink, ...] = ()
    backend: str = ""  # whose devices the indices are (a DeviceReading's backend)
    source: str = ""  # where it was read: "nvml", "simulated"

    def pairs(self) -> dict[tuple[int, int], TopologyLink]:
        """The links by (a, b) and (b, a), for lookups in a matrix."""
        found: dict[tuple[int, int], TopologyLink] = {}
        for link in self.links:
            found[(link.a, link.b)] = found[(link.b, link.a)] = link
        return found


def sanitized(topology: Topology) -> Topology | None:
    """`topology` made safe to draw: None when too big; bad links and devices dropped.

    Returns the same object when nothing is wrong (the usual case).
    """
    if len(topology.devices) > MAX_TOPOLOGY_DEVICES or len(topology.links) > MAX_TOPOLOGY_LINKS:
        return None
    if _sound(topology):
        return topology
    devices: list[TopologyDevice] = []
    indices: set[int] = set()
    for device in topology.devices:
        if device.index in indices or not _device_ok(device):
            continue
        indices.add(device.index)
        devices.append(device)
    links: list[TopologyLink] = []
    seen: set[tuple[int, int]] = set()
    for link in topology.links:
        pair = (min(link.a, link.b), max(link.a, link.b))
        if (link.a == link.b or pair in seen or not {link.a, link.b} <= indices
                or link.path not in PATH_MEANINGS or not 0 <= link.nvlinks <= MAX_NVLINKS
                or (link.path == "NV") != (link.nvlinks > 0)
                or link.pcie_path not in _PCIE_OR_NONE):
            continue
        seen.add(pair)
        links.append(link if pair == (link.a, link.b)
                     else dataclasses.replace(link, a=pair[0], b=pair[1]))
    if len(devices) == len(topology.devices) and links == list(topology.links):
        return topology
    return dataclasses.replace(topology, devices=tuple(devices), links=tuple(links))


def _sound(topology: Topology) -> bool:
    """True when `sanitized` would change nothing; the view checks every node's topology
    every round, so this is the fast path (one pass, no copies)."""
    indices = {d.index for d in topology.devices}
    if len(indices) != len(topology.devices) or not all(map(_device_ok, topology.devices)):
        return False
    links = topology.links
    if len({(link.a, link.b) for link in links}) != len(links):
        return False
    return all(link.a < link.b and link.a in indices and link.b in indices
               and link.path in PATH_MEANINGS and 0 <= link.nvlinks <= MAX_NVLINKS
               and (link.path == "NV") == (link.nvlinks > 0)
               and link.pcie_path in _PCIE_OR_NONE for link in links)


def _device_ok(device: TopologyDevice) -> bool:
    texts = (device.cpu_affinity, device.pcie_switch, device.nvlink_version)
    return (0 <= device.nvlinks_up <= MAX_NVLINKS and 0 <= device.nvlinks_down <= MAX_NVLINKS
            and all(t is None or len(t) <= MAX_ID_CHARS for t in texts))

