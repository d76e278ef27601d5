"""The cluster view's Node tab: what a node could not report is said, not hidden."""

from __future__ import annotations

from rich.console import Console

from allsmi_py.alerts import AlertThresholds
from allsmi_py.model import BackendStatus, ClusterNode, NodeSnapshot, NodeStatus
from allsmi_py.tui.history import History
from allsmi_py.tui.widgets.node_detail import node_view
from backends.mock.backend import MockBackend

NOTE = "2 values out of range dropped (all_smi_gpu_memory_used_bytes 1e+300, ...)"


def _text(node: ClusterNode) -> str:
    console = Console(width=120, record=True, color_system=None)
    console.print(node_view(node, 1_800_000_000.0, History(), AlertThresholds(), 120))
    return console.export_text()


def _node(backends: tuple[BackendStatus, ...]) -> ClusterNode:
    snapshot = NodeSnapshot(hostname="gpu-07", taken_at_s=1_800_000_000.0,
                            devices=tuple(MockBackend(spec="h100:1", seed=1).read()),
                            backends=backends)
    return ClusterNode(NodeStatus("10.0.0.7:9090"), snapshot)


def test_values_the_reader_refused_are_noted_on_the_node() -> None:
    text = _text(_node((BackendStatus("remote", "error", NOTE),)))
    assert "remote: error" in text
    assert "values out of range dropped" in text


def test_a_node_that_read_cleanly_shows_no_note() -> None:
    text = _text(_node((BackendStatus("nvidia", "ok", device_count=1),)))
    assert "error" not in text
    assert "gpu-07" in text
