"""FuriosaAI backend: runs `furiosa-smi info --format full`, `status` and `ps` once per tick."""

from __future__ import annotations

import shutil
from pathlib import Path

from allsmi_py.backend import Availability, Backend
from allsmi_py.errors import BackendReadError, BackendUnavailable
from allsmi_py.model import DeviceReading
from allsmi_py.needs import DeviceNodes, PathPresent, Tool
from backends._common.tools import run_tool
from backends._common.version import version_output
from backends.furiosa.parse import (
    TableError,
    merge,
    parse_info,
    parse_ps,
    parse_status,
    parse_topo,
)

MGMT_CLASS = Path("/sys/class/rngd_mgmt")
INSTALL_HINT = "furiosa-smi not found on PATH (install FuriosaAI's furiosa-smi package)"
NEEDS = (
    PathPresent(str(MGMT_CLASS / "*"), "FuriosaAI RNGD card"),
    # Node names are from the RNGD driver's layout, not checked on a card: hence optional.
    DeviceNodes(("/dev/rngd/npu*",), optional=True,
                fix="install and load the FuriosaAI RNGD driver",
                container_fix="pass --device /dev/rngd to the container"),
    Tool(("furiosa-smi",), ("--version",), version_output,
         fix="install FuriosaAI's furiosa-smi package", min_version="2025.3.1",
         min_reason="the oldest table layout the parser is tested on"),
)



class FuriosaBackend(Backend, name="furiosa", vendor="FuriosaAI", needs=NEEDS, requirements=(
        "Linux, FuriosaAI RNGD driver (/sys/class/rngd_mgmt), furiosa-smi")):
    """FuriosaAI RNGD cards through furiosa-smi's tables."""

    def __init__(self, tool: str | None = None, timeout_s: float = 5.0) -> None:
        self._tool_arg = tool
        self._tool: str | None = None
        self.timeout_s = timeout_s
        self._topo: dict[str, tuple[dict[str, str], int | None]] = {}

    @classmethod
    def available(cls) -> Availability:
        """Cheap check: the RNGD management class in sysfs and furiosa-smi on PATH."""
        if not MGMT_CLASS.is_dir():
            return Availability.no("no /sys/class/rngd_mgmt: FuriosaAI RNGD driver not loaded")
        if shutil.which("furiosa-smi") is None:
            return Availability.no(INSTALL_HINT)
        return Availability.yes()

    def open(self) -> None:
        """Resolve furiosa-smi and read the static topology (NUMA nodes) once."""
        tool = self._tool_arg or shutil.which("furiosa-smi")
        if tool is None:
            raise BackendUnavailable(INSTALL_HINT)
        self._tool = tool
        try:
            self._topo = parse_topo(run_tool([tool, "topo"], self.timeout_s))
        except (BackendReadError, TableError):
            self._topo = {}  # topology is optional: NUMA nodes stay unknown

    def _run(self, *args: str) -> str:
        assert self._tool is not None
        return run_tool([self._tool, *args], self.timeout_s)

    def read(self) -> list[DeviceReading]:
        """Every RNGD: °C, W, MHz, memory bytes, mean PE utilization %, processes."""
        if self._tool is None:
            self.open()
        try:
            info = parse_info(self._run("info", "--format", "full"), self.name)
            status = parse_status(self._run("status"))
            processes = parse_ps(self._run("ps"))
        except TableError as exc:
            raise BackendReadError(f"furiosa-smi printed an unexpected table: {exc}") from exc
        return merge(info, status, processes, self._topo)

    def status_message(self) -> str:
        """Where the readings come from."""
        return "furiosa-smi tables"
