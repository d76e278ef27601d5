"""AMD GPUs: keys from amdgpu sysfs or amdsmi. Per-sensor keys: `temperature.<label>_<x>_c`."""

from __future__ import annotations

from allsmi_py.details import DetailKey, VendorDetails

SOURCE = DetailKey("source", help="sysfs or amdsmi")
PCI_ID = DetailKey("pci_id", help="vendor:device")
PCI_SLOT = DetailKey("pci_slot")
VBIOS_VERSION = DetailKey("vbios_version")
SERIAL_NUMBER = DetailKey("serial_number")
PERFORMANCE_LEVEL = DetailKey("performance_level", help="power_dpm_force_performance_level")
VRAM_VENDOR = DetailKey("vram_vendor")
GTT_USED_BYTES = DetailKey("gtt_used_bytes", "number", "B")
GTT_TOTAL_BYTES = DetailKey("gtt_total_bytes", "number", "B")
VDDGFX_MV = DetailKey("vddgfx_mv", "number", "mV")
HWMON_SCLK_MHZ = DetailKey("hwmon_sclk_mhz", "number", "MHz")
HWMON_MCLK_MHZ = DetailKey("hwmon_mclk_mhz", "number", "MHz")
ROCM_VERSION = DetailKey("rocm_version")
ARCHITECTURE = DetailKey("architecture", help="CDNA3, RDNA3 ...")

AMD = VendorDetails("amd", "AMD", (
    SOURCE, PCI_ID, PCI_SLOT, VBIOS_VERSION, SERIAL_NUMBER, PERFORMANCE_LEVEL, VRAM_VENDOR,
    GTT_USED_BYTES, GTT_TOTAL_BYTES, VDDGFX_MV, HWMON_SCLK_MHZ, HWMON_MCLK_MHZ, ROCM_VERSION,
    ARCHITECTURE,
), prefixes=("temperature.",))
