"""Rebellions backend: runs `rbln-smi -j` (older SDKs: `rbln-stat -j`) once per tick."""

from __future__ import annotations

import shutil
from pathlib import Path

from allsmi_py.backend import Availability, Backend
from allsmi_py.errors import BackendReadError, BackendUnavailable
from allsmi_py.model import DeviceReading
from allsmi_py.needs import DeviceNodes, PciDevice, Tool
from backends._common.tools import run_tool
from backends._common.version import version_output
from backends.rebellions.parse import RblnJsonError, parse_rbln

DEVICE_NODE = Path("/dev/rbln0")
TOOLS = ("rbln-smi", "rbln-stat")
INSTALL_HINT = "neither rbln-smi nor rbln-stat on PATH (install the RBLN driver package)"
REBELLIONS_PCI_VENDOR = "0x1eff"
NEEDS = (
    PciDevice(REBELLIONS_PCI_VENDOR, "Rebellions ATOM card"),
    DeviceNodes(("/dev/rbln[0-9]*",), fix="install and load the RBLN driver",
                container_fix="pass --device /dev/rbln0 (one per card) to the container"),
    Tool(TOOLS, ("--version",), version_output, fix="install the RBLN driver package"),
)



def _find_tool() -> str | None:
    return next((path for tool in TOOLS if (path := shutil.which(tool))), None)


class RebellionsBackend(Backend, name="rebellions", vendor="Rebellions", needs=NEEDS,
                        requirements=(
        "Linux, RBLN driver (/dev/rbln0), rbln-smi or rbln-stat")):
    """Rebellions ATOM cards through rbln-smi's JSON."""

    def __init__(self, tool: str | None = None, timeout_s: float = 5.0) -> None:
        self._tool_arg = tool
        self._tool: str | None = None
        self.timeout_s = timeout_s

    @classmethod
    def available(cls) -> Availability:
        """Cheap check: /dev/rbln0 and one of the tools on PATH."""
        if not DEVICE_NODE.exists():
            return Availability.no("no /dev/rbln0: Rebellions driver not loaded or no card")
        if _find_tool() is None:
            return Availability.no(INSTALL_HINT)
        return Availability.yes()

    def open(self) -> None:
        """Resolve rbln-smi (or rbln-stat)."""
        tool = self._tool_arg or _find_tool()
        if tool is None:
            raise BackendUnavailable(INSTALL_HINT)
        self._tool = tool

    def read(self) -> list[DeviceReading]:
        """Every ATOM card: °C, W, bytes, percent, processes; one tool run for all of it."""
        if self._tool is None:
            self.open()
        assert self._tool is not None
        out = run_tool([self._tool, "-j"], self.timeout_s)
        try:
            return parse_rbln(out, self.name)
        except RblnJsonError as exc:
            raise BackendReadError(str(exc)) from exc

    def status_message(self) -> str:
        """Where the readings come from."""
        return f"{Path(self._tool).name if self._tool else 'rbln-smi'} JSON"
