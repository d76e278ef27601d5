"""NVIDIA GPUs through NVML (the Jetson SoC has its own declaration, `jetson`)."""

from __future__ import annotations

from allsmi_py.details import PCI_BUS_ID, DetailKey, VendorDetails

DRIVER_VERSION = DetailKey("driver_version")
CUDA_VERSION = DetailKey("cuda_version")
ARCHITECTURE = DetailKey("architecture", help="Hopper, Blackwell ...")
COMPUTE_CAPABILITY = DetailKey("compute_capability", help="e.g. 9.0")
SERIAL = DetailKey("serial")
VBIOS_VERSION = DetailKey("vbios_version")
PERSISTENCE_MODE = DetailKey("persistence_mode", help="Enabled or Disabled")
COMPUTE_MODE = DetailKey("compute_mode")
GSP_FIRMWARE_VERSION = DetailKey("gsp_firmware_version", help="e.g. 590.48.01")
GSP_FIRMWARE_MODE = DetailKey("gsp_firmware_mode", help="Enabled, Disabled or Default")
# all-smi's all_smi_gpu_gsp_firmware_mode values; "Default" wins over the enabled flag there
GSP_MODE_CODES = {"Disabled": 0, "Enabled": 1, "Default": 2}

NVIDIA = VendorDetails("nvidia", "NVIDIA", (
    DRIVER_VERSION, CUDA_VERSION, ARCHITECTURE, COMPUTE_CAPABILITY, SERIAL, VBIOS_VERSION,
    PERSISTENCE_MODE, COMPUTE_MODE, PCI_BUS_ID, GSP_FIRMWARE_VERSION, GSP_FIRMWARE_MODE,
), kind="gpu")
