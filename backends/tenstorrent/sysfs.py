"""Reading tt-kmd's sysfs attributes and hwmon files under a configurable root directory.

These are files the driver fills from the firmware's telemetry table, so reading them needs no
tool, no write access to /dev/tenstorrent and no mapping of the card's BARs: it is safe while
jobs run. Layout (tt-kmd `docs/sysfs-attributes.md`, `telemetry.c`): each card is
`sys/class/tenstorrent/tenstorrent!<N>/`, whose `device` link is the PCI device; the hwmon
folder sits under that PCI device (`device/hwmon/hwmon<M>/`, registered on `&pdev->dev`).
What the text means is decided in `sysfs_parse.py`.
"""

from __future__ import annotations

import glob
import os

from backends._common.sysfs import find_hwmon, read_texts
from backends.tenstorrent.sysfs_parse import CardFiles

CLASS_DIR = os.path.join("sys", "class", "tenstorrent")

# Every telemetry attribute tt-kmd may create (docs/sysfs-attributes.md); absent is normal.
CARD_ATTRIBUTES = (
    "tt_aiclk", "tt_axiclk", "tt_arcclk", "tt_serial", "tt_card_type", "tt_asic_id",
    "tt_fw_bundle_ver", "tt_m3app_fw_ver", "tt_m3bl_fw_ver", "tt_arc_fw_ver", "tt_eth_fw_ver",
    "tt_ttflash_ver", "tt_heartbeat", "tt_therm_trip_count",
)
HWMON_FILES = (
    "name", "temp1_input", "temp1_max", "in0_input", "in0_max", "curr1_input", "curr1_max",
    "power1_input", "power1_max", "fan1_input",
)
PCI_FILES = ("device", "current_link_speed", "current_link_width")
HWMON_NAMES = frozenset({"grayskull", "wormhole", "blackhole"})


def _ordinal(card_dir: str) -> int:
    tail = os.path.basename(card_dir).rpartition("!")[2]
    return int(tail) if tail.isdigit() else -1


def find_cards(root: str = "/") -> list[str]:
    """Class entries `sys/class/tenstorrent/tenstorrent!<N>` under `root`, in N order."""
    cards = glob.glob(os.path.join(root, CLASS_DIR, "tenstorrent!*"))
    return sorted((c for c in cards if _ordinal(c) >= 0), key=_ordinal)


def hwmon_dir(pci_dir: str) -> str | None:
    """The PCI device's tt-kmd hwmon folder (numbering is arbitrary, so check `name`)."""
    return find_hwmon(pci_dir, HWMON_NAMES)


def read_card(card_dir: str) -> CardFiles:
    """One pass over a card's attributes, its hwmon files and a few PCI device files."""
    # EBUSY or ENODATA from telemetry.c while the device resets is noted, not raised.
    unreadable: list[str] = []
    attributes = read_texts(card_dir, CARD_ATTRIBUTES, problems=unreadable)
    pci_dir = os.path.join(card_dir, "device")
    pci_address = os.path.basename(os.path.realpath(pci_dir)) if os.path.isdir(pci_dir) else None
    hwmon: dict[str, str] = {}
    pci: dict[str, str] = {}
    if pci_address is not None:
        pci = read_texts(pci_dir, PCI_FILES, problems=unreadable, prefix="device/")
        folder = hwmon_dir(pci_dir)
        if folder is not None:
            hwmon = read_texts(folder, HWMON_FILES, problems=unreadable, prefix="hwmon/")
    return CardFiles(
        ordinal=_ordinal(card_dir),
        attributes=attributes,
        hwmon=hwmon,
        pci=pci,
        pci_address=pci_address,
        unreadable=tuple(unreadable),
    )
