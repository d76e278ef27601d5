"""Google Cloud TPU: keys from the PCI scan and tpu-info."""

from __future__ import annotations

from allsmi_py.details import DetailKey, VendorDetails

DEVICE_PATH = DetailKey("device_path")
DEVICES_PER_CHIP = DetailKey("devices_per_chip", "number")
ACCELERATOR_TYPE = DetailKey("accelerator_type", help="the VM's TPU_ACCELERATOR_TYPE, e.g. v4-8")
CHIP_VERSION = DetailKey("chip_version", help="v4, v5e, v5p, v6e ...")
TENSORCORE_COUNT = DetailKey("tensorcore_count", "number", help="TensorCores per chip")
MEMORY_TYPE = DetailKey("memory_type", help="HBM2, HBM2e, HBM3e")

TPU = VendorDetails("tpu", "Google", (DEVICE_PATH, DEVICES_PER_CHIP, ACCELERATOR_TYPE,
                                      CHIP_VERSION, TENSORCORE_COUNT, MEMORY_TYPE))
