"""Intel Gaudi (Gaudi 2, Gaudi 3): keys from hl-smi's CSV query."""

from __future__ import annotations

from allsmi_py.details import DetailKey, VendorDetails

INTERNAL_NAME = DetailKey("internal_name", help="e.g. HL-325L")
DRIVER_VERSION = DetailKey("driver_version")
DRIVER_REVISION = DetailKey("driver_revision")

# Intel also makes GPUs (backends.intel, kind gpu); Gaudi is its NPU.
GAUDI = VendorDetails("gaudi", "Intel", (INTERNAL_NAME, DRIVER_VERSION, DRIVER_REVISION),
                      kind="npu")
