"""Alerts in the cluster view name their node: every node of a cluster has a "GPU 0" (issue 15)."""

from __future__ import annotations

from allsmi_py.alerts import AlertThresholds
from allsmi_py.tui.cluster_app import ClusterApp
from allsmi_py.tui.widgets.alerts import AlertPanel
from tests.allsmi_py.tui.cluster_factories import cluster_rounds

EVERY_DEVICE_WARNS = AlertThresholds(temp_warn_c=0.0, temp_crit_c=1000.0, power_warn_pct=1000.0)


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


async def test_alert_toasts_name_the_node_once() -> None:
    app = ClusterApp(thresholds=EVERY_DEVICE_WARNS)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.ingest(next(iter(cluster_rounds(3, "h100:1", rounds=1))))
        await pilot.pause()
        assert app.state is not None
        messages = sorted(n.message for n in app._notifications)
        assert len(messages) == 3
        for message, row in zip(messages, app.state.rows, strict=True):
            assert message.startswith(f"{row.node} GPU 0 {row.device.name}: temperature WARN")
            assert message.count(row.node) == 1
