"""Simulated topologies: an HGX-like board for eight NvLink GPUs, PCIe for anything else.

Eight GPUs of an NvLink profile (`--mock h100:8`, the default count) sit on an NVSwitch board:
every pair NV18 (H100, B200) or NV12 (A100), as `nvidia-smi topo -m` shows on an HGX, with
the CPU lists of the real HGX H100 in tests/fixtures/nvidia/topo_m_hgx_h100.txt. Any other
set of two or more devices is PCIe only: two to a PCIe switch (PIX), the first half on NUMA
node 0 and the rest on node 1 (NODE within a node, SYS across).
"""

from __future__ import annotations

from collections.abc import Sequence

from allsmi_py.topology import Topology, TopologyDevice, TopologyLink
from backends.mock.simulator import DeviceSimulator

# profile key -> (NvLinks per GPU, NvLink version, line rate per link in MB/s, one way):
# H100 as its `nvidia-smi nvlink -s` (26.562 GB/s a link), A100 600 GB/s and B200 1.8 TB/s
# both ways over 12 and 18 links (NVIDIA's data sheets)
NVLINK_PROFILES = {"h100": (18, "4.0", 26562), "a100": (12, "3.0", 25000),
                   "b200": (18, "5.0", 50000)}
NVSWITCH_BOARD_GPUS = 8
# the two sockets of the real HGX H100 (56 cores each, SMT on)
SOCKET_CPUS = ("0-55,112-167", "56-111,168-223")


def simulated_topology(devices: Sequence[DeviceSimulator]) -> Topology | None:
    """The topology of the simulated devices; None for fewer than two."""
    if len(devices) < 2:
        return None
    keys = {d.profile.key for d in devices}
    board = (len(devices) == NVSWITCH_BOARD_GPUS and len(keys) == 1
             and next(iter(keys)) in NVLINK_PROFILES)
    half = (len(devices) + 1) // 2
    links_per_gpu, version, rate = NVLINK_PROFILES.get(next(iter(keys)), (0, None, 0))
    if not board:
        links_per_gpu, version = 0, None
    # (NUMA node, PCIe switch) of each device: two to a switch within a node
    places = [(pos // half, (pos // half, (pos % half) // 2)) for pos in range(len(devices))]
    out_devices = tuple(
        TopologyDevice(d.index, d.uuid, numa_node=node,
                       cpu_affinity=SOCKET_CPUS[node] if board else None,
                       pcie_switch=f"switch{node}.{switch[1]}", nvlinks_up=links_per_gpu,
                       nvlink_version=version, nvswitch=board)
        for d, (node, switch) in zip(devices, places, strict=True))
    links: list[TopologyLink] = []
    for a in range(len(devices)):
        for b in range(a + 1, len(devices)):
            (node_a, switch_a), (node_b, switch_b) = places[a], places[b]
            pcie = "PIX" if switch_a == switch_b else "NODE" if node_a == node_b else "SYS"
            ia, ib = devices[a].index, devices[b].index
            if board:
                links.append(TopologyLink(ia, ib, "NV", links_per_gpu, links_per_gpu * rate,
                                          pcie_path=pcie))
            else:
                links.append(TopologyLink(ia, ib, pcie, pcie_path=pcie))
    return Topology(out_devices, tuple(links), backend="mock", source="simulated")
