"""Google Cloud TPU: keys from the PCI scan and tpu-info."""

from __future__ import annotations

from allsmi_py.details import DetailKey, VendorDetails

DEVICE_PATH = DetailKey("device_path")
DEVICES_PER_CHIP = DetailKey("devices_per_chip", "number")
ACCELERATOR_TYPE = DetailKey("accelerator_type", help="the VM's TPU_ACCELERATOR_TYPE, e.g. v4-8")
CHIP_VERSION = DetailKey("chip_version", help="v4, v5e, v5p, v6e ...")
TENSORCORE_COUNT = DetailKey("tensorcore_count", "number", help="TensorCores per chip")
MEMORY_TYPE = DetailKey("memory_type", help="HBM2, HBM2e, HBM3e")
# from libtpu's runtime metrics service (backends/tpu/runtime_metrics.py), while a workload runs
HLO_QUEUE_SIZE = DetailKey("hlo_queue_size", "number", help="pending HLO programs")
HLO_EXEC_MEAN = DetailKey("hlo_exec_mean_us", "number", "µs", "HLO execution time, mean")
HLO_EXEC_P50 = DetailKey("hlo_exec_p50_us", "number", "µs", "HLO execution time, median")
HLO_EXEC_P90 = DetailKey("hlo_exec_p90_us", "number", "µs", "HLO execution time, p90")
HLO_EXEC_P95 = DetailKey("hlo_exec_p95_us", "number", "µs", "HLO execution time, p95")
HLO_EXEC_P999 = DetailKey("hlo_exec_p999_us", "number", "µs", "HLO execution time, p99.9")
HLO_KEYS = (HLO_QUEUE_SIZE, HLO_EXEC_MEAN, HLO_EXEC_P50, HLO_EXEC_P90, HLO_EXEC_P95,
            HLO_EXEC_P999)

TPU = VendorDetails("tpu", "Google", (DEVICE_PATH, DEVICES_PER_CHIP, ACCELERATOR_TYPE,
                                      CHIP_VERSION, TENSORCORE_COUNT, MEMORY_TYPE, *HLO_KEYS))
