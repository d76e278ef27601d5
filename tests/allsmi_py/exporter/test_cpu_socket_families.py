"""all-smi's per-socket CPU families and our per-socket power, from CpuReading.sockets."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.exporter.schema import BY_NAME, OWN_NAMES
from allsmi_py.model import CpuReading, CpuSocketReading, HostReading, NodeSnapshot
from allsmi_py.serialize import decode_json_as, dumps_json

SOCKET_LABELS = {"cpu_model", "instance", "hostname", "cpu_index", "socket_id"}


def _snapshot() -> NodeSnapshot:
    cpu = CpuReading(
        model="Intel(R) Xeon(R) Gold 6338", utilization_pct=45.0, socket_count=2,
        power_w=55.0,
        sockets=(CpuSocketReading(index=0, utilization_pct=35.0, frequency_mhz=2250.0,
                                  temperature_c=61.6, power_w=30.0),
                 CpuSocketReading(index=1, utilization_pct=55.0, frequency_mhz=2450.0)),
        per_core_socket_index=(0, 1),
        per_core_utilization_pct=(35.0, 55.0),
    )
    return NodeSnapshot(hostname="node-a", taken_at_s=1.0, host=HostReading(cpu=cpu))


def _samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def test_per_socket_families_with_all_smis_labels() -> None:
    samples = _samples(render_prometheus(_snapshot()))
    util = samples["all_smi_cpu_socket_utilization"]
    assert [(labels["socket_id"], value) for labels, value in util] == [("0", 35.0), ("1", 55.0)]
    assert all(set(labels) == SOCKET_LABELS for labels, _ in util)
    assert util[0][0]["cpu_index"] == "0" and util[0][0]["hostname"] == "node-a"
    assert util[0][0]["cpu_model"] == "Intel(R) Xeon(R) Gold 6338"
    freq = samples["all_smi_cpu_socket_frequency_mhz"]
    assert [value for _, value in freq] == [2250.0, 2450.0]
    # a socket without a sensor has no sample; whole degrees, rounded (all-smi's view truncates)
    temps = samples["all_smi_cpu_socket_temperature_celsius"]
    assert [(labels["socket_id"], value) for labels, value in temps] == [("0", 62.0)]
    power = samples["allsmi_cpu_socket_power_watts"]
    assert [(labels["socket_id"], value) for labels, value in power] == [("0", 30.0)]
    assert samples["all_smi_cpu_power_consumption_watts"][0][1] == 55.0


def test_socket_power_is_our_own_name_and_the_rest_are_all_smis() -> None:
    assert "allsmi_cpu_socket_power_watts" in OWN_NAMES
    for name in ("all_smi_cpu_socket_utilization", "all_smi_cpu_socket_frequency_mhz",
                 "all_smi_cpu_socket_temperature_celsius"):
        assert name not in OWN_NAMES and BY_NAME[name].scope == "cpu_socket"


def test_no_sockets_no_socket_samples() -> None:
    snapshot = NodeSnapshot(hostname="node-b", taken_at_s=1.0, host=HostReading())
    text = render_prometheus(snapshot)
    assert "cpu_socket_" not in text.replace("all_smi_cpu_socket_count", "")


def test_sockets_survive_the_snapshot_json() -> None:
    snapshot = _snapshot()
    back = decode_json_as(NodeSnapshot, dumps_json(snapshot.to_dict()))
    assert back.host is not None and back.host.cpu.sockets == snapshot.host.cpu.sockets  # type: ignore[union-attr]
    assert back.host.cpu.per_core_socket_index == (0, 1)


def test_the_remote_parser_reads_the_sockets_back() -> None:
    from allsmi_py.remote.parse import parse_node_text

    back = parse_node_text(render_prometheus(_snapshot()))
    assert back.host is not None
    assert back.host.cpu.sockets == (
        CpuSocketReading(index=0, utilization_pct=35.0, frequency_mhz=2250.0,
                         temperature_c=62.0, power_w=30.0),
        CpuSocketReading(index=1, utilization_pct=55.0, frequency_mhz=2450.0),
    )


def test_the_remote_parser_refuses_hostile_socket_samples() -> None:
    from allsmi_py.remote.parse import parse_node_text

    labels = 'cpu_model="x",instance="n",hostname="n",cpu_index="0"'
    body = "\n".join([
        f'all_smi_cpu_socket_utilization{{{labels},socket_id="0"}} 5000',  # no percentage
        f'all_smi_cpu_socket_utilization{{{labels},socket_id="-1"}} 5',
        f'all_smi_cpu_socket_utilization{{{labels},socket_id="abc"}} 5',
        f'all_smi_cpu_socket_frequency_mhz{{{labels},socket_id="0"}} 2000',
        *(f'all_smi_cpu_socket_utilization{{{labels},socket_id="{n}"}} 1'
          for n in range(1, 5000)),
    ]) + "\n"
    back = parse_node_text(body)
    assert back.host is not None
    sockets = back.host.cpu.sockets
    assert sockets[0] == CpuSocketReading(index=0, frequency_mhz=2000.0)
    assert len(sockets) == 4096  # capped


def test_all_smis_zero_socket_clock_is_not_a_reading() -> None:
    from allsmi_py.remote.parse import parse_node_text

    # all-smi's cpu_linux.rs: frequency_mhz: 0 "will be set from base frequency", never is
    labels = 'cpu_model="AMD EPYC",instance="n",hostname="n",cpu_index="0",socket_id="0"'
    body = (f"all_smi_cpu_socket_utilization{{{labels}}} 12.5\n"
            f"all_smi_cpu_socket_frequency_mhz{{{labels}}} 0\n")
    host = parse_node_text(body).host
    assert host is not None
    assert host.cpu.sockets == (CpuSocketReading(index=0, utilization_pct=12.5),)
