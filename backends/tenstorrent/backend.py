"""Tenstorrent backend: tt-kmd's sysfs and hwmon files, else `tt-smi -s --snapshot_no_tty`.

sysfs comes first: it needs no tool and never maps the card's BARs, so it is safe while jobs
run, and it costs a few small reads a tick instead of a Python tool start. tt-smi is the
fallback for a driver too old to publish telemetry in sysfs, or firmware that has not yet
reported it (tt-kmd registers Wormhole's telemetry only once the firmware is ready).
"""

from __future__ import annotations

import os
import shutil

from allsmi_py.backend import Availability, Backend
from allsmi_py.errors import BackendReadError, BackendUnavailable
from allsmi_py.model import DeviceReading
from allsmi_py.needs import DeviceNodes, KernelModule, PciDevice, Tool
from backends._common.tools import run_tool
from backends._common.version import version_output
from backends.tenstorrent.parse import SnapshotError, parse_snapshot
from backends.tenstorrent.sysfs import CLASS_DIR, find_cards, read_card
from backends.tenstorrent.sysfs_parse import has_telemetry, reading_from_sysfs

TT_SMI_HINT = "tt-smi not found on PATH (pip install tt-smi)"
TENSTORRENT_PCI_VENDOR = "0x1e52"
NEEDS = (
    PciDevice(TENSTORRENT_PCI_VENDOR, "Tenstorrent card", classes=("",)),
    KernelModule(("tenstorrent",), "install tt-kmd (Tenstorrent's kernel driver) and load it: "
                 "modprobe tenstorrent"),
    DeviceNodes(("/dev/tenstorrent/*",), proc_devices_name="tenstorrent",
                fix="install and load tt-kmd, which creates /dev/tenstorrent/N",
                container_fix="pass --device /dev/tenstorrent to the container"),
    Tool(("tt-smi",), ("--version",), version_output, optional=True,
         fix="optional when tt-kmd publishes sysfs telemetry: pip install tt-smi"),
)


def availability(root: str = "/") -> Availability:
    """Cheap check under `root`: the driver's device folder, then sysfs cards or tt-smi."""
    if not os.path.isdir(os.path.join(root, "dev", "tenstorrent")):
        return Availability.no("no /dev/tenstorrent: tt-kmd driver not loaded or no card")
    if os.path.isdir(os.path.join(root, CLASS_DIR)):
        return Availability.yes()
    if shutil.which("tt-smi") is None:
        return Availability.no(f"no /sys/class/tenstorrent (tt-kmd too old?) and {TT_SMI_HINT}")
    return Availability.yes()


class TenstorrentBackend(Backend, name="tenstorrent", vendor="Tenstorrent", needs=NEEDS,
                         requirements=(
        "Linux, tt-kmd driver (/dev/tenstorrent); reads its sysfs/hwmon telemetry (no root), "
        "else runs tt-smi from PATH")):
    """Tenstorrent Wormhole/Blackhole cards through tt-kmd sysfs, or tt-smi's snapshot JSON."""

    def __init__(
        self, tool: str | None = None, timeout_s: float = 10.0, root: str = "/"
    ) -> None:
        self._tool_arg = tool
        self._tool: str | None = None
        self.timeout_s = timeout_s
        self.root = root
        self._cards: list[str] = []
        self._n300 = False

    @classmethod
    def available(cls) -> Availability:
        """Cheap check: /dev/tenstorrent, and tt-kmd's sysfs class or tt-smi on PATH."""
        return availability("/")

    def open(self) -> None:
        """Use sysfs when every card there has a temperature or power; else tt-smi."""
        cards = find_cards(self.root)
        readings = [reading_from_sysfs(read_card(card), self.name) for card in cards]
        if readings and all(has_telemetry(r) for r in readings):
            self._cards = cards
            self._n300 = any(r.details.get("board_type", "").startswith("n300")
                             for r in readings)
            return
        if not cards:
            why = f"no card under {os.path.join(self.root, CLASS_DIR)}"
        else:
            bare = [os.path.basename(card) for card, reading in zip(cards, readings, strict=True)
                    if not has_telemetry(reading)]
            why = f"tt-kmd sysfs has no temperature or power for {', '.join(bare)}"
        tool = self._tool_arg or shutil.which("tt-smi")
        if tool is None:
            raise BackendUnavailable(f"{why}; {TT_SMI_HINT}")
        self._tool = tool

    def read(self) -> list[DeviceReading]:
        """One pass over every card: °C, W, MHz, RPM; utilization and memory are never reported."""
        if not self._cards and self._tool is None:
            self.open()
        if self._cards:
            return self._read_sysfs()
        assert self._tool is not None
        out = run_tool([self._tool, "-s", "--snapshot_no_tty"], self.timeout_s)
        try:
            return parse_snapshot(out, self.name)
        except SnapshotError as exc:
            raise BackendReadError(str(exc)) from exc

    def _read_sysfs(self) -> list[DeviceReading]:
        readings = []
        for card in self._cards:
            if not os.path.isdir(card):
                raise BackendReadError(f"{card} is gone (card removed or tt-kmd unloaded)")
            readings.append(reading_from_sysfs(read_card(card), self.name))
        return readings

    def status_message(self) -> str:
        """Where the readings come from."""
        if not self._cards:
            return "tt-smi snapshot"
        # Worth saying: the board shows as one device where tt-smi shows two.
        return "tt-kmd sysfs (n300: 2nd chip not on PCIe)" if self._n300 else "tt-kmd sysfs"
