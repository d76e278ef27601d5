"""Intel GPUs on i915 or xe (Gaudi, Intel's NPU, has its own declaration, `gaudi`).

Per-engine keys: `engine.<class>_pct` (rcs, bcs, vcs, vecs, ccs).
"""

from __future__ import annotations

from allsmi_py.details import DetailKey, VendorDetails

SOURCE = DetailKey("source", help="sysfs")
DRIVER = DetailKey("driver", help="i915 or xe")
PCI_ID = DetailKey("pci_id", help="vendor:device")
PCI_SLOT = DetailKey("pci_slot")
REQUESTED_FREQUENCY_MHZ = DetailKey("requested_frequency_mhz", "number", "MHz")
ENERGY_UJ = DetailKey("energy_uj", "number", "uJ")

INTEL = VendorDetails("intel", "Intel", (
    SOURCE, DRIVER, PCI_ID, PCI_SLOT, REQUESTED_FREQUENCY_MHZ, ENERGY_UJ,
), kind="gpu", prefixes=("engine.",))
