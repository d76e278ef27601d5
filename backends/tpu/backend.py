"""Google TPU backend: a background thread runs `tpu-info` every few seconds; read() hands
out the latest result, because one tpu-info run (a Python program talking gRPC to libtpu)
costs seconds, far more than a tick's deadline."""

from __future__ import annotations

import os
import shutil
import threading

from allsmi_py.backend import Availability, Backend
from allsmi_py.errors import BackendReadError, BackendUnavailable
from allsmi_py.model import DeviceReading
from allsmi_py.needs import PciDevice, Tool
from backends._common.sysfs import pci_devices
from backends._common.tools import run_tool_result
from backends._common.version import version_output
from backends.tpu.parse import TpuInfoError, parse_tpu_info

GOOGLE_VENDOR = "0x1ae0"
INSTALL_HINT = "tpu-info not found on PATH (pip install tpu-info)"
# v2-v4 chips show as /dev/accel*, v5e and later as /dev/vfio/*: no one device file to ask for.
NEEDS = (
    PciDevice(GOOGLE_VENDOR, "Google TPU", classes=("",)),
    Tool(("tpu-info",), ("--version",), version_output, fix="pip install tpu-info"),
)


class TpuBackend(Backend, name="tpu", vendor="Google", needs=NEEDS, requirements=(
        "Cloud TPU VM (PCI vendor 0x1ae0), tpu-info; a libtpu workload")):
    """Google Cloud TPU chips (v2-v6e) through tpu-info's tables."""

    def __init__(
        self,
        tool: str | None = None,
        refresh_s: float = 10.0,
        timeout_s: float = 30.0,
        first_sample_timeout_s: float = 1.0,
    ) -> None:
        self._tool_arg = tool
        self._tool: str | None = None
        self.refresh_s = refresh_s
        self.timeout_s = timeout_s
        self.first_sample_timeout_s = first_sample_timeout_s
        self._stop = threading.Event()
        self._first = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._result: list[DeviceReading] | BackendReadError | None = None

    @classmethod
    def available(cls) -> Availability:
        """Cheap check: a Google PCI device and tpu-info on PATH."""
        if not pci_devices("/", GOOGLE_VENDOR):
            return Availability.no("no Google TPU on the PCI bus (vendor 0x1ae0): not a TPU VM")
        if shutil.which("tpu-info") is None:
            return Availability.no(INSTALL_HINT)
        return Availability.yes()

    def open(self) -> None:
        """Start the thread that runs tpu-info every refresh_s seconds."""
        if self._thread is not None:
            return
        self._tool = self._tool_arg or shutil.which("tpu-info")
        if self._tool is None:
            raise BackendUnavailable(INSTALL_HINT)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="tpu-info", daemon=True)
        self._thread.start()

    def _run_once(self) -> list[DeviceReading] | BackendReadError:
        assert self._tool is not None
        # Plain, wide, colourless tables: all-smi's tpu-info runner sets the same.
        env = {**os.environ, "TERM": "dumb", "NO_COLOR": "1", "COLUMNS": "200"}
        try:
            result = run_tool_result([self._tool], self.timeout_s, env=env, cancel=self._stop)
        except BackendReadError as exc:
            return exc
        try:
            readings = parse_tpu_info(result.stdout, self.name,
                                      os.environ.get("TPU_ACCELERATOR_TYPE"))
        except TpuInfoError as exc:
            # tpu-info's tracebacks (no libtpu, gRPC down) go to stderr; a table to stdout.
            tail = (result.stderr_tail() if result.stderr.strip()
                    else (result.stdout.strip().splitlines() or ["no output"])[-1][:200])
            return BackendReadError(f"{exc} (exit {result.returncode}: {tail})")
        return readings

    def _loop(self) -> None:
        while not self._stop.is_set():
            result = self._run_once()
            with self._lock:
                self._result = result
            self._first.set()
            self._stop.wait(self.refresh_s)

    def read(self) -> list[DeviceReading]:
        """The latest tpu-info result: HBM bytes and duty cycle %; BackendReadError if it failed."""
        if self._thread is None:
            self.open()
        self._first.wait(self.first_sample_timeout_s)
        with self._lock:
            result = self._result
        if result is None:
            raise BackendReadError("waiting for the first tpu-info result")
        if isinstance(result, BackendReadError):
            raise BackendReadError(str(result))
        return list(result)

    def close(self) -> None:
        """Stop the thread; a running tpu-info sees the stop and its group is killed."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        self._thread = None

    def status_message(self) -> str:
        """Where the readings come from."""
        return f"tpu-info every {self.refresh_s:g} s"
