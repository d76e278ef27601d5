"""The NVIDIA backend's topology: an HGX H100 through the fake NVML, read once, degraded."""

from __future__ import annotations

from dataclasses import replace

import pynvml as real  # noqa: TID251 - the real constants the fake answers with
import pytest

from backends.nvidia.backend import NvidiaBackend
from backends.nvidia.topology import cpu_list
from tests.fakes.fake_pynvml import FakeNvml, h100, rtx_4080_super
from tests.fakes.nvml_topology import FakeTopology, dgx_h100, dgx_h100_topology, install_topology


def _open(fake: FakeNvml, monkeypatch: pytest.MonkeyPatch) -> NvidiaBackend:
    fake.install(monkeypatch)
    backend = NvidiaBackend()
    backend.open()
    return backend


def test_hgx_h100_every_pair_nv18_with_pcie_and_numa_under_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    backend = _open(dgx_h100(), monkeypatch)
    backend.read()
    topology = backend.topology()
    assert topology is not None
    assert (topology.backend, topology.source) == ("nvidia", "nvml")
    assert len(topology.links) == 28
    assert {link.label for link in topology.links} == {"NV18"}
    # 18 links at NVML_FI_DEV_NVLINK_SPEED_MBPS_COMMON's 26562 MB/s (the H100 capture)
    assert {link.bandwidth_mb_s for link in topology.links} == {18 * 26562}
    pairs = topology.pairs()
    assert (pairs[(0, 1)].pcie_path, pairs[(0, 2)].pcie_path, pairs[(3, 4)].pcie_path) == (
        "PIX", "NODE", "SYS")
    first, last = topology.devices[0], topology.devices[7]
    assert (first.numa_node, first.cpu_affinity) == (0, "0-55,112-167")
    assert (last.numa_node, last.cpu_affinity) == (1, "56-111,168-223")
    assert (first.nvlinks_up, first.nvlinks_down, first.nvlink_version, first.nvswitch) == (
        18, 0, "4.0", True)
    assert first.pcie_switch == topology.devices[1].pcie_switch != topology.devices[2].pcie_switch
    assert first.uuid == "GPU-00000000-0000-0000-0000-000000000000"
    backend.close()


def test_topology_is_read_once_not_every_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = dgx_h100(4)
    backend = _open(fake, monkeypatch)
    backend.read()
    first = backend.topology()
    calls = fake.per_device("gpu0")["nvmlDeviceGetTopologyCommonAncestor"]
    assert calls == 3  # gpu0 against gpu1, gpu2, gpu3
    for _ in range(3):
        backend.read()
    assert backend.topology() is first
    assert fake.per_device("gpu0")["nvmlDeviceGetTopologyCommonAncestor"] == calls
    backend.close()


def test_a_lost_gpu_changes_the_device_set_and_the_topology_is_read_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake = dgx_h100(4)
    backend = _open(fake, monkeypatch)
    backend.read()
    fake.gpus[3].lost = True
    backend.read()  # gpu3 is found lost here
    backend.read()
    topology = backend.topology()
    assert topology is not None
    assert [d.index for d in topology.devices] == [0, 1, 2]
    assert all(3 not in (link.a, link.b) for link in topology.links)
    backend.close()


def test_direct_nvlinks_name_their_peer_by_bus_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two GPUs bridged to each other (no NVSwitch): four links, each naming the other GPU."""
    gpus = [replace(h100(i), nvlinks=[(real.NVML_FEATURE_ENABLED, real.NVML_NVLINK_DEVICE_TYPE_GPU)]
                    * 4 + [(real.NVML_FEATURE_DISABLED, real.NVML_NVLINK_DEVICE_TYPE_GPU)] * 2)
            for i in range(2)]
    fake = FakeNvml(gpus)
    remote = {(0, link): "00000000:0A:00.0" for link in range(4)}
    remote |= {(1, link): "0000:09:00.0" for link in range(4)}  # the short domain agrees
    install_topology(fake, FakeTopology(
        ancestors={frozenset((0, 1)): real.NVML_TOPOLOGY_HOSTBRIDGE}, remote_bus=remote,
        nvlink_version=real.NVML_NVLINK_VERSION_4_0))
    backend = _open(fake, monkeypatch)
    backend.read()
    topology = backend.topology()
    assert topology is not None
    (link,) = topology.links
    assert (link.label, link.pcie_path, link.bandwidth_mb_s) == ("NV4", "PHB", 4 * 26562)
    assert (topology.devices[0].nvlinks_up, topology.devices[0].nvlinks_down) == (4, 2)
    assert not topology.devices[0].nvswitch
    backend.close()


def test_geforce_without_nvlink_or_topology_calls_gives_pcie_only_or_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeNvml([rtx_4080_super(), replace(rtx_4080_super(), bus_id="00000000:02:00.0")])
    install_topology(fake, FakeTopology(ancestors={frozenset((0, 1)): real.NVML_TOPOLOGY_SYSTEM}))
    backend = _open(fake, monkeypatch)
    backend.read()
    topology = backend.topology()
    assert topology is not None
    assert [link.label for link in topology.links] == ["SYS"]
    device = topology.devices[0]
    # NotSupported everywhere else: None, never 0 or an empty string
    assert (device.numa_node, device.cpu_affinity, device.nvlink_version) == (None, None, None)
    assert device.nvlinks_up == 0
    backend.close()


def test_bindings_without_the_topology_calls_still_list_the_devices(
        monkeypatch: pytest.MonkeyPatch) -> None:
    backend = _open(FakeNvml([h100(0), h100(1)]), monkeypatch)  # no install_topology
    backend.read()
    topology = backend.topology()
    assert topology is not None
    assert [d.index for d in topology.devices] == [0, 1]
    # the NvLinks alone still say NV18: both GPUs reach the NVSwitches
    assert [(link.label, link.pcie_path) for link in topology.links] == [("NV18", None)]
    backend.close()


def test_a_failing_ancestor_call_is_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeNvml([rtx_4080_super(), replace(rtx_4080_super(), bus_id="00000000:02:00.0")])
    topo = dgx_h100_topology(2)
    install_topology(fake, topo)
    fake.gpus[0].errors["nvmlDeviceGetTopologyCommonAncestor"] = real.NVML_ERROR_UNKNOWN
    backend = _open(fake, monkeypatch)
    backend.read()
    topology = backend.topology()
    assert topology is not None and topology.links == ()


def test_cpu_list_is_written_as_topo_m_writes_it() -> None:
    assert cpu_list([0, 1, 2, 3, 64]) == "0-3,64"
    assert cpu_list([5]) == "5"
    assert cpu_list([]) == ""
    assert cpu_list([*range(56), *range(112, 168)]) == "0-55,112-167"
