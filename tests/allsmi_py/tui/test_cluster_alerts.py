"""Alerts in the cluster view name their node: every node of a cluster has a "GPU 0"; a busy
cluster gets one summary line, and a toast only when the open node's level changes (issue 15)."""

from __future__ import annotations

from dataclasses import replace

from allsmi_py.alerts import AlertThresholds
from allsmi_py.model import ClusterSnapshot
from allsmi_py.tui.cluster_app import ClusterApp
from allsmi_py.tui.screens.cluster import ClusterScreen
from allsmi_py.tui.widgets.alerts import AlertPanel
from allsmi_py.tui.widgets.cluster_overview import ClusterHeader
from tests.allsmi_py.tui.cluster_factories import cluster_rounds

EVERY_DEVICE_WARNS = AlertThresholds(temp_warn_c=0.0, temp_crit_c=1000.0, power_warn_pct=1000.0)
HOT = AlertThresholds(temp_warn_c=80.0, temp_crit_c=90.0, power_warn_pct=1000.0)


async def test_alert_history_names_the_node_of_every_line() -> None:
    app = ClusterApp(thresholds=EVERY_DEVICE_WARNS)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.ingest(next(iter(cluster_rounds(4, "h100:2", rounds=1))))
        await pilot.pause()
        await pilot.press("a")
        panel = app.screen.query_one("#alerts", AlertPanel)
        assert panel.display
        lines = panel.message.splitlines()
        assert app.state is not None and len(lines) == len(app.state.rows) == 8
        assert len({r.node for r in app.state.rows}) == 4
        # "14:13:26  WARN    gpu-0003 GPU 1 NVIDIA H100 80GB HBM3: temperature WARN 48°C ..."
        named = {line[len("14:13:26  "):line.index(": temperature WARN")] for line in lines}
        assert named == {f"WARN    {r.node} GPU {r.device.index} {r.device.name}"
                         for r in app.state.rows}


def _with_temperatures(cluster: ClusterSnapshot, temps: dict[int, float]) -> ClusterSnapshot:
    """The round with every device of node `i` at `temps[i]` °C."""
    nodes = list(cluster.nodes)
    for i, temp in temps.items():
        snap = nodes[i].snapshot
        assert snap is not None
        devices = tuple(replace(d, temperature_c=temp) for d in snap.devices)
        nodes[i] = replace(nodes[i], snapshot=replace(snap, devices=devices))
    return replace(cluster, nodes=tuple(nodes))


def _header(app: ClusterApp) -> str:
    return app.screen.query_one("#header", ClusterHeader).message


async def test_a_busy_cluster_gets_one_summary_line_and_no_toast() -> None:
    app = ClusterApp(thresholds=EVERY_DEVICE_WARNS)
    async with app.run_test(size=(140, 40)) as pilot:
        for cluster in cluster_rounds(8, "h100:8", rounds=3):
            await app.ingest(cluster)
            await pilot.pause()
            assert "64 alerts on 8 nodes — a: list, m: mute" in _header(app)
        assert len(app._notifications) == 0  # Textual keeps the toasts on screen there


async def test_a_quiet_cluster_says_no_alerts() -> None:
    app = ClusterApp(thresholds=AlertThresholds(temp_warn_c=500.0, temp_crit_c=600.0,
                                                power_warn_pct=1000.0))
    async with app.run_test(size=(140, 40)) as pilot:
        await app.ingest(next(iter(cluster_rounds(2, "h100:2", rounds=1))))
        await pilot.pause()
        assert "no alerts — a: list, m: mute" in _header(app)


async def test_only_a_level_change_of_the_open_node_toasts_and_m_mutes() -> None:
    app = ClusterApp(thresholds=HOT)
    rounds = cluster_rounds(4, "h100:2", rounds=4)
    cool = {i: 30.0 for i in range(4)}
    async with app.run_test(size=(140, 40)) as pilot:
        await app.ingest(_with_temperatures(rounds[0], cool))
        await pilot.pause()
        assert isinstance(app.screen, ClusterScreen)
        app.screen.open_node(1)
        await app.ingest(_with_temperatures(rounds[1], {**cool, 0: 85.0}))  # another node
        await pilot.pause()
        assert len(app._notifications) == 0
        assert "2 alerts on 1 node —" in _header(app)
        await app.ingest(_with_temperatures(rounds[2], {**cool, 0: 85.0, 1: 85.0}))
        await pilot.pause()
        toasts = list(app._notifications)
        assert len(toasts) == 1
        assert toasts[0].message.startswith("gpu-0002: alert level OK → WARN")
        assert toasts[0].message.count("temperature WARN") == 2  # its two GPUs
        await pilot.press("m")
        assert "4 alerts on 2 nodes · muted — a: list, m: unmute" in _header(app)
        await app.ingest(_with_temperatures(rounds[3], {**cool, 0: 85.0, 1: 95.0}))
        await pilot.pause()
        assert len(app._notifications) == 1  # the critical one was muted
        assert "muted" in _header(app)
        await pilot.press("m")
        assert "muted" not in _header(app)
