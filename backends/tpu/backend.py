"""Google TPU backend: a background thread runs `tpu-info` every few seconds; read() hands
out the latest result, because one tpu-info run (a Python program talking gRPC to libtpu)
costs seconds, far more than a tick's deadline."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import shutil
import threading
from typing import TYPE_CHECKING

from allsmi_py.backend import Availability, Backend
from allsmi_py.details import tpu
from allsmi_py.errors import BackendReadError, BackendUnavailable
from allsmi_py.model import DeviceReading
from allsmi_py.needs import PciDevice, Tool
from backends._common.sysfs import pci_devices
from backends._common.tools import run_tool_result
from backends._common.version import version_output
from backends.tpu.parse import TpuInfoError, parse_tpu_info

if TYPE_CHECKING:
    from backends.tpu.runtime_metrics import HloFigures, RuntimeMetricsClient

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
        runtime_metrics: RuntimeMetricsClient | bool = True,
    ) -> None:
        """`runtime_metrics`: a client for libtpu's HLO metrics, True to make one when the
        `tpu` extra is installed, False never to ask."""
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
        self._runtime_metrics_arg = runtime_metrics
        self._runtime_metrics: RuntimeMetricsClient | None = None
        self.runtime_metrics_note = "HLO metrics: not asked"

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
        self._runtime_metrics = self._open_runtime_metrics()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="tpu-info", daemon=True)
        self._thread.start()

    def _open_runtime_metrics(self) -> RuntimeMetricsClient | None:
        arg = self._runtime_metrics_arg
        if arg is False:
            return None
        if arg is not True:
            return arg
        if importlib.util.find_spec("grpc") is None:
            self.runtime_metrics_note = "HLO metrics off: pip install 'allsmi-py[tpu]'"
            return None
        try:
            from backends.tpu.runtime_metrics import RuntimeMetricsClient
        except Exception as exc:  # e.g. a protobuf older than 4.25 or without grpc's C core
            self.runtime_metrics_note = f"HLO metrics off: {type(exc).__name__}: {exc}"[:200]
            return None
        return RuntimeMetricsClient()

    def _with_hlo(self, readings: list[DeviceReading]) -> list[DeviceReading]:
        """Readings with libtpu's HLO figures; device ordinal = chip index, as all-smi pairs."""
        client = self._runtime_metrics
        if client is None:
            return readings
        figures = client.fetch()
        error = client.last_error
        self.runtime_metrics_note = (f"HLO metrics from {client.address}"
                                     + (f" ({error})" if error else ""))
        return [_merge(r, figures[r.index]) if r.index in figures else r for r in readings]

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
        return self._with_hlo(readings)

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
        """Stop the thread; a running tpu-info sees the stop and its group is killed, a
        libtpu request in flight is cancelled."""
        self._stop.set()
        if self._runtime_metrics is not None:
            self._runtime_metrics.close()  # cancels a request in flight: the thread ends now
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        self._thread = None
        self._runtime_metrics = None

    def status_message(self) -> str:
        """Where the readings come from."""
        return f"tpu-info every {self.refresh_s:g} s; {self.runtime_metrics_note}"


def _merge(reading: DeviceReading, figures: HloFigures) -> DeviceReading:
    details = dict(reading.details)
    tpu.HLO_QUEUE_SIZE.put(details, figures.queue_size)
    if figures.timing is not None:
        t = figures.timing
        for key, value in ((tpu.HLO_EXEC_MEAN, t.mean_us), (tpu.HLO_EXEC_P50, t.p50_us),
                           (tpu.HLO_EXEC_P90, t.p90_us), (tpu.HLO_EXEC_P95, t.p95_us),
                           (tpu.HLO_EXEC_P999, t.p999_us)):
            key.put(details, value)
    return dataclasses.replace(reading, details=details)
