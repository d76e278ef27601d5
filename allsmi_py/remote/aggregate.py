"""Cluster totals and means the view shows, computed in one place."""

from __future__ import annotations

import math
from dataclasses import dataclass

from allsmi_py.model import ClusterSnapshot, NodeSnapshot


@dataclass(frozen=True, slots=True)
class ClusterSummary:
    """Totals over live nodes' devices; means and stdev over devices that report the value."""

    nodes_live: int
    nodes_total: int
    nodes_stale: int  # not live this round, but a last good snapshot is shown
    device_count: int
    memory_total_bytes: int
    memory_used_bytes: int
    utilization_mean_pct: float | None
    temperature_mean_c: float | None
    temperature_stdev_c: float | None  # population standard deviation
    temperature_max_c: float | None
    power_total_w: float
    energy_total_j: float | None = None  # since allsmi first ran on each node (devices + CPU)

    @property
    def memory_used_pct(self) -> float | None:
        """Cluster memory used as a percentage of total, or None when no device reports it."""
        if not self.memory_total_bytes:
            return None
        return 100.0 * self.memory_used_bytes / self.memory_total_bytes


def node_energy_j(snapshot: NodeSnapshot) -> float | None:
    """Joules the node's devices and CPU used since allsmi first ran there; None: none says."""
    parts = [d.energy_consumed_j for d in snapshot.devices if d.energy_consumed_j is not None]
    if snapshot.host is not None and snapshot.host.cpu.energy_consumed_j is not None:
        parts.append(snapshot.host.cpu.energy_consumed_j)
    return math.fsum(parts) if parts else None


def summarize(cluster: ClusterSnapshot) -> ClusterSummary:
    """Totals over the devices of live nodes (stale snapshots are not counted)."""
    live = stale = devices = 0
    mem_total = mem_used = 0
    power = 0.0
    util_sum = 0.0
    util_n = 0
    temps: list[float] = []
    energies: list[float] = []
    for node in cluster.nodes:
        if not node.is_live:
            if node.snapshot is not None:
                stale += 1
            continue
        live += 1
        if node.snapshot is None:
            continue
        energy = node_energy_j(node.snapshot)
        if energy is not None:
            energies.append(energy)
        for d in node.snapshot.devices:
            devices += 1
            if d.memory_total_bytes is not None:
                mem_total += d.memory_total_bytes
            if d.memory_used_bytes is not None:
                mem_used += d.memory_used_bytes
            if d.power_w is not None:
                power += d.power_w
            if d.utilization_pct is not None:
                util_sum += d.utilization_pct
                util_n += 1
            if d.temperature_c is not None:
                temps.append(d.temperature_c)
    t_mean = math.fsum(temps) / len(temps) if temps else None
    t_stdev = None
    if t_mean is not None:
        t_stdev = math.sqrt(math.fsum((t - t_mean) ** 2 for t in temps) / len(temps))
    return ClusterSummary(
        nodes_live=live, nodes_total=len(cluster.nodes), nodes_stale=stale,
        device_count=devices, memory_total_bytes=mem_total, memory_used_bytes=mem_used,
        utilization_mean_pct=util_sum / util_n if util_n else None,
        temperature_mean_c=t_mean, temperature_stdev_c=t_stdev,
        temperature_max_c=max(temps) if temps else None, power_total_w=power,
        energy_total_j=math.fsum(energies) if energies else None)
