"""Apple Silicon: keys from powermetrics or the native IOReport/SMC reader.

Besides these, the backend writes `cluster.<name>_mhz`, `cluster.<name>_active_pct` and (from
powermetrics) `cluster.<name>_cores` for each CPU cluster (E, P, S ...): `cluster_mhz`,
`cluster_active_pct` and `cluster_cores` give their keys.
"""

from __future__ import annotations

from allsmi_py.details import DetailKey, VendorDetails

SOURCE = DetailKey("source", help="native or powermetrics")
HW_MODEL = DetailKey("hw_model", help="e.g. Mac15,8")
CPU_POWER_W = DetailKey("cpu_power_w", "number", "W")
COMBINED_POWER_W = DetailKey("combined_power_w", "number", "W", "CPU + GPU + ANE power")
DRAM_POWER_W = DetailKey("dram_power_w", "number", "W")
GPU_SRAM_POWER_W = DetailKey("gpu_sram_power_w", "number", "W")
CPU_TEMPERATURE_C = DetailKey("cpu_temperature_c", "number", "C")
SYSTEM_POWER_W = DetailKey("system_power_w", "number", "W")
CHIP = DetailKey("chip", help="e.g. M3 Max")
GPU_CORE_COUNT = DetailKey("gpu_core_count", "number")
UNIFIED_MEMORY = DetailKey("unified_memory")


CLUSTER_PREFIX = "cluster."


def cluster_mhz(cluster: str) -> DetailKey:
    """The clock key of CPU cluster `cluster`."""
    return DetailKey(f"{CLUSTER_PREFIX}{cluster}_mhz", "number", "MHz")


def cluster_cores(cluster: str) -> DetailKey:
    """The CPU count of CPU cluster `cluster`."""
    return DetailKey(f"{CLUSTER_PREFIX}{cluster}_cores", "number")


def cluster_active_pct(cluster: str) -> DetailKey:
    """The busy-share key of CPU cluster `cluster`."""
    return DetailKey(f"{CLUSTER_PREFIX}{cluster}_active_pct", "number", "%")


APPLE = VendorDetails("apple", "Apple", (
    SOURCE, HW_MODEL, CPU_POWER_W, COMBINED_POWER_W, DRAM_POWER_W, GPU_SRAM_POWER_W,
    CPU_TEMPERATURE_C, SYSTEM_POWER_W, CHIP, GPU_CORE_COUNT, UNIFIED_MEMORY,
), prefixes=(CLUSTER_PREFIX,))
