"""The topology model: JSON round trip, old documents, `sanitized`, the collector's part."""

from __future__ import annotations

from allsmi_py.backend import Backend
from allsmi_py.collector import Collector
from allsmi_py.model import DeviceReading, NodeSnapshot
from allsmi_py.serialize import from_plain
from allsmi_py.topology import (
    MAX_TOPOLOGY_DEVICES,
    Topology,
    TopologyDevice,
    TopologyLink,
    sanitized,
)
from backends.mock.backend import MockBackend


def _two() -> Topology:
    return Topology(
        (TopologyDevice(0, "GPU-a", numa_node=0, cpu_affinity="0-55", pcie_switch="s0",
                        nvlinks_up=18, nvlink_version="4.0", nvswitch=True),
         TopologyDevice(1, "GPU-b", numa_node=1)),
        (TopologyLink(0, 1, "NV", 18, 18 * 26562, pcie_path="SYS"),),
        backend="nvidia", source="nvml")


def test_a_snapshot_with_a_topology_round_trips_through_json() -> None:
    snapshot = NodeSnapshot("node", 1.0, topology=_two())
    assert NodeSnapshot.from_json(snapshot.to_json()) == snapshot
    assert NodeSnapshot.from_dict(snapshot.to_dict()) == snapshot
    assert from_plain(NodeSnapshot, snapshot.to_dict()).topology == _two()


def test_an_old_document_without_topology_still_decodes() -> None:
    body = b'{"hostname":"old","taken_at_s":1.0,"devices":[],"format":"allsmi-py/snapshot/1"}'
    assert NodeSnapshot.from_json(body).topology is None
    assert "topology" not in NodeSnapshot("n", 1.0).to_dict()  # a default stays out


def test_the_label_is_the_topo_m_cell() -> None:
    assert TopologyLink(0, 1, "NV", 18).label == "NV18"
    assert TopologyLink(0, 1, "PXB").label == "PXB"


def test_a_sound_topology_is_returned_as_is() -> None:
    topology = _two()
    assert sanitized(topology) is topology


def test_too_many_devices_is_refused_whole() -> None:
    devices = tuple(TopologyDevice(i) for i in range(MAX_TOPOLOGY_DEVICES + 1))
    assert sanitized(Topology(devices)) is None
    assert sanitized(Topology(devices[:-1])) is not None


def test_bad_links_and_devices_are_dropped_and_pairs_put_in_order() -> None:
    devices = (TopologyDevice(0), TopologyDevice(1), TopologyDevice(1),
               TopologyDevice(2, nvlinks_up=10**6), TopologyDevice(3, cpu_affinity="0," * 100))
    links = (TopologyLink(1, 0, "PIX"), TopologyLink(0, 1, "SYS"), TopologyLink(0, 2, "PIX"),
             TopologyLink(0, 0, "PIX"), TopologyLink(0, 1, "NV", 0),
             TopologyLink(0, 1, "PIX", 3), TopologyLink(0, 1, "PIX", pcie_path="NV"))
    clean = sanitized(Topology(devices, links))
    assert clean is not None
    assert [d.index for d in clean.devices] == [0, 1]
    assert clean.links == (TopologyLink(0, 1, "PIX"),)


def test_pairs_finds_a_link_both_ways() -> None:
    pairs = _two().pairs()
    assert pairs[(0, 1)] is pairs[(1, 0)]


class _Raises(Backend, name="raises-topology"):
    def read(self) -> list[DeviceReading]:
        return []

    def topology(self) -> Topology | None:
        raise RuntimeError("a third-party bug")


def test_the_collector_puts_the_first_known_topology_on_the_snapshot() -> None:
    mock = MockBackend("h100:8", seed=1)
    snapshot = Collector([_Raises(), mock], deadline_s=5.0).tick()
    assert snapshot.topology is mock.topology()
    assert snapshot.topology is not None and snapshot.topology.backend == "mock"
    assert Collector([_Raises()], deadline_s=5.0).tick().topology is None


def test_the_mock_node_is_hgx_like_for_eight_and_pcie_below() -> None:
    board = MockBackend("h100:8", seed=1).topology()
    assert board is not None and len(board.links) == 28
    assert {link.label for link in board.links} == {"NV18"}
    assert {link.bandwidth_mb_s for link in board.links} == {18 * 26562}
    assert [d.numa_node for d in board.devices] == [0] * 4 + [1] * 4
    small = MockBackend("h100:4", seed=1).topology()
    assert small is not None
    assert [link.label for link in small.links] == ["PIX", "SYS", "SYS", "SYS", "SYS", "PIX"]
    assert MockBackend("rtx4090:1", seed=1).topology() is None
    uuids = [d.uuid for d in MockBackend("h100:4", seed=1).readings()]
    assert [d.uuid for d in small.devices] == uuids
