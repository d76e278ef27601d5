"""What a remote node sends passes the same plausibility guard as a local reading."""

from __future__ import annotations

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import CpuReading, DeviceReading, HostReading, NodeSnapshot
from allsmi_py.remote.nodes import snapshot_from_json, snapshot_from_text


def _node() -> NodeSnapshot:
    """A node that guards nothing (an all-smi node, or an older allsmi-py) sending sentinels
    that still fit the remote engine's type-level bounds (values.py)."""
    good = DeviceReading(backend="nvidia", index=0, uuid="GPU-good", name="NVIDIA H100",
                         utilization_pct=40.0, temperature_c=50.0, power_w=300.0)
    bad = DeviceReading(backend="nvidia", index=1, uuid="GPU-bad", name="NVIDIA H100",
                        utilization_pct=40.0, temperature_c=255.0, power_w=65535.0,
                        clock_graphics_mhz=65535.0)
    return NodeSnapshot(hostname="node-1", taken_at_s=1_800_000_000.0, devices=(good, bad),
                        host=HostReading(cpu=CpuReading(temperature_c=255.0)))


def test_metrics_text_from_a_node_is_guarded() -> None:
    snapshot = snapshot_from_text(render_prometheus(_node()).encode(), "node-1:9090")
    good, bad = sorted(snapshot.devices, key=lambda d: d.index)
    assert (good.power_w, good.temperature_c, good.problems) == (300.0, 50.0, ())
    assert bad.power_w is None and bad.temperature_c is None and bad.clock_graphics_mhz is None
    assert bad.utilization_pct == 40.0
    assert "power_w: 65535 is a sentinel" in bad.problems
    assert "temperature_c: 255 is outside -40..200" in bad.problems
    assert snapshot.host is not None and snapshot.host.cpu.temperature_c is None


def test_snapshot_json_from_a_node_is_guarded() -> None:
    snapshot = snapshot_from_json(_node().to_json())
    good, bad = snapshot.devices
    assert good.problems == () and good.power_w == 300.0
    assert bad.power_w is None and "power_w: 65535 is a sentinel" in bad.problems
    assert snapshot.host is not None
    assert snapshot.host.problems == ("cpu.temperature_c: 255 is outside -40..200",)
