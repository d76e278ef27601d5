"""The cluster view's derived round: rows sorted and filtered for the screen, off the UI."""

from __future__ import annotations

from allsmi_py.alerts import AlertThresholds
from allsmi_py.tui.cluster_model import DOWN, ClusterDeriver, ViewParams, node_cell, view_rows
from allsmi_py.tui.filter import parse_filter
from tests.allsmi_py.tui.cluster_factories import cluster_rounds


def test_derive_prepares_the_rows_for_the_screens_params() -> None:
    rounds = list(cluster_rounds(6, "h100:4", rounds=2, seed=5, down={2}))
    deriver = ClusterDeriver()
    deriver.derive(rounds[0], (), ViewParams())
    params = ViewParams("util", True, parse_filter("util>10"), users=True)
    state = deriver.derive(rounds[1], ("a problem",), params)
    assert state.params == params and state.problems == ("a problem",)
    assert state.shown is not None and 0 < len(state.shown) < len(state.rows)
    utils = [r.device.utilization_pct for r in state.shown]
    assert all(u is not None and u > 10 for u in utils)
    assert utils == sorted(utils, reverse=True)  # type: ignore[type-var]
    assert state.shown == view_rows(state.rows, params, state.addresses)
    assert [c.glyph for c in state.cells].count(DOWN) == 1 == len(state.down)
    assert state.cells == tuple(node_cell(n) for n in rounds[1].nodes)
    assert state.users is not None and state.users[2] == 5  # live nodes
    assert state.derive_cpu_s > 0


def test_default_params_keep_node_order_without_users() -> None:
    cluster = next(iter(cluster_rounds(3, "h100:2", rounds=1)))
    state = ClusterDeriver().derive(cluster, (), ViewParams())
    assert state.shown == state.rows and state.users is None
    assert [(r.node_pos, r.device.index) for r in state.rows] == [
        (n, i) for n in range(3) for i in range(2)]


def test_alert_levels_and_transitions_come_with_the_round() -> None:
    rounds = list(cluster_rounds(4, "h100:4", rounds=3, seed=2))
    deriver = ClusterDeriver(AlertThresholds(temp_warn_c=0.0, temp_crit_c=1000.0,
                                              power_warn_pct=1000.0))
    first = deriver.derive(rounds[0], (), ViewParams())
    assert len(first.events) == 16 and all(e.level == "warn" for e in first.events)
    assert dict(first.levels) == {r.device.uuid: "warn" for r in first.rows}
    assert first.alert_history == first.events
    second = deriver.derive(rounds[1], (), ViewParams())
    assert second.events == () and len(second.levels) == 16
