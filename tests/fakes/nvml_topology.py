"""NVML's topology calls for `fake_pynvml`: common ancestors, affinities, NvLink peers.

Kept apart from fake_pynvml.py, which holds the per-tick calls: `install_topology` adds
these functions to one FakeNvml's module. A fake without it answers as old bindings do
(the functions are missing: FunctionNotFound); a FakeTopology value left None answers
NotSupported, as a GeForce card does.

`dgx_h100()` is an HGX H100 board as the real `nvidia-smi topo -m` of NVIDIA/nccl issue
1264 shows it (tests/fixtures/nvidia/topo_m_hgx_h100.txt): eight GPUs, every pair NV18
through the NVSwitches, GPUs 0-3 near CPUs 0-55,112-167 on NUMA node 0 and GPUs 4-7 near
56-111,168-223 on node 1. The PCIe levels under the NvLinks are not in that output; we
put GPUs in pairs under one PCIe switch (PIX), as HGX boards with a switch per two GPUs do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pynvml as real  # noqa: TID251 - the real constants and errors the fake answers with

from tests.fakes.fake_pynvml import FakeNvml, h100
from tests.fakes.nvml_devices import FakeGpu, FakeHandle


@dataclass
class FakeTopology:
    """What the topology calls answer; a missing entry answers NotSupported."""

    ancestors: dict[frozenset[int], int] = field(default_factory=dict)  # pair -> level
    cpus: dict[int, list[int]] = field(default_factory=dict)  # gpu -> CPU numbers near it
    numa: dict[int, int] = field(default_factory=dict)  # gpu -> NUMA node near it
    remote_bus: dict[tuple[int, int], str] = field(default_factory=dict)  # (gpu, link) -> peer
    nvlink_version: int | None = None


def _mask(numbers: list[int], words: int) -> list[int]:
    out = [0] * words
    for n in numbers:
        if n // 64 < words:
            out[n // 64] |= 1 << (n % 64)
    return out


def install_topology(fake: FakeNvml, topology: FakeTopology) -> None:
    """Give `fake`'s pynvml module the topology calls, answering from `topology`."""
    module = fake.module

    def gpu_of(fn: str, handle: FakeHandle) -> FakeGpu:
        gpu: FakeGpu = fake._enter(fn, handle)
        return gpu

    def common_ancestor(device1: FakeHandle, device2: FakeHandle) -> int:
        gpu_of("nvmlDeviceGetTopologyCommonAncestor", device1)
        level = topology.ancestors.get(frozenset((device1.index, device2.index)))
        if level is None:
            raise real.NVMLError_NotSupported()
        return level

    def cpu_affinity(handle: FakeHandle, cpuSetSize: int) -> list[int]:  # noqa: N803
        gpu_of("nvmlDeviceGetCpuAffinity", handle)
        if handle.index not in topology.cpus:
            raise real.NVMLError_NotSupported()
        return _mask(topology.cpus[handle.index], cpuSetSize)

    def memory_affinity(handle: FakeHandle, nodeSetSize: int, scope: int) -> list[int]:  # noqa: N803
        gpu_of("nvmlDeviceGetMemoryAffinity", handle)
        if handle.index not in topology.numa or scope != real.NVML_AFFINITY_SCOPE_NODE:
            raise real.NVMLError_NotSupported()
        return _mask([topology.numa[handle.index]], nodeSetSize)

    def link_of(fn: str, handle: FakeHandle, link: int) -> tuple[int, int]:
        gpu = gpu_of(fn, handle)
        if gpu.nvlinks is None:
            raise real.NVMLError_NotSupported()
        if not 0 <= link < len(gpu.nvlinks):
            raise real.NVMLError_InvalidArgument()
        state: tuple[int, int] = gpu.nvlinks[link]
        return state

    def nvlink_version(device: FakeHandle, link: int) -> int:
        link_of("nvmlDeviceGetNvLinkVersion", device, link)
        if topology.nvlink_version is None:
            raise real.NVMLError_NotSupported()
        return topology.nvlink_version

    def remote_pci(device: FakeHandle, link: int) -> Any:
        link_of("nvmlDeviceGetNvLinkRemotePciInfo", device, link)
        bus = topology.remote_bus.get((device.index, link))
        if bus is None:
            raise real.NVMLError_NotFound()  # the far end is not a GPU (a switch, a bridge)
        return SimpleNamespace(busId=bus.encode())

    module.nvmlDeviceGetTopologyCommonAncestor = common_ancestor
    module.nvmlDeviceGetCpuAffinity = cpu_affinity
    module.nvmlDeviceGetMemoryAffinity = memory_affinity
    module.nvmlDeviceGetNvLinkVersion = nvlink_version
    module.nvmlDeviceGetNvLinkRemotePciInfo = remote_pci


# CPU lists of the real HGX H100's topo -m (two 56-core sockets, SMT on)
HGX_CPUS = (list(range(0, 56)) + list(range(112, 168)),
            list(range(56, 112)) + list(range(168, 224)))


def dgx_h100_topology(count: int = 8) -> FakeTopology:
    """The HGX H100 board's answers (see the module docstring)."""
    ancestors = {}
    for a in range(count):
        for b in range(a + 1, count):
            if a // 2 == b // 2:
                level = real.NVML_TOPOLOGY_SINGLE
            elif a // 4 == b // 4:
                level = real.NVML_TOPOLOGY_NODE
            else:
                level = real.NVML_TOPOLOGY_SYSTEM
            ancestors[frozenset((a, b))] = level
    return FakeTopology(
        ancestors=ancestors,
        cpus={i: HGX_CPUS[i // 4] for i in range(count)},
        numa={i: i // 4 for i in range(count)},
        nvlink_version=real.NVML_NVLINK_VERSION_4_0,
    )


def dgx_h100(count: int = 8) -> FakeNvml:
    """An HGX H100 node: `count` H100s (their NvLinks to the NVSwitches) and its topology."""
    fake = FakeNvml([h100(i) for i in range(count)])
    install_topology(fake, dgx_h100_topology(count))
    return fake
