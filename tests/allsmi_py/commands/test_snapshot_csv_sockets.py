"""The node CSV leaves the CPU's sockets out of the host row, as it does per-core figures."""

from __future__ import annotations

from allsmi_py.commands.snapshot_csv import csv_header, snapshot_csv
from allsmi_py.model import CpuReading, CpuSocketReading, HostReading, NodeSnapshot


def test_sockets_are_not_a_column_and_no_reading_is_written_as_its_repr() -> None:
    cpu = CpuReading(model="Xeon", power_unavailable_reason="RAPL energy_uj is root only",
                     sockets=(CpuSocketReading(index=0, utilization_pct=5.0),),
                     per_core_socket_index=(0, 0))
    text = snapshot_csv(NodeSnapshot(hostname="n", taken_at_s=1.0, host=HostReading(cpu=cpu)))
    header = csv_header()
    assert "sockets" not in header and "per_core_socket_index" not in header
    assert "cpu_power_unavailable_reason" in header
    assert "CpuSocketReading(" not in text and "RAPL energy_uj is root only" in text
