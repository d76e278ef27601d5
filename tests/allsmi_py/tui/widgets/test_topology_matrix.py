"""The topology matrix and graph as text, against real `nvidia-smi topo -m` output.

The HGX H100 is read through the fake NVML (tests/fakes/nvml_topology.py) by the real
backend; its matrix must hold the cells of the real topo -m of such a board
(tests/fixtures/nvidia/topo_m_hgx_h100.txt) for the GPU columns, CPU Affinity and NUMA
Affinity (we do not list NICs, nor the GPU NUMA ID of a Grace board).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from allsmi_py.topology import Topology, TopologyDevice, TopologyLink
from allsmi_py.tui.widgets.topology import graph_lines, matrix_cells, matrix_text, nvlink_lines
from backends.mock.backend import MockBackend
from backends.nvidia.backend import NvidiaBackend
from tests.fakes.fake_pynvml import FakeNvml, h100
from tests.fakes.nvml_topology import FakeTopology, dgx_h100, install_topology
from tests.topo_m import topo_m_cells

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "nvidia"


def fixture_cells(name: str) -> list[list[str]]:
    return topo_m_cells((FIXTURES / name).read_text())


def _read(fake: FakeNvml, monkeypatch: pytest.MonkeyPatch) -> Topology:
    fake.install(monkeypatch)
    backend = NvidiaBackend()
    backend.open()
    backend.read()
    topology = backend.topology()
    backend.close()
    assert topology is not None
    return topology


def test_the_hgx_h100_matrix_is_the_real_topo_m(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = fixture_cells("topo_m_hgx_h100.txt")
    assert len(expected) == 9 and expected[1][1:3] == ["X", "NV18"]  # the fixture parsed
    assert matrix_cells(_read(dgx_h100(), monkeypatch)) == expected


def test_the_simulated_hgx_matrix_is_the_real_topo_m_too() -> None:
    topology = MockBackend("h100:8", seed=1).topology()
    assert topology is not None
    assert matrix_cells(topology) == fixture_cells("topo_m_hgx_h100.txt")


def test_a_single_h100_matrix_is_its_topo_m(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeNvml([h100(0)])
    install_topology(fake, FakeTopology(cpus={0: list(range(20))}, numa={0: 0}))
    assert matrix_cells(_read(fake, monkeypatch)) == fixture_cells("topo_m_h100_single.txt")


def test_the_matrix_text_is_aligned_and_names_the_paths_it_uses() -> None:
    topology = MockBackend("a100:3", seed=1).topology()
    assert topology is not None
    assert matrix_text(topology).splitlines() == [
        "      GPU0  GPU1  GPU2  CPU Affinity  NUMA Affinity",
        "GPU0  X     PIX   SYS   N/A           0",
        "GPU1  PIX   X     SYS   N/A           0",
        "GPU2  SYS   SYS   X     N/A           1",
        "",
        "  PIX  = at most one PCIe bridge (the same PCIe switch)",
        "  SYS  = PCIe and the SMP link between NUMA nodes (QPI/UPI, xGMI)",
    ]


def test_the_graph_groups_devices_under_numa_node_and_pcie_switch() -> None:
    topology = MockBackend("h100:8", seed=1).topology()
    assert topology is not None
    assert graph_lines(topology) == [
        "NUMA node 0  (CPUs 0-55,112-167)",
        "├─ PCIe switch switch0.0: GPU0, GPU1",
        "└─ PCIe switch switch0.1: GPU2, GPU3",
        "NUMA node 1  (CPUs 56-111,168-223)",
        "├─ PCIe switch switch1.0: GPU4, GPU5",
        "└─ PCIe switch switch1.1: GPU6, GPU7",
        "NVSwitch: GPU0 … GPU7 (8) all-to-all, 18 NvLinks up each (NvLink 4.0)",
        "  a pair shares NV18, 478 GB/s each way",
    ]


def test_direct_links_links_down_and_unknown_places_are_said() -> None:
    topology = Topology(
        (TopologyDevice(0, nvlinks_up=4, nvlinks_down=2), TopologyDevice(1, nvlinks_up=4),
         TopologyDevice(2)),
        (TopologyLink(0, 1, "NV", 4, 4 * 26562), TopologyLink(0, 2, "PHB")))
    names = {0: "GPU0", 1: "GPU1", 2: "GPU2"}
    assert nvlink_lines(topology, names) == [
        "NvLink: GPU0 <-> GPU1 NV4, 106 GB/s each way", "NvLinks down: GPU0 2"]
    assert graph_lines(topology)[:4] == ["NUMA node ?", "├─ GPU0", "├─ GPU1", "└─ GPU2"]
    assert matrix_cells(topology)[3] == ["GPU2", "PHB", "N/A", "X", "N/A", "N/A"]
    pcie_only = Topology((TopologyDevice(0), TopologyDevice(1)), (TopologyLink(0, 1, "SYS"),))
    assert nvlink_lines(pcie_only, names) == [
        "NvLink: none (the devices reach each other over PCIe only)"]
