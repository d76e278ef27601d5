"""Intel GPU backend (i915 and xe): sysfs clocks and VRAM, hwmon energy, fdinfo engines.

Counters (hwmon energy in µJ, fdinfo engine cycles/ns) need two reads: the first tick
reports power and utilization as unknown, later ticks divide deltas by elapsed time.
"""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from allsmi_py.backend import Availability, Backend
from allsmi_py.errors import BackendReadError, BackendUnavailable
from allsmi_py.model import DeviceReading, ProcessReading
from allsmi_py.needs import KernelModule, PciDevice
from allsmi_py.units import millidegrees_to_c, uj_to_j, uw_to_w
from backends._common.sysfs import (
    DRM_CLASS_DIR,
    device_driver,
    drm_cards,
    find_hwmon,
    read_int,
    read_text,
    read_uevent,
)
from backends.intel.parse import (
    INTEL_DRIVERS,
    FdInfo,
    client_engine_utilization,
    device_engine_utilization,
    overall_utilization,
    parse_fdinfo,
    power_from_energy_w,
    sum_present,
)

INTEL_PCI_VENDOR = "0x8086"
NEEDS = (
    PciDevice(INTEL_PCI_VENDOR, "Intel GPU", classes=("0x03",)),
    KernelModule(tuple(sorted(INTEL_DRIVERS)),
                 "load the GPU driver: modprobe i915 (or xe on Lunar Lake, Battlemage and later)"),
)


def find_intel_cards(root: str) -> list[tuple[str, str]]:
    """(card folder, driver) for every i915/xe card under `root`, in card order."""
    found = []
    for card in drm_cards(root):
        driver = device_driver(os.path.join(card, "device"))
        if driver in INTEL_DRIVERS:
            found.append((card, driver))
    return found


def scan_fdinfo(root: str) -> dict[tuple[str, str], tuple[int, FdInfo]]:
    """Every readable i915/xe DRM client, keyed by (pdev, client id), with one owning pid."""
    clients: dict[tuple[str, str], tuple[int, FdInfo]] = {}
    for fd_dir in glob.glob(os.path.join(root, "proc/[0-9]*/fd")):
        pid = int(fd_dir.split(os.sep)[-2])
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue  # another user's process without root, or it just exited
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if not target.startswith("/dev/dri/"):
                continue
            text = read_text(os.path.join(os.path.dirname(fd_dir), "fdinfo", fd))
            info = parse_fdinfo(text) if text else None
            if info is None or info.driver not in INTEL_DRIVERS or info.client_id is None:
                continue
            # Several fds (dup, fork) can share one client: count it once.
            clients.setdefault((info.pdev or "", info.client_id), (pid, info))
    return clients


@dataclass
class _CardState:
    card: str
    driver: str
    energy_uj: int | None = None
    energy_at: float = 0.0
    clients: dict[str, FdInfo] = field(default_factory=dict)
    clients_at_ns: int = 0


@dataclass(frozen=True, slots=True)
class _Hwmon:
    """One read of a card's hwmon folder, in W, °C and RPM."""

    power_w: float | None = None
    limit_w: float | None = None
    rated_w: float | None = None
    temperature_c: float | None = None
    memory_temperature_c: float | None = None
    fan_rpm: float | None = None


