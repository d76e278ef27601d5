"""FuriosaAI (RNGD, Warboy): keys from furiosa-smi's info, status and ps tables."""

from __future__ import annotations

from allsmi_py.details import FIRMWARE_VERSION as FIRMWARE_VERSION
from allsmi_py.details import DetailKey, VendorDetails

DEVICE_NAME = DetailKey("device_name", help="npu0 ... as furiosa-smi names it")
ARCHITECTURE = DetailKey("architecture", help="chip: rngd or warboy")
DRIVER_VERSION = DetailKey("driver_version")
PERT_VERSION = DetailKey("pert_version")
SERIAL_NUMBER = DetailKey("serial_number")
GOVERNOR = DetailKey("governor")
PCI_BDF = DetailKey("pci_bdf")
PCI_DEV = DetailKey("pci_dev")
CLOCK_MHZ = DetailKey("clock_mhz", "number", "MHz")
LIVENESS = DetailKey("liveness", help="'alive' when the device answers")

HEALTHY_LIVENESS = "alive"

FURIOSA = VendorDetails("furiosa", "FuriosaAI", (
    DEVICE_NAME, ARCHITECTURE, FIRMWARE_VERSION, DRIVER_VERSION, PERT_VERSION, SERIAL_NUMBER,
    GOVERNOR, PCI_BDF, PCI_DEV, CLOCK_MHZ, LIVENESS,
))
