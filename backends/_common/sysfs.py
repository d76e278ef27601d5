"""Reading Linux sysfs, procfs and hwmon files under a root directory, safely.

A sysfs attribute is a small text file the kernel fills when it is read
(`Documentation/filesystems/sysfs.rst`: one value a file, at most a page). Any read may fail:
the attribute is absent on this ASIC, root-only, or the device is resetting (EBUSY, ENODATA,
EINVAL); and a broken driver or a hostile tree can put anything in a file. Every reader here
turns those into None, reads at most `MAX_READ_BYTES` and decodes bytes that are not UTF-8 as
U+FFFD, so no file can stop a backend's tick or fill its memory.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Collection, Iterable

MAX_READ_BYTES = 64 * 1024
"""The most read from one file: a sysfs attribute is at most a page (4 KiB on most systems)."""

PCI_DEVICES_DIR = os.path.join("sys", "bus", "pci", "devices")
DRM_CLASS_DIR = os.path.join("sys", "class", "drm")

# All-ones words are what a PCI read of a hung or resetting device returns, and what firmware
# tables print for "not supported": never a measurement.
_ALL_ONES = frozenset({0xFFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF})
_INTEGER = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|\d+)")
_MAX_DIGITS = 32  # a 64-bit value has at most 20 decimal digits
_ABSENT = (FileNotFoundError, NotADirectoryError)
_CARD = re.compile(r"card(\d+)")
_LINK_SPEED = re.compile(r"\s*(\d+(?:\.\d+)?)\s*GT/s")
# PCIe generation by per-lane transfer rate (GT/s), PCI-SIG.
_PCIE_GEN_BY_GTS = {2.5: 1, 5.0: 2, 8.0: 3, 16.0: 4, 32.0: 5, 64.0: 6}


def read_text(
    path: str,
    *,
    limit: int = MAX_READ_BYTES,
    problems: list[str] | None = None,
    label: str | None = None,
) -> str | None:
    """A file's text without surrounding whitespace or trailing NULs; None when unreadable.

    With `problems`, a file that exists but fails to read (EBUSY, EACCES, a directory) adds
    '<label>: <reason>' to it; an absent file is normal and adds nothing.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit)
    except _ABSENT:
        return None
    except OSError as exc:
        if problems is not None:
            problems.append(f"{label or path}: {exc.strerror or exc}")
        return None
    # Device-tree strings (/proc/device-tree/model) end in a NUL.
    return raw.decode("utf-8", "replace").strip().rstrip("\0").rstrip()


def read_texts(
    folder: str, names: Iterable[str], *, problems: list[str] | None = None, prefix: str = ""
) -> dict[str, str]:
    """The text of each named file in `folder` that reads (see `read_text`), by name.

    With `problems`, a failed read is labelled '<prefix><name>'.
    """
    texts = {}
    for name in names:
        text = read_text(os.path.join(folder, name), problems=problems, label=prefix + name)
        if text is not None:
            texts[name] = text
    return texts


def parse_int(text: str | None, *, signed: bool = False) -> int | None:
    """The integer a sysfs value starts with ('800\\n', '0x1002', '16 lanes'), or None.

    None as well for a negative value unless `signed` (temperatures are; counts, sizes,
    clocks and power are not) and for the all-ones sentinels 0xFFFFFFFF and 2**64-1.
    """
    words = (text or "").split(maxsplit=1)
    if not words or len(words[0]) > _MAX_DIGITS or not _INTEGER.fullmatch(words[0]):
        return None
    word = words[0]
    value = int(word, 16) if word.lstrip("+-")[:2] in ("0x", "0X") else int(word)
    if (value < 0 and not signed) or value in _ALL_ONES:
        return None
    return value


def read_int(path: str, *, signed: bool = False) -> int | None:
    """A file holding one integer (see `parse_int`); None when unreadable or not a number."""
    return parse_int(read_text(path), signed=signed)


def pcie_generation(link_speed: str | None) -> int | None:
    """PCIe generation from a PCI device's `current_link_speed` ('16.0 GT/s PCIe'), or None."""
    match = _LINK_SPEED.match(link_speed or "")
    return _PCIE_GEN_BY_GTS.get(float(match.group(1))) if match else None


def parse_uevent(text: str | None) -> dict[str, str]:
    """The KEY=value lines of a uevent file."""
    pairs = (line.partition("=") for line in (text or "").splitlines())
    return {key: value for key, sep, value in pairs if sep}


def read_uevent(device_dir: str) -> dict[str, str]:
    """A device folder's uevent (DRIVER, PCI_ID, PCI_SLOT_NAME ...); empty when unreadable."""
    return parse_uevent(read_text(os.path.join(device_dir, "uevent")))


def device_driver(device_dir: str) -> str | None:
    """The kernel driver bound to a device folder: its `driver` link, else uevent's DRIVER."""
    try:
        return os.path.basename(os.readlink(os.path.join(device_dir, "driver")))
    except OSError:
        return read_uevent(device_dir).get("DRIVER")


def hwmon_dirs(device_dir: str) -> list[str]:
    """A device's hwmon folders (`hwmon/hwmon<N>`), sorted by name."""
    return sorted(glob.glob(os.path.join(glob.escape(device_dir), "hwmon", "hwmon*")))


def find_hwmon(
    device_dir: str, names: Collection[str], *, first_if_unnamed: bool = False
) -> str | None:
    """The device's hwmon folder whose `name` is one of `names`.

    hwmon numbering is arbitrary and a device may have several (i915's per-GT ones), so the
    folder is chosen by its `name` file; with `first_if_unnamed`, the first folder when none
    matches.
    """
    folders = hwmon_dirs(device_dir)
    for folder in folders:
        if read_text(os.path.join(folder, "name"), limit=256) in names:
            return folder
    return folders[0] if first_if_unnamed and folders else None


def drm_cards(root: str) -> list[str]:
    """`sys/class/drm/card<N>` folders under `root` in N order; connectors (card0-DP-1) left out."""
    pattern = os.path.join(glob.escape(root), DRM_CLASS_DIR, "card[0-9]*")
    found = []
    for path in glob.glob(pattern):
        match = _CARD.fullmatch(os.path.basename(path))
        if match:
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]


def pci_vendor(device_dir: str) -> str | None:
    """A PCI device folder's vendor id in lower case ('0x1002'), or None."""
    text = read_text(os.path.join(device_dir, "vendor"), limit=256)
    return text.lower() if text else None


def pci_devices(root: str, vendor: str) -> list[str]:
    """PCI device folders (`sys/bus/pci/devices/<address>`) under `root` of one vendor id."""
    pattern = os.path.join(glob.escape(root), PCI_DEVICES_DIR, "*")
    wanted = vendor.lower()
    return [device for device in sorted(glob.glob(pattern)) if pci_vendor(device) == wanted]