class IntelGpuBackend(Backend, name="intel", vendor="Intel", needs=NEEDS, requirements=(
        "Linux with the i915 or xe driver (sysfs and hwmon, no root); engine use from "
        "/proc/*/fdinfo (other users' processes need root)")):
    """Intel integrated and discrete GPUs on the i915 or xe kernel driver."""

    def __init__(
        self,
        root: str = "/",
        scan_processes: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root
        self._clock = clock
        self.scan_processes = scan_processes
        self._cards: list[_CardState] = []

    @classmethod
    def available(cls) -> Availability:
        """Yes when a DRM card is bound to i915 or xe."""
        if find_intel_cards("/"):
            return Availability.yes()
        return Availability.no(
            "no Intel GPU: no /sys/class/drm/card* bound to the i915 or xe driver"
        )

    def open(self) -> None:
        """Find the cards."""
        self._cards = [_CardState(card, driver) for card, driver in find_intel_cards(self.root)]
        if not self._cards:
            raise BackendUnavailable(f"no i915/xe card under {self.root}{DRM_CLASS_DIR}")

    def read(self) -> list[DeviceReading]:
        """Read every card once; power and utilization from the second read on."""
        if not self._cards:
            raise BackendReadError("intel backend read before open()")
        clients = scan_fdinfo(self.root) if self.scan_processes else {}
        now_ns = time.monotonic_ns()
        return [self._read_card(i, s, clients, now_ns) for i, s in enumerate(self._cards)]

    def _read_card(
        self,
        index: int,
        state: _CardState,
        clients: dict[tuple[str, str], tuple[int, FdInfo]],
        now_ns: int,
    ) -> DeviceReading:
        device = os.path.join(state.card, "device")
        uevent = read_uevent(device)
        if not uevent and not os.path.isdir(device):
            raise BackendReadError(f"{state.card} is gone (GPU removed or driver unloaded)")
        slot = uevent.get("PCI_SLOT_NAME", "")
        pci_id = uevent.get("PCI_ID")
        details = {"driver": state.driver, "source": "sysfs"}
        if pci_id:
            details["pci_id"] = pci_id
        if slot:
            details["pci_slot"] = slot
        actual, requested, maximum = _frequencies_mhz(state)
        if requested is not None:
            details["requested_frequency_mhz"] = str(requested)
        vram_total, vram_used = _vram_bytes(state)
        hwmon = self._read_hwmon(device, state, details)

        mine = {cid: (pid, info) for (pdev, cid), (pid, info) in clients.items()
                if pdev == slot or not pdev}
        current = {cid: info for cid, (_, info) in mine.items()}
        engines = device_engine_utilization(state.clients, current, now_ns - state.clients_at_ns)
        processes = self._processes(mine, state, now_ns)
        state.clients, state.clients_at_ns = current, now_ns
        for engine, pct in sorted(engines.items()):
            details[f"engine.{engine}_pct"] = f"{pct:.1f}"

        return DeviceReading(
            backend="intel",
            index=index,
            uuid=f"intel-{slot or index}",
            name=f"Intel GPU [{pci_id}]" if pci_id else "Intel GPU",
            kind="gpu",
            vendor="Intel",
            utilization_pct=overall_utilization(engines) if self.scan_processes else None,
            memory_total_bytes=vram_total,
            memory_used_bytes=vram_used,
            temperature_c=hwmon.temperature_c,
            memory_temperature_c=hwmon.memory_temperature_c,
            power_w=hwmon.power_w,
            power_limit_w=hwmon.limit_w,
            power_limit_default_w=hwmon.rated_w,
            energy_j=uj_to_j(state.energy_uj),
            clock_graphics_mhz=_float(actual),
            clock_graphics_max_mhz=_float(maximum),
            fan_rpm=hwmon.fan_rpm,
            processes=processes,
            details=details,
        )

    def _read_hwmon(self, device: str, state: _CardState, details: dict[str, str]) -> _Hwmon:
        """The card's hwmon values; advances the energy counter the power figure comes from."""
        # The card-level hwmon is named after the driver; i915's per-GT ones are `i915_gtN`.
        hwmon = find_hwmon(device, (state.driver,))
        if hwmon is None:
            return _Hwmon()
        energy = read_int(os.path.join(hwmon, "energy1_input"))
        now = self._clock()
        power = power_from_energy_w(state.energy_uj, energy, now - state.energy_at)
        state.energy_uj, state.energy_at = energy, now
        if energy is not None:
            details["energy_uj"] = str(energy)
        return _Hwmon(
            power_w=power,
            # power1_max reads 0 when the limit is disabled: that is "no limit", not 0 W.
            limit_w=uw_to_w(read_int(os.path.join(hwmon, "power1_max")) or None),
            rated_w=uw_to_w(read_int(os.path.join(hwmon, "power1_rated_max")) or None),
            temperature_c=_celsius(os.path.join(hwmon, "temp2_input")),
            memory_temperature_c=_celsius(os.path.join(hwmon, "temp3_input")),
            fan_rpm=_float(read_int(os.path.join(hwmon, "fan1_input"))),
        )

    def _processes(
        self,
        mine: dict[str, tuple[int, FdInfo]], state: _CardState, now_ns: int
    ) -> tuple[ProcessReading, ...]:
        memory: dict[int, int | None] = {}
        busy: dict[int, float | None] = {}
        for cid, (pid, info) in mine.items():
            memory[pid] = sum_present([memory.get(pid), info.resident_vram_bytes])
            before = state.clients.get(cid)
            if before is not None:
                engines = client_engine_utilization(before, info, now_ns - state.clients_at_ns)
                pct = overall_utilization(engines)
                busy[pid] = None if pct is None else (busy.get(pid) or 0.0) + pct
        return tuple(
            ProcessReading(
                pid=pid,
                name=read_text(os.path.join(self.root, "proc", str(pid), "comm")),
                gpu_memory_bytes=memory[pid],
                gpu_utilization_pct=busy.get(pid),
            )
            for pid in sorted(memory)
        )

    def status_message(self) -> str:
        """Drivers in use."""
        return ", ".join(sorted({s.driver for s in self._cards}))


def _frequencies_mhz(state: _CardState) -> tuple[int | None, int | None, int | None]:
    """(actual, requested, maximum) GT frequency in MHz from the driver's sysfs files."""
    if state.driver == "xe":
        freq = os.path.join(state.card, "device", "tile0", "gt0", "freq0")
        paths = [os.path.join(freq, f"{name}_freq") for name in ("act", "cur", "max")]
    else:
        paths = [os.path.join(state.card, f"gt_{name}_freq_mhz") for name in ("act", "cur", "RP0")]
    actual, requested, maximum = (read_int(path) for path in paths)
    return actual, requested, maximum


def _vram_bytes(state: _CardState) -> tuple[int | None, int | None]:
    """(total, used) device memory in bytes; used is known on the i915 backport only."""
    if state.driver == "xe":
        device = glob.escape(os.path.join(state.card, "device"))
        tiles = glob.glob(os.path.join(device, "tile[0-9]*", "physical_vram_size_bytes"))
        return sum_present(read_int(path) for path in tiles), None
    # Only the out-of-tree i915 backport publishes these two files.
    total = read_int(os.path.join(state.card, "lmem_total_bytes"))
    available = read_int(os.path.join(state.card, "lmem_avail_bytes"))
    used = total - available if total is not None and available is not None else None
    return total, used


def _celsius(path: str) -> float | None:
    return millidegrees_to_c(read_int(path, signed=True))


def _float(value: int | None) -> float | None:
    return None if value is None else float(value)
