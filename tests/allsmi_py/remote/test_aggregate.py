"""Cluster totals, means and stdev."""

from __future__ import annotations

import math

import pytest

from allsmi_py.model import ClusterNode, ClusterSnapshot, DeviceReading, NodeSnapshot, NodeStatus
from allsmi_py.remote.aggregate import summarize


def _dev(i: int, **values: float | int | None) -> DeviceReading:
    return DeviceReading(backend="t", index=i, uuid=f"u{i}", name="G", **values)  # type: ignore[arg-type]


def _node(state: str, *devices: DeviceReading) -> ClusterNode:
    snap = NodeSnapshot(hostname="h", taken_at_s=0.0, devices=devices)
    return ClusterNode(NodeStatus(address="h:9090", state=state, last_ok_at_s=1.0), snap)


def test_totals_means_and_stdev_over_live_nodes_only() -> None:
    cluster = ClusterSnapshot(taken_at_s=10.0, nodes=(
        _node("ok", _dev(0, utilization_pct=10.0, temperature_c=40.0, power_w=100.0,
                         memory_used_bytes=1, memory_total_bytes=4),
              _dev(1, utilization_pct=30.0, temperature_c=60.0, power_w=300.0,
                   memory_used_bytes=3, memory_total_bytes=4)),
        _node("ok", _dev(2, utilization_pct=None, temperature_c=50.0, power_w=None,
                         memory_used_bytes=None, memory_total_bytes=8)),
        _node("timeout", _dev(3, utilization_pct=99.0, temperature_c=99.0, power_w=999.0)),
        ClusterNode(NodeStatus(address="x:1", state="unreachable")),
    ))
    s = summarize(cluster)
    assert (s.nodes_live, s.nodes_total, s.nodes_stale, s.device_count) == (2, 4, 1, 3)
    assert (s.memory_total_bytes, s.memory_used_bytes) == (16, 4)
    assert s.memory_used_pct == pytest.approx(25.0)
    assert s.utilization_mean_pct == pytest.approx(20.0)  # the None does not count as 0
    assert s.temperature_mean_c == pytest.approx(50.0)
    assert s.temperature_stdev_c == pytest.approx(math.sqrt(200 / 3))
    assert s.temperature_max_c == 60.0
    assert s.power_total_w == pytest.approx(400.0)


def test_empty_cluster_has_no_means() -> None:
    s = summarize(ClusterSnapshot(taken_at_s=0.0))
    assert s.nodes_total == 0 and s.utilization_mean_pct is None
    assert s.temperature_stdev_c is None and s.memory_used_pct is None
