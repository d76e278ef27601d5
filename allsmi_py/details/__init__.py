"""Vendor details: the typed declaration of every key a backend keeps in `DeviceReading.details`.

`details` is a string map so that it travels unchanged through JSON, Prometheus labels and
the TUI, but each key is declared once, in the vendor's module here, with what it holds:
text, a decimal number, or a hexadecimal register. The backend writes through `put`, the
mock profiles name the same keys, and the exporter reads numbers back through `number`, so
the spelling and the format of a key live in one place. `registry.VENDORS` lists every
declaration; a vendor's own families are picked by `VendorDetails.matches` (the reading's
`vendor` and, where one vendor makes two kinds of device, its `kind`), never by words in a
device name. A vendor module re-exports the common keys it writes (`X as X`), so a backend
finds every key it writes in its vendor's module.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from allsmi_py.model import DeviceReading

Kind = Literal["text", "number", "hex"]


@dataclass(frozen=True, slots=True)
class DetailKey:
    """One detail key: its name in `details`, what it holds, and its unit for numbers."""

    key: str
    kind: Kind = "text"
    unit: str = ""
    help: str = ""

    def put(self, details: dict[str, str], value: str | float | int | None) -> None:
        """Write `value` under this key in the declared format; None, '' or NaN writes nothing."""
        text = self.format(value)
        if text is not None:
            details[self.key] = text

    def format(self, value: str | float | int | None) -> str | None:
        """The text for `value`: whole numbers exact, others `%g`, registers `0x..`."""
        if value is None:
            return None
        if isinstance(value, str):
            value = value.strip()
            return value or None
        if self.kind == "hex":
            return f"0x{int(value):x}"
        if isinstance(value, int):
            return str(value)
        if not math.isfinite(value):
            return None
        # whole numbers exactly (a counter past 1e6 keeps every digit), others as %g
        return str(int(value)) if value.is_integer() else f"{value:g}"

    def text(self, details: Mapping[str, str]) -> str | None:
        """The key's text, or None when absent or empty."""
        return details.get(self.key) or None

    def number(self, details: Mapping[str, str]) -> float | int | None:
        """The key's number (an int for a hex register), or None when absent or not a number."""
        text = details.get(self.key)
        if not text:
            return None
        try:
            if self.kind == "hex":
                return int(text, 16)
            value = float(text)
        except ValueError:
            return None
        return value if math.isfinite(value) else None


# Keys any vendor's device may carry.
FIRMWARE = DetailKey("firmware")
FIRMWARE_VERSION = DetailKey("firmware_version")
FW_BUNDLE_VERSION = DetailKey("fw_bundle_version")
PCI_BUS_ID = DetailKey("pci_bus_id", help="domain:bus:device.function")
COMMON: tuple[DetailKey, ...] = (FIRMWARE, FIRMWARE_VERSION, FW_BUNDLE_VERSION, PCI_BUS_ID)
# all_smi_npu_firmware_info takes the first of these a device has
NPU_FIRMWARE_KEYS = (FIRMWARE, FIRMWARE_VERSION, FW_BUNDLE_VERSION)


@dataclass(frozen=True, slots=True)
class VendorDetails:
    """The detail keys of one vendor's devices, and which readings are that vendor's."""

    family: str  # the vendor family, as in all-smi's metric names: tenstorrent, gaudi ...
    vendor: str  # DeviceReading.vendor its backend writes
    keys: tuple[DetailKey, ...]
    kind: str = ""  # DeviceReading.kind when the vendor makes more than one kind of device
    prefixes: tuple[str, ...] = ()  # families of keys made per part (Apple's cluster.<name>_..)

    def matches(self, device: DeviceReading) -> bool:
        """Whether `device` is one of this vendor family's."""
        return device.vendor == self.vendor and (not self.kind or device.kind == self.kind)

    def declares(self, name: str) -> bool:
        """Whether `name` is one of this vendor's keys, or one any vendor may write."""
        return (name.startswith(self.prefixes)
                or any(k.key == name for k in (*self.keys, *COMMON)))

    def details(self, **texts: str) -> dict[str, str]:
        """A details map of declared keys (for fixed facts, e.g. a simulated product's)."""
        undeclared = [name for name in texts if not self.declares(name)]
        if undeclared:
            raise KeyError(f"{self.family} declares no detail key {', '.join(undeclared)}")
        return dict(texts)

    def key(self, name: str) -> DetailKey:
        """The declared key `name`; KeyError for a key this vendor does not declare."""
        for declared in self.keys:
            if declared.key == name:
                return declared
        raise KeyError(name)
