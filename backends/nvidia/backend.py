"""NVIDIA GPUs through NVML (the nvidia-ml-py bindings, imported as pynvml, lazily)."""

from __future__ import annotations

import glob
import os
import sys
from dataclasses import replace
from typing import Any

from allsmi_py.backend import Availability, Backend
from allsmi_py.errors import BackendUnavailable
from allsmi_py.model import DeviceReading
from allsmi_py.needs import (
    DeviceNodes,
    DriverMatch,
    KernelModule,
    Library,
    PciDevice,
    PythonPackage,
)
from allsmi_py.topology import Topology
from backends.nvidia.device import FieldValues, read_device
from backends.nvidia.identity import Identity, read_identity, system_details
from backends.nvidia.mig import mig_enabled, read_mig_instances
from backends.nvidia.nvlink import NvLinkTraffic
from backends.nvidia.nvml import GpuLost, NvmlSession
from backends.nvidia.processes import HostProcesses, ProcessReader
from backends.nvidia.topology import read_topology

# Where distributions and the NVIDIA container toolkit put the library; the loader's cache
# (ld.so.cache) is the fallback.
LIBRARY_NAME = "libnvidia-ml.so.1"
LIBRARY_PATHS = (
    "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1",
    "/usr/lib/aarch64-linux-gnu/libnvidia-ml.so.1",
    "/usr/lib64/libnvidia-ml.so.1",
    "/usr/lib/libnvidia-ml.so.1",
    "/usr/local/nvidia/lib64/libnvidia-ml.so.1",
    "/usr/lib/wsl/lib/libnvidia-ml.so.1",
)
DRIVER_VERSION_FILE = "/proc/driver/nvidia/version"
DRIVER_PATHS = (DRIVER_VERSION_FILE, "/dev/nvidiactl", "/dev/dxg")
DEVICE_GLOBS = ("/dev/nvidia[0-9]*", "/proc/driver/nvidia/gpus/*", "/dev/dxg")
NVIDIA_PCI_VENDOR = "0x10de"
NEEDS = (
    PciDevice(NVIDIA_PCI_VENDOR, "NVIDIA GPU", classes=("0x03",)),
    KernelModule(("nvidia",), "install the NVIDIA driver and load it: modprobe nvidia"),
    DeviceNodes(("/dev/nvidiactl", "/dev/nvidia[0-9]*"),
                fix="load the driver (modprobe nvidia) or run nvidia-modprobe to create the nodes",
                container_fix="start the container with the NVIDIA runtime: docker run --gpus all "
                "(NVIDIA Container Toolkit), or pass --device /dev/nvidiactl --device /dev/nvidia0",
                proc_devices_name="nvidia-frontend"),
    Library("libnvidia-ml.so.1", dirs=tuple(os.path.dirname(p) for p in LIBRARY_PATHS),
            fix="install the NVIDIA driver (it ships NVML), or start the container with "
            "--gpus all"),
    DriverMatch(DRIVER_VERSION_FILE, r"Kernel Module(?: for \S+)?\s+(\d+(?:\.\d+)+)",
                "libnvidia-ml.so.1", fix="the driver was upgraded without a reload: reboot, or "
                "unload and reload the nvidia modules"),
    PythonPackage("nvidia-ml-py", fix="pip install nvidia-ml-py (imported as pynvml)"),
)


LD_SO_CACHE = "/etc/ld.so.cache"
LD_SO_CACHE_MAX_BYTES = 64 * 1024 * 1024


def _library_present() -> bool:
    """The library at a known path, in a LD_LIBRARY_PATH folder, or named in ld.so.cache.

    Never ctypes.util.find_library: it runs `ldconfig -p` (and gcc where that fails), a
    process at every start for a check that reading the cache answers.
    """
    folders = [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p]
    if any(os.path.exists(path) for path in LIBRARY_PATHS) or any(
            os.path.exists(os.path.join(folder, LIBRARY_NAME)) for folder in folders):
        return True
    try:
        with open(LD_SO_CACHE, "rb") as cache:
            return LIBRARY_NAME.encode() + b"\0" in cache.read(LD_SO_CACHE_MAX_BYTES)
    except OSError:
        return False


