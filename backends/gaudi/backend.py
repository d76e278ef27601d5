"""Intel Gaudi backend: one long-running `hl-smi -Q ... -l N` whose lines a reader thread keeps.

hl-smi costs hundreds of ms per call, so it runs once, streaming a CSV row per device
every interval; `read()` hands out the latest row of each device and never blocks on it.
"""

from __future__ import annotations

import glob
import os
import shutil
import threading
import time
from pathlib import Path

from allsmi_py.backend import Availability, Backend
from allsmi_py.errors import BackendReadError, BackendUnavailable
from allsmi_py.model import DeviceReading
from allsmi_py.needs import DeviceNodes, KernelModule, PciDevice, Tool
from backends._common.sysfs import pci_vendor
from backends._common.tools import StreamingTool
from backends._common.version import version_output
from backends.gaudi.parse import QUERY_FIELDS, parse_line

ACCEL_CLASS = "/sys/class/accel"
HABANA_VENDOR = "0x1da3"


NEEDS = (
    PciDevice(HABANA_VENDOR, "Intel Gaudi card"),
    KernelModule(("habanalabs",), "install the Intel Gaudi driver: modprobe habanalabs"),
    DeviceNodes(("/dev/accel/accel[0-9]*",), access="rw",
                fix="load the habanalabs driver (it creates /dev/accel/accel*)",
                container_fix="start the container with the habana runtime, or pass "
                "--device /dev/accel/accel0 (one per card)"),
    Tool(("hl-smi",), ("--version",), version_output,
         fix="install the Intel Gaudi software (hl-smi ships with the driver package)"),
)


def _habana_present() -> bool:
    if Path("/dev/hl0").exists():
        return True
    # /dev/accel is shared with other drivers (TPU v4): check the PCI vendor.
    return any(pci_vendor(os.path.join(entry, "device")) == HABANA_VENDOR
               for entry in glob.glob(os.path.join(ACCEL_CLASS, "*")))


class GaudiBackend(Backend, name="gaudi", vendor="Intel", needs=NEEDS, requirements=(
        "Linux, habanalabs driver (/dev/accel, vendor 0x1da3), hl-smi")):
    """Intel Gaudi 2/3 through a streaming hl-smi query."""

    def __init__(
        self,
        tool: str | None = None,
        interval_s: int = 1,
        first_sample_timeout_s: float = 1.0,
    ) -> None:
        self._tool_arg = tool
        self.interval_s = max(1, int(interval_s))
        self.first_sample_timeout_s = first_sample_timeout_s
        self._tool: StreamingTool | None = None
        self._lock = threading.Lock()
        self._rows: dict[int, tuple[float, DeviceReading]] = {}
        self._error: tuple[float, str] | None = None

    @classmethod
    def available(cls) -> Availability:
        """Cheap check: a Habana device node and hl-smi on PATH."""
        if not _habana_present():
            return Availability.no("no Habana device (/dev/hl0 or /dev/accel with vendor 0x1da3)")
        if shutil.which("hl-smi") is None:
            return Availability.no("hl-smi not found on PATH (install the Intel Gaudi software)")
        return Availability.yes()

    def open(self) -> None:
        """Start the streaming hl-smi and its reader thread."""
        if self._tool is not None:
            return
        tool = self._tool_arg or shutil.which("hl-smi")
        if tool is None:
            raise BackendUnavailable("hl-smi not found on PATH (install the Intel Gaudi software)")
        argv = [
            tool,
            "-Q",
            ",".join(QUERY_FIELDS),
            "-f",
            "csv,noheader",
            "-l",
            str(self.interval_s),
        ]
        stream = StreamingTool(argv, name="hl-smi", on_record=self._take_line)
        stream.start()
        self._tool = stream

    def _take_line(self, line: str) -> None:
        now = time.monotonic()
        try:
            reading = parse_line(line, self.name)
        except ValueError as exc:  # HlSmiLineError, or a cell the parser did not foresee
            with self._lock:
                self._error = (now, f"hl-smi printed an unexpected line: {exc}")
        else:
            with self._lock:
                self._rows[reading.index] = (now, reading)

    def read(self) -> list[DeviceReading]:
        """The latest row of every device (bytes, W, °C, percent); BackendReadError if none."""
        if self._tool is None:
            self.open()
        assert self._tool is not None
        self._tool.wait_ready(self.first_sample_timeout_s)
        now = time.monotonic()
        stale_after = 3 * self.interval_s + 2.0
        with self._lock:
            fresh = [r for t, r in self._rows.values() if now - t <= stale_after]
            newest = max((t for t, _ in self._rows.values()), default=None)
            error = self._error
        if error is not None and (newest is None or error[0] >= newest):
            raise BackendReadError(error[1])
        if fresh:
            return sorted(fresh, key=lambda r: r.index)
        code = self._tool.returncode()
        if code is not None:
            raise BackendReadError(f"hl-smi exited with {code}: {self._tool.stderr_tail()}")
        if newest is None:
            raise BackendReadError(
                f"no output from hl-smi within {self.first_sample_timeout_s:g} s"
            )
        raise BackendReadError(f"hl-smi stopped printing ({now - newest:.0f} s since last row)")

    def close(self) -> None:
        """Kill hl-smi and anything it started (its whole process group)."""
        tool, self._tool = self._tool, None
        if tool is not None:
            tool.close()

    def status_message(self) -> str:
        """Where the readings come from."""
        return f"hl-smi stream every {self.interval_s} s"
