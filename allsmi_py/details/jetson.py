"""NVIDIA Jetson SoCs: keys from sysfs or tegrastats.

Per-part keys: `temperature.<zone>_c`, `rail.<rail>_w`, `engine.<engine>` (on/off or a
clock) and `engine.<engine>_active_pct`.
"""

from __future__ import annotations

from allsmi_py.details import DetailKey, VendorDetails

SOURCE = DetailKey("source", help="sysfs or tegrastats")
GPU_GOVERNOR = DetailKey("gpu_governor")
EMC_UTILIZATION_PCT = DetailKey("emc_utilization_pct", "number", "%")
EMC_FREQUENCY_MHZ = DetailKey("emc_frequency_mhz", "number", "MHz")
GPU_GPC_FREQUENCIES_MHZ = DetailKey("gpu_gpc_frequencies_mhz", help="comma-separated MHz")
SWAP_TOTAL_BYTES = DetailKey("swap_total_bytes", "number", "B")
SWAP_USED_BYTES = DetailKey("swap_used_bytes", "number", "B")
JETPACK = DetailKey("jetpack")
L4T = DetailKey("l4t")
SOC = DetailKey("soc", help="e.g. tegra234")

JETSON = VendorDetails("jetson", "NVIDIA", (
    SOURCE, GPU_GOVERNOR, EMC_UTILIZATION_PCT, EMC_FREQUENCY_MHZ, GPU_GPC_FREQUENCIES_MHZ,
    SWAP_TOTAL_BYTES, SWAP_USED_BYTES, JETPACK, L4T, SOC,
), kind="soc", prefixes=("temperature.", "rail.", "engine."))