class NvidiaBackend(Backend, name="nvidia", vendor="NVIDIA", needs=NEEDS, requirements=(
        "Linux or Windows with the NVIDIA driver (libnvidia-ml.so.1 / nvml.dll) and the "
        "nvidia-ml-py package")):
    """Every NVIDIA GPU that NVML sees, with processes and MIG instances."""

    def __init__(self) -> None:
        self._session: NvmlSession | None = None
        self._handles: list[Any] = []
        self._identities: list[Identity] = []
        self._lost: dict[int, str] = {}
        self._fields = FieldValues()
        self._traffic = NvLinkTraffic()
        self._processes = ProcessReader(HostProcesses())
        self._topology: Topology | None = None
        self._topology_of: tuple[Any, ...] | None = None  # the device set it was read for

    @classmethod
    def available(cls) -> Availability:
        """Library file, driver and device nodes present; no NVML init."""
        if sys.platform.startswith("win"):
            return Availability.yes("Windows: NVML is checked at open")
        if not sys.platform.startswith("linux"):
            return Availability.no(f"NVML is not available on {sys.platform}")
        if not _library_present():
            return Availability.no(
                "libnvidia-ml.so.1 not found: install the NVIDIA driver, or start the "
                "container with the NVIDIA runtime"
            )
        if not any(os.path.exists(path) for path in DRIVER_PATHS):
            return Availability.no("NVIDIA driver not loaded: load the nvidia kernel module")
        if not any(glob.glob(pattern) for pattern in DEVICE_GLOBS):
            return Availability.no("no NVIDIA device found")
        return Availability.yes()

    def open(self) -> None:
        """Initialise NVML and read every GPU's static identity once."""
        if self._session is not None:
            return
        session = NvmlSession.open()
        try:
            count = session.nvml.nvmlDeviceGetCount()
        except session.nvml.NVMLError as exc:
            session.close()
            raise BackendUnavailable(f"NVML cannot count GPUs: {exc}") from exc
        if count == 0:
            session.close()
            raise BackendUnavailable("no NVIDIA device found (NVML reports 0 GPUs)")
        shared = system_details(session)
        self._session = session
        for index in range(count):
            self._handles.append(None)
            self._identities.append(Identity(index=index, uuid="", name="NVIDIA GPU"))
            try:
                handle = session.nvml.nvmlDeviceGetHandleByIndex(index)
                self._handles[index] = handle
                self._identities[index] = read_identity(
                    index, session.device(index, handle), shared
                )
            except GpuLost as exc:
                self._lost[index] = str(exc)
            except session.nvml.NVMLError as exc:
                # GpuIsLost or any other failure to get a handle: keep the row, mark it lost.
                self._lost[index] = f"nvmlDeviceGetHandleByIndex: {exc}"

    def read(self) -> list[DeviceReading]:
        """One pass over every GPU; a lost GPU is reported as such, the others as usual."""
        if self._session is None:
            self.open()
        assert self._session is not None
        self._processes.host.begin_tick()
        readings = [self._read_one(i) for i in range(len(self._identities))]
        self._processes.host.end_tick()
        self._refresh_topology(readings)
        return readings

    def _refresh_topology(self, readings: list[DeviceReading]) -> None:
        """Read the topology again only when the set of GPUs changed (one was lost)."""
        device_set = tuple((i.uuid, i.index in self._lost) for i in self._identities)
        if device_set == self._topology_of:
            return
        assert self._session is not None
        handles = [None if i in self._lost else h for i, h in enumerate(self._handles)]
        try:
            self._topology = read_topology(
                self._session, handles,
                [i.details.get("pci_bus_id") for i in self._identities],
                [i.uuid for i in self._identities],
                {r.index: next((link.bandwidth_mb_s for link in r.nvlinks
                                if link.active and link.bandwidth_mb_s), None)
                 for r in readings})
        except GpuLost:
            self._topology = None  # the lost GPU is marked by the next read: ask again then
            return
        self._topology_of = device_set

    def topology(self) -> Topology | None:
        """The GPUs' NvLink and PCIe topology, read when the set of GPUs last changed."""
        return self._topology

    def _read_one(self, index: int) -> DeviceReading:
        identity = self._identities[index]
        if index in self._lost:
            return self._lost_reading(identity, self._lost[index])
        assert self._session is not None
        calls = self._session.device(index, self._handles[index])
        try:
            values = read_device(identity, calls, self._fields, self._traffic)
            mig = mig_enabled(calls)
            instances = read_mig_instances(calls) if mig else ()
            processes = self._processes.read(calls)
        except GpuLost as exc:
            # Stop polling it: a lost GPU only comes back after a reset and a new NVML init.
            self._lost[index] = str(exc)
            return self._lost_reading(identity, str(exc))
        return replace(
            self._identified(identity),
            mig_mode=mig,
            mig_instances=instances,
            processes=processes,
            problems=tuple(calls.problems),
            **identity.reading_fields(),
            **values,
        )

    def _identified(self, identity: Identity) -> DeviceReading:
        """The GPU with only what open() learnt about it: no limits, no values."""
        return DeviceReading(backend=self.name, index=identity.index, uuid=identity.uuid,
                             name=identity.name, vendor=self.vendor,
                             details=dict(identity.details))

    def _lost_reading(self, identity: Identity, why: str) -> DeviceReading:
        return replace(self._identified(identity), state="lost",
                       problems=(f"GPU lost: {why}; reset the GPU or reboot",))

    def close(self) -> None:
        """Shut NVML down; safe to call twice."""
        if self._session is not None:
            self._session.close()
        self._session = None
        self._handles, self._identities, self._lost = [], [], {}
        self._topology, self._topology_of = None, None

    def status_message(self) -> str:
        """The data source and driver, for the status line."""
        if self._session is None:
            return "NVML"
        driver = self._session.system("nvmlSystemGetDriverVersion")
        return f"NVML, driver {driver}" if driver else "NVML"
