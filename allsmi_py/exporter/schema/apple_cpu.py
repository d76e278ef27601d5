"""all-smi's Apple Silicon CPU families: P/E/S clusters' busy share and clock, GPU cores.

all-smi writes them under the CPU's labels (src/api/metrics/cpu.rs); the Apple backend keeps
each cluster's figures as `cluster.<name>_mhz` / `_active_pct` details of the SoC device
(`allsmi_py.details.apple`). A kind's value is the mean over its clusters (an M2 Ultra has
two P clusters per die); a kind the chip does not have writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from allsmi_py.details.apple import APPLE, CLUSTER_PREFIX, GPU_CORE_COUNT
from allsmi_py.exporter.schema.spec import MetricSpec, Value
from allsmi_py.exporter.scopes import SocCpuItem

# powermetrics: E-Cluster, P0-Cluster, S-Cluster; IOReport: ECPU, PCPU, DIE_1_PCPU
_CLUSTER = re.compile(r"^(?:DIE_\d+_)?([EPS])(?:\d*-Cluster|CPU)$")
_SUFFIXES = {"mhz": "_mhz", "pct": "_active_pct", "cores": "_cores"}


def cluster_values(details: Mapping[str, str], kind: str, what: str) -> list[float]:
    """The `what` ('mhz', 'pct', 'cores') figures of every cluster of `kind` ('P', 'E', 'S')."""
    suffix = _SUFFIXES[what]
    found = []
    for key, text in details.items():
        if not key.startswith(CLUSTER_PREFIX) or not key.endswith(suffix):
            continue
        match = _CLUSTER.match(key[len(CLUSTER_PREFIX):-len(suffix)])
        if match is None or match.group(1) != kind:
            continue
        try:
            value = float(text)
        except ValueError:
            continue
        limit = {"pct": 100.0, "mhz": 20_000.0, "cores": 256.0}[what]
        if 0.0 <= value <= limit:
            found.append(value)
    return found


def _mean(kind: str, what: str) -> Callable[[SocCpuItem], Value]:
    def value(item: SocCpuItem) -> Value:
        if not APPLE.matches(item.device):
            return None
        found = cluster_values(item.device.details, kind, what)
        return round(sum(found) / len(found), 2) if found else None
    return value


def _cores(kind: str) -> Callable[[SocCpuItem], Value]:
    def value(item: SocCpuItem) -> Value:
        if not APPLE.matches(item.device):
            return None
        found = cluster_values(item.device.details, kind, "cores")
        return int(sum(found)) if found else None
    return value


def _gpu_cores(item: SocCpuItem) -> Value:
    return GPU_CORE_COUNT.number(item.device.details) if APPLE.matches(item.device) else None


S = "soc_cpu"
APPLE_CPU: tuple[MetricSpec, ...] = (
    MetricSpec("all_smi_cpu_s_core_count", "Apple Silicon S-core count", "gauge", S,
               _cores("S")),
    MetricSpec("all_smi_cpu_p_core_count", "Apple Silicon P-core count", "gauge", S,
               _cores("P")),
    MetricSpec("all_smi_cpu_e_core_count", "Apple Silicon E-core count", "gauge", S,
               _cores("E")),
    MetricSpec("all_smi_cpu_gpu_core_count", "Apple Silicon GPU core count", "gauge", S,
               _gpu_cores),
    MetricSpec("all_smi_cpu_s_core_utilization", "Apple Silicon S-cluster busy percentage",
               "gauge", S, _mean("S", "pct")),
    MetricSpec("all_smi_cpu_p_core_utilization", "Apple Silicon P-cluster busy percentage",
               "gauge", S, _mean("P", "pct")),
    MetricSpec("all_smi_cpu_e_core_utilization", "Apple Silicon E-cluster busy percentage",
               "gauge", S, _mean("E", "pct")),
    MetricSpec("all_smi_cpu_s_cluster_frequency_mhz", "Apple Silicon S-cluster frequency in MHz",
               "gauge", S, _mean("S", "mhz")),
    MetricSpec("all_smi_cpu_p_cluster_frequency_mhz", "Apple Silicon P-cluster frequency in MHz",
               "gauge", S, _mean("P", "mhz")),
    MetricSpec("all_smi_cpu_e_cluster_frequency_mhz", "Apple Silicon E-cluster frequency in MHz",
               "gauge", S, _mean("E", "mhz")),
)
