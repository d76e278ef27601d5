"""Tenstorrent (Grayskull, Wormhole, Blackhole): keys from tt-smi's snapshot and tt-kmd sysfs."""

from __future__ import annotations

from allsmi_py.details import FW_BUNDLE_VERSION as FW_BUNDLE_VERSION
from allsmi_py.details import DetailKey, VendorDetails

COLLECTION_METHOD = DetailKey("collection_method", help="tt-smi or sysfs")
BOARD_TYPE = DetailKey("board_type", help="board name, e.g. n300, p300c")
BOARD_ID = DetailKey("board_id")
ARCHITECTURE = DetailKey("architecture", help="grayskull, wormhole or blackhole")
PCIE_ADDRESS = DetailKey("pcie_address")
ASIC_ID = DetailKey("asic_id")
TT_FLASH_VERSION = DetailKey("tt_flash_version")
ARC_FW_VERSION = DetailKey("arc_fw_version", help="chip-management firmware on the ARC")
FW_DATE = DetailKey("fw_date")
ETH_FW_VERSION = DetailKey("eth_fw_version")
DM_BL_FW_VERSION = DetailKey("dm_bl_fw_version", help="device-manager bootloader firmware")
DM_APP_FW_VERSION = DetailKey("dm_app_fw_version", help="device-manager application firmware")
DDR_FW_VERSION = DetailKey("ddr_fw_version")
DRAM_SPEED = DetailKey("dram_speed")
ASIC_TEMPERATURE = DetailKey("asic_temperature", "number", "C")
AICLK_MHZ = DetailKey("aiclk_mhz", "number", "MHz")
AXICLK_MHZ = DetailKey("axiclk_mhz", "number", "MHz")
ARCCLK_MHZ = DetailKey("arcclk_mhz", "number", "MHz")
THERM_TRIP_COUNT = DetailKey("therm_trip_count", "number")
VOLTAGE = DetailKey("voltage", "number", "V", "core voltage")
CURRENT = DetailKey("current", "number", "A", "core current")
POWER_WATTS = DetailKey("power_watts", "number", "W")
HEARTBEAT = DetailKey("heartbeat", "number", help="ARC firmware heartbeat counter")
DDR_STATUS = DetailKey("ddr_status", "hex", help="DDR status register")
FAN_SPEED = DetailKey("fan_speed", "number", "%")
FAN_RPM = DetailKey("fan_rpm", "number", "RPM")
VDD_MIN_MV = DetailKey("vdd_min_mv", "number", "mV")
VDD_MAX_MV = DetailKey("vdd_max_mv", "number", "mV")
TDP_LIMIT = DetailKey("tdp_limit", "number", "W")
TDC_LIMIT = DetailKey("tdc_limit", "number", "A")
THERMAL_LIMIT = DetailKey("thermal_limit", "number", "C")

TENSTORRENT = VendorDetails("tenstorrent", "Tenstorrent", (
    COLLECTION_METHOD, BOARD_TYPE, BOARD_ID, ARCHITECTURE, PCIE_ADDRESS, ASIC_ID,
    FW_BUNDLE_VERSION, TT_FLASH_VERSION, ARC_FW_VERSION, FW_DATE, ETH_FW_VERSION,
    DM_BL_FW_VERSION, DM_APP_FW_VERSION, DDR_FW_VERSION, DRAM_SPEED, ASIC_TEMPERATURE,
    AICLK_MHZ, AXICLK_MHZ, ARCCLK_MHZ, THERM_TRIP_COUNT, VOLTAGE, CURRENT, POWER_WATTS,
    HEARTBEAT, DDR_STATUS, FAN_SPEED, FAN_RPM, VDD_MIN_MV, VDD_MAX_MV, TDP_LIMIT, TDC_LIMIT,
    THERMAL_LIMIT,
))
