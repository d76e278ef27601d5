"""kWh and cost in the TUI: on each device card (local and node detail), per node, per cluster."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from rich.console import Console
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from allsmi_py.alerts import AlertThresholds
from allsmi_py.backend import Backend
from allsmi_py.collector import Collector
from allsmi_py.energy.meter import EnergyMeter, MeteredSource
from allsmi_py.energy.price import EnergyPrice
from allsmi_py.model import (
    ClusterNode,
    ClusterSnapshot,
    CpuReading,
    DeviceReading,
    NodeSnapshot,
    NodeStatus,
)
from allsmi_py.remote.aggregate import summarize
from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.energy import current_price, use_price
from allsmi_py.tui.history import History
from allsmi_py.tui.widgets.cluster_overview import ClusterOverview
from allsmi_py.tui.widgets.devices import DeviceCard
from allsmi_py.tui.widgets.node_detail import NodeDetail, node_view
from tests.allsmi_py.tui.factories import HOST, T0, device, snapshot

KWH = 3.6e6


@pytest.fixture(autouse=True)
def price() -> Iterator[None]:
    before = current_price()
    use_price(EnergyPrice(0.25, "EUR"))
    yield
    use_price(before)


def plain(renderable: object, width: int = 120) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


async def until(pilot: Pilot[None], condition: Callable[[], bool], seconds: float = 15.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met")


class Steady(Backend):
    name = "steady"

    def read(self) -> list[DeviceReading]:
        return [device(0, power_w=360.0)]


async def test_local_cards_show_kwh_and_cost_from_the_meter() -> None:
    collector = Collector([Steady()], interval_s=0.05)
    source = MeteredSource(collector, EnergyMeter(None, max_gap_s=10.0))
    app = AllSmiApp(source)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            def card() -> str:
                cards = list(app.screen.query(DeviceCard))
                return "".join(t for line in cards[0].build(100) for t, _ in line) if cards else ""
            await until(pilot, lambda: "kWh" in card() and "0.000 kWh" not in card())
            assert "€" in card()
    finally:
        source.stop()


def test_card_words_for_a_known_total() -> None:
    card = DeviceCard(device(0, energy_consumed_j=2 * KWH))
    third = "".join(text for text, _ in card.build(100)[2])
    assert "2.000 kWh €0.50" in third
    no_meter = "".join(text for text, _ in DeviceCard(device(0)).build(100)[2])
    assert "kWh" not in no_meter


def node(name: str, gpu_j: float | None, cpu_j: float | None) -> ClusterNode:
    snap = snapshot(device(0, energy_consumed_j=gpu_j), device(1, energy_consumed_j=gpu_j))
    host = replace(HOST, cpu=replace(HOST.cpu, energy_consumed_j=cpu_j))
    snap = replace(snap, hostname=name, host=host)
    return ClusterNode(NodeStatus(f"{name}:9090", last_ok_at_s=T0), snap)


def cluster() -> ClusterSnapshot:
    return ClusterSnapshot(T0, (node("a", 10 * KWH, 2 * KWH), node("b", 4 * KWH, None),
                                node("c", None, None)))


def test_cluster_total_counts_devices_and_cpus_of_live_nodes() -> None:
    down = ClusterNode(NodeStatus("d:9090", state="timeout"),
                       node("d", 100 * KWH, None).snapshot)
    summary = summarize(replace(cluster(), nodes=(*cluster().nodes, down)))
    assert summary.energy_total_j == pytest.approx(30 * KWH)
    assert summarize(ClusterSnapshot(T0, (node("c", None, None),))).energy_total_j is None


class Cluster(App[None]):
    def compose(self) -> ComposeResult:
        yield ClusterOverview(id="overview")
        yield NodeDetail(id="detail")


async def test_cluster_overview_and_node_detail_show_kwh_and_cost() -> None:
    app = Cluster()
    async with app.run_test(size=(140, 40)) as pilot:
        snap = cluster()
        app.query_one(ClusterOverview).show(summarize(snap), History(), ())
        app.query_one(NodeDetail).show(snap.nodes[0], T0, History(), AlertThresholds())
        await pilot.pause()
        overview = app.query_one(ClusterOverview).message
        assert "Energy 30.0 kWh · €7.50" in overview
        detail = plain(app.query_one(NodeDetail).render(), 140)
        assert "Energy since allsmi first ran: 22.0 kWh €5.50" in detail
        assert detail.count("10.0 kWh €2.50") == 2  # each device card


def test_a_node_without_energy_shows_no_energy_line() -> None:
    text = plain(node_view(cluster().nodes[2], T0, History(), AlertThresholds(), 120))
    assert "Energy" not in text and "kWh" not in text


def test_cpu_only_node_counts() -> None:
    snap = NodeSnapshot("x", T0, (), replace(HOST, cpu=CpuReading(energy_consumed_j=KWH)))
    summary = summarize(ClusterSnapshot(T0, (ClusterNode(NodeStatus("x:1"), snap),)))
    assert summary.energy_total_j == KWH


def test_the_local_header_shows_the_node_total_of_devices_and_cpu() -> None:
    from allsmi_py.tui.widgets.header import header_line

    snap = node("a", 10 * KWH, 2 * KWH).snapshot
    assert snap is not None
    text = "".join(t for t, _ in header_line(snap, 160))
    assert "Energy 22.0 kWh · €5.50" in text  # two GPUs of 10 kWh and the CPU's 2
    unmetered = snapshot(device(0))
    assert "Energy" not in "".join(t for t, _ in header_line(unmetered, 160))
