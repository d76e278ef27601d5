"""The Node tab names the tool an SSH host answered with (issue 21 item 1)."""

from __future__ import annotations

import io

from rich.console import Console

from allsmi_py.alerts import AlertThresholds
from allsmi_py.model import ClusterNode, NodeStatus
from allsmi_py.tui.history import History
from allsmi_py.tui.widgets.node_detail import node_view
from tests.allsmi_py.remote.faults import node_snapshot


def shown(source: str | None) -> str:
    snapshot = node_snapshot("gpu-a", "h100:1")
    node = ClusterNode(NodeStatus(address="ops@gpu-a", latency_s=0.01, source=source), snapshot)
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(node_view(node, snapshot.taken_at_s, History(), AlertThresholds(), 120))
    return console.export_text()


def test_an_ssh_host_says_which_tool_answered() -> None:
    assert "via ssh:nvidia-smi" in shown("ssh:nvidia-smi")


def test_an_exporter_node_shows_no_via() -> None:
    assert "via " not in shown("json")
