"""Rebellions (ATOM, REBEL): keys from rbln-smi / rbln-stat JSON."""

from __future__ import annotations

from allsmi_py.details import FIRMWARE_VERSION as FIRMWARE_VERSION
from allsmi_py.details import PCI_BUS_ID as PCI_BUS_ID
from allsmi_py.details import DetailKey, VendorDetails

KMD_VERSION = DetailKey("kmd_version", help="kernel driver version")
SERIAL_ID = DetailKey("serial_id", help="rbln-smi's `sid`")
STATUS = DetailKey("status", help="device status word; 'normal' when healthy")
PSTATE = DetailKey("pstate", help="performance state, e.g. P0")
LOCATION = DetailKey("location")
BOARD_INFO = DetailKey("board_info")
DEVICE_PATH = DetailKey("device_path")
GROUP_ID = DetailKey("group_id")
PCI_DEV = DetailKey("pci_dev")

HEALTHY_STATUS = "normal"

REBELLIONS = VendorDetails("rebellions", "Rebellions", (
    FIRMWARE_VERSION, KMD_VERSION, SERIAL_ID, STATUS, PSTATE, LOCATION, BOARD_INFO,
    DEVICE_PATH, GROUP_ID, PCI_BUS_ID, PCI_DEV,
))
