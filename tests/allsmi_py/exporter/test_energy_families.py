"""Energy in /metrics and /snapshot: all-smi's integral under its name, the counter under ours.

all_smi_energy_consumed_joules_total is what allsmi integrated since it first ran (scope gpu
per device, scope cpu for the host); allsmi_device_energy_joules_total is the device's own
counter. Both survive the trip through the remote parser (text and JSON).
"""

from __future__ import annotations

from dataclasses import replace

from prometheus_client.parser import text_string_to_metric_families

from allsmi_py.energy.meter import EnergyMeter
from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import CpuReading, DeviceReading, HostReading, NodeSnapshot
from allsmi_py.remote.aggregate import node_energy_j
from allsmi_py.remote.parse import parse_node_text

INTEGRAL = "all_smi_energy_consumed_joules_total"
COUNTER = "allsmi_device_energy_joules_total"


def metered_snapshot() -> NodeSnapshot:
    def snap(at_s: float, gpu_w: float, counter_j: float) -> NodeSnapshot:
        device = DeviceReading(backend="nvidia", index=0, uuid="GPU-1", name="H100",
                               power_w=gpu_w, energy_j=counter_j)
        host = HostReading(cpu=CpuReading(model="EPYC", power_w=80.0))
        return NodeSnapshot("node-1", at_s, (device,), host)
    meter = EnergyMeter(None, max_gap_s=10.0)
    meter.apply(snap(0.0, 100.0, 9_000_000.0))
    return meter.apply(snap(2.0, 300.0, 9_000_500.0))  # the counter says 500 J, power 400 J


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted((k, v) for k, v in s.labels.items() if v))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_all_smis_name_carries_the_integral_per_device_and_cpu() -> None:
    got = samples(render_prometheus(metered_snapshot()))
    gpu = (INTEGRAL, (("gpu_index", "0"), ("gpu_uuid", "GPU-1"), ("host", "node-1"),
                      ("scope", "gpu")))
    cpu = (INTEGRAL, (("host", "node-1"), ("scope", "cpu")))
    assert got[gpu] == 500.0  # the hardware counter's increase, not its value
    assert got[cpu] == 160.0
    assert got[(COUNTER, (("gpu", "H100"), ("gpu_index", "0"), ("gpu_uuid", "GPU-1"),
                          ("instance", "node-1")))] == 9_000_500.0


def test_the_integral_is_a_counter_with_all_smis_help_and_three_decimals() -> None:
    text = render_prometheus(metered_snapshot())
    assert f"# TYPE {INTEGRAL} counter\n" in text
    assert f"# TYPE {COUNTER} counter\n" in text
    assert 'scope="cpu",gpu_index="",gpu_uuid=""} 160\n' in text


def test_joules_are_written_to_the_millijoule_as_all_smi_does() -> None:
    snap = metered_snapshot()
    device = replace(snap.devices[0], energy_consumed_j=1701.847000002861)
    text = render_prometheus(replace(snap, devices=(device,)))
    assert 'gpu_uuid="GPU-1"} 1701.847\n' in text


def test_without_a_meter_there_is_no_integral_but_the_counter_stays() -> None:
    device = DeviceReading(backend="nvidia", index=0, uuid="GPU-1", name="H100",
                           energy_j=42.0)
    text = render_prometheus(NodeSnapshot("node-1", 0.0, (device,)))
    assert INTEGRAL not in text
    assert f'{COUNTER}{{gpu="H100",instance="node-1",gpu_uuid="GPU-1",gpu_index="0"}} 42' in text


def test_remote_text_parse_reads_both_and_the_cpu_share() -> None:
    snap = parse_node_text(render_prometheus(metered_snapshot()))
    (device,) = snap.devices
    assert device.energy_consumed_j == 500.0 and device.energy_j == 9_000_500.0
    assert snap.host is not None and snap.host.cpu.energy_consumed_j == 160.0
    assert node_energy_j(snap) == 660.0


def test_all_smis_own_cpu_series_without_gpu_labels_is_read() -> None:
    body = ('all_smi_gpu_utilization{gpu="H100", instance="n1", gpu_uuid="GPU-1", '
            'gpu_index="0"} 5\n'
            'all_smi_energy_consumed_joules_total{host="n1", scope="gpu", gpu_index="0", '
            'gpu_uuid="GPU-1"} 3600000.000\n'
            'all_smi_energy_consumed_joules_total{host="n1", scope="cpu"} 1800000.000\n'
            'all_smi_energy_consumed_joules_total{host="n1", scope="chassis"} 99.000\n'
            'all_smi_energy_consumed_joules_total{host="n1", scope="cpu"} -5\n')
    snap = parse_node_text(body)
    assert snap.devices[0].energy_consumed_j == 3_600_000.0
    assert snap.host is not None and snap.host.cpu.energy_consumed_j == 1_800_000.0
    assert node_energy_j(snap) == 5_400_000.0


def test_cpu_energy_alone_makes_no_host() -> None:
    # what Prometheus keeps of a node's energy series under honor_labels: no other family
    body = 'all_smi_energy_consumed_joules_total{host="n1", scope="cpu"} 1800000.000\n'
    snap = parse_node_text(body)
    assert snap.host is None and snap.devices == ()


def test_json_snapshot_round_trip_keeps_the_totals() -> None:
    snap = metered_snapshot()
    back = NodeSnapshot.from_json(snap.to_json())
    assert back.devices[0].energy_consumed_j == 500.0
    assert back.host is not None and back.host.cpu.energy_consumed_j == 160.0


def test_node_energy_is_none_when_nothing_reports_it() -> None:
    device = DeviceReading(backend="x", index=0, uuid="u", name="n")
    assert node_energy_j(NodeSnapshot("n", 0.0, (device,), HostReading())) is None
