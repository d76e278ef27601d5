"""The idle alert in the cluster view: counted in the header summary, listed in the history."""

from __future__ import annotations

from allsmi_py.alerts import AlertThresholds
from allsmi_py.tui.cluster_model import ClusterDeriver, ViewParams
from allsmi_py.tui.widgets.alerts import history_text
from tests.allsmi_py.tui.cluster_factories import cluster_rounds

# Every device counts as idle and holding memory; one minute of that raises the alert.
ALWAYS_IDLE = AlertThresholds(temp_warn_c=200, temp_crit_c=200, power_warn_pct=1000,
                              util_low_mins=1, util_low_pct=100, util_low_memory_mib=0)


def test_idle_devices_raise_alerts_after_the_minutes_and_the_header_counts_them() -> None:
    rounds = cluster_rounds(3, "h100:2", rounds=3, step_s=30.0)
    deriver = ClusterDeriver(ALWAYS_IDLE)
    states = [deriver.derive(cluster, (), ViewParams()) for cluster in rounds]
    assert [s.alert_count for s in states] == [0, 0, 6]  # 0 s, 30 s, 60 s idle
    last = states[-1]
    assert (last.alert_nodes, last.alert_worst) == (3, "warn")
    assert {e.rule for e in last.events} == {"idle"}
    text = history_text(last.alert_history).plain
    assert text.count("idle WARN") == 6 and "gpu-0001 GPU 0" in text
