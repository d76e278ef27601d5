"""Fake tt-kmd sysfs trees and file texts for the Tenstorrent tests.

No real dump of tt-kmd's sysfs is public, so everything here is built from tt-kmd's own
documentation and driver source (tenstorrent/tt-kmd `docs/sysfs-attributes.md`,
`telemetry.c`, `wormhole.c`, `blackhole.c`, `hwmon.c`): the layout, the file names, the text
formats (`%u`, `%08X%08X`, dotted versions) and the unit conversions. The values are made up
but consistent with those encodings (the serials carry the card type bits that `tt_card_type`
decodes, temperatures are what the 16.16 and 12.4 fixed-point conversions can produce).

Layout, as in real sysfs: the class entry is a link into the PCI device's `tenstorrent/`
folder, its `device` link points back at the PCI device, and the hwmon folder hangs off the
PCI device (tt-kmd registers it on `&pdev->dev`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A current tt-kmd on a Blackhole p150a with current firmware: every attribute blackhole.c has.
P150A_ATTRIBUTES = {
    "tt_aiclk": "1350",
    "tt_axiclk": "960",
    "tt_arcclk": "800",
    "tt_serial": "000004032B15A0C7",  # high word 0x403: card type (0x403 >> 4) & 0xFFFF = 0x40
    "tt_card_type": "p150a",
    "tt_asic_id": "3D2A1C0E5F6B7A89",
    "tt_fw_bundle_ver": "18.7.0.0",
    "tt_m3app_fw_ver": "0.23.99.0",
    "tt_heartbeat": "69242",
    "tt_therm_trip_count": "0",
}
P150A_HWMON = {
    "name": "blackhole",
    "temp1_label": "asic_temp", "temp1_input": "41375", "temp1_max": "90000",
    "in0_label": "vcore", "in0_input": "765", "in0_max": "900",
    "curr1_label": "current", "curr1_input": "52000", "curr1_max": "200000",
    "power1_label": "power", "power1_input": "40000000", "power1_max": "300000000",
    "fan1_label": "fan_rpm", "fan1_input": "2100",
}
P150A_PCI = {"vendor": "0x1e52", "device": "0xb140", "current_link_speed": "32.0 GT/s PCIe",
             "current_link_width": "16"}

# A Wormhole n300: wormhole.c's attribute set (no tt_asic_id from this firmware), no fan.
N300_ATTRIBUTES = {
    "tt_aiclk": "1000",
    "tt_axiclk": "900",
    "tt_arcclk": "540",
    "tt_serial": "010001451170B07D",  # high word 0x01000145: card type 0x14 = n300
    "tt_card_type": "n300",
    "tt_fw_bundle_ver": "80.15.0.0",
    "tt_m3app_fw_ver": "5.9.0.0",
    "tt_m3bl_fw_ver": "129.2.0.0",
    "tt_arc_fw_ver": "2.32.0.0",
    "tt_eth_fw_ver": "6.14.0",  # ETH firmware packs only major.minor.patch
    "tt_ttflash_ver": "3.1.0.0",
    "tt_heartbeat": "5123",
}
N300_HWMON = {
    "name": "wormhole",
    "temp1_label": "asic1_temp", "temp1_input": "45250", "temp1_max": "75000",  # 0x2d4 / 16
    "in0_label": "vcore1", "in0_input": "800", "in0_max": "950",
    "curr1_label": "current1", "curr1_input": "30000", "curr1_max": "160000",
    "power1_label": "power1", "power1_input": "24000000", "power1_max": "150000000",
}
N300_PCI = {"vendor": "0x1e52", "device": "0x401e", "current_link_speed": "16.0 GT/s PCIe",
            "current_link_width": "16"}


@dataclass
class FakeCard:
    """One card to lay out under a fake root."""

    ordinal: int
    pci_address: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    hwmon: Mapping[str, str] = field(default_factory=dict)  # empty: no hwmon folder
    pci: Mapping[str, str] = field(default_factory=dict)
    hwmon_number: int = 3


def p150a(ordinal: int = 0, pci_address: str = "0000:03:00.0") -> FakeCard:
    """The Blackhole p150a above."""
    return FakeCard(ordinal, pci_address, P150A_ATTRIBUTES, P150A_HWMON, P150A_PCI, 3)


def n300(ordinal: int = 1, pci_address: str = "0000:04:00.0") -> FakeCard:
    """The Wormhole n300 above: one PCI function, so one class entry for both chips."""
    return FakeCard(ordinal, pci_address, N300_ATTRIBUTES, N300_HWMON, N300_PCI, 4)


def _write(folder: Path, files: Mapping[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text + "\n")  # sysfs show functions end with a newline


def install(root: Path, card: FakeCard) -> Path:
    """Lay `card` out under `root` as tt-kmd would; returns the PCI device folder."""
    pci_dir = root / "sys/devices/pci0000:00/0000:00:01.1" / card.pci_address
    _write(pci_dir, card.pci)
    entry = f"tenstorrent!{card.ordinal}"
    class_dev = pci_dir / "tenstorrent" / entry
    _write(class_dev, card.attributes)
    (class_dev / "device").symlink_to(Path("../../../") / card.pci_address)
    if card.hwmon:
        _write(pci_dir / "hwmon" / f"hwmon{card.hwmon_number}", card.hwmon)
    class_dir = root / "sys/class/tenstorrent"
    class_dir.mkdir(parents=True, exist_ok=True)
    (class_dir / entry).symlink_to(Path("../../devices/pci0000:00/0000:00:01.1") / card.pci_address
                                   / "tenstorrent" / entry)
    (root / "dev/tenstorrent").mkdir(parents=True, exist_ok=True)
    (root / "dev/tenstorrent" / str(card.ordinal)).write_text("")
    return pci_dir


# -- what tt-kmd would print for the raw telemetry words in a tt-smi snapshot ----------------

_BH_CARD_TYPES = {0x36: "p100", 0x40: "p150a", 0x41: "p150b", 0x42: "p150c", 0x43: "p100a",
                  0x44: "p300b", 0x45: "p300a", 0x46: "p300c", 0x47: "galaxy-blackhole"}


def _dotted(word: int) -> str:
    return ".".join(str((word >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def kmd_texts_from_blackhole_smbus(smbus: Mapping[str, Any]) -> tuple[dict[str, str],
                                                                        dict[str, str]]:
    """(attributes, hwmon) a Blackhole's tt-kmd would show for tt-smi's raw `smbus_telem` words.

    The conversions follow tt-kmd `telemetry.c` (`tt_sysfs_show_*`, `tt_hwmon_read`), applied to
    the same firmware words tt-smi decodes; the snapshot has no TDP/TDC/throttle limit words,
    so `power1_max`, `curr1_max` and `temp1_max` are left out.
    """
    word = {k: int(v, 16) for k, v in smbus.items() if isinstance(v, str)}
    high, low = word["BOARD_ID_HIGH"], word["BOARD_ID_LOW"]
    temp = word["ASIC_TEMPERATURE"]
    attributes = {
        "tt_aiclk": str(word["AICLK"]),
        "tt_axiclk": str(word["AXICLK"]),
        "tt_arcclk": str(word["ARCCLK"]),
        "tt_serial": f"{high:08X}{low:08X}",
        "tt_card_type": _BH_CARD_TYPES.get((high >> 4) & 0xFFFF, "unknown"),
        "tt_fw_bundle_ver": _dotted(word["FLASH_BUNDLE_VERSION"]),
        "tt_m3app_fw_ver": _dotted(word["DM_APP_FW_VERSION"]),
        "tt_heartbeat": str(word["TIMER_HEARTBEAT"]),
        "tt_therm_trip_count": str(word["THERM_TRIP_COUNT"]),
    }
    hwmon = {
        "name": "blackhole",
        "temp1_input": str((temp >> 16) * 1000 + (temp & 0xFFFF) * 1000 // 0x10000),
        "in0_input": str(word["VCORE"]),
        "in0_max": str((word["VDD_LIMITS"] >> 16) & 0xFFFF),
        "curr1_input": str(word["TDC"] * 1000),
        "power1_input": str(word["TDP"] * 1_000_000),
        "fan1_input": str(word["FAN_RPM"]),
    }
    return attributes, hwmon
