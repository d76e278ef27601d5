"""Tenstorrent backend: runs `tt-smi -s --snapshot_no_tty` once per tick and parses its JSON."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import ClassVar

from allsmi_py.backend import Availability, Backend, run_tool
from allsmi_py.errors import BackendReadError, BackendUnavailable
from allsmi_py.model import DeviceReading
from backends.tenstorrent.parse import SnapshotError, parse_snapshot

DEV_DIR = Path("/dev/tenstorrent")



class TenstorrentBackend(Backend):
    """Tenstorrent Wormhole/Blackhole cards through tt-smi's snapshot JSON."""

    name: ClassVar[str] = "tenstorrent"
    vendor: ClassVar[str] = "Tenstorrent"
    requirements: ClassVar[str] = "Linux, tt-kmd driver (/dev/tenstorrent), tt-smi on PATH"

    def __init__(self, tool: str | None = None, timeout_s: float = 10.0) -> None:
        self._tool_arg = tool
        self._tool: str | None = None
        self.timeout_s = timeout_s

    @classmethod
    def available(cls) -> Availability:
        """Cheap check: the driver's device folder and tt-smi on PATH."""
        if not DEV_DIR.is_dir():
            return Availability.no("no /dev/tenstorrent: tt-kmd driver not loaded or no card")
        if shutil.which("tt-smi") is None:
            return Availability.no("tt-smi not found on PATH (pip install tt-smi)")
        return Availability.yes()

    def open(self) -> None:
        """Resolve the tt-smi executable."""
        tool = self._tool_arg or shutil.which("tt-smi")
        if tool is None:
            raise BackendUnavailable("tt-smi not found on PATH (pip install tt-smi)")
        self._tool = tool

    def read(self) -> list[DeviceReading]:
        """One snapshot of every card: W, °C, MHz; utilization and memory are never reported."""
        if self._tool is None:
            self.open()
        assert self._tool is not None
        out = run_tool([self._tool, "-s", "--snapshot_no_tty"], self.timeout_s)
        try:
            return parse_snapshot(out, self.name)
        except SnapshotError as exc:
            raise BackendReadError(str(exc)) from exc

    def status_message(self) -> str:
        """Where the readings come from."""
        return "tt-smi snapshot"
