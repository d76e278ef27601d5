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


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(65536).strip()
    except OSError:
        return None


def _int(path: str) -> int | None:
    text = _read(path)
    try:
        return int(text) if text else None
    except ValueError:
        return None


def _uevent(device: str) -> dict[str, str]:
    pairs = ((_read(os.path.join(device, "uevent")) or "").splitlines())
    return {k: v for k, sep, v in (p.partition("=") for p in pairs) if sep}


def card_driver(device: str) -> str | None:
    """The kernel driver bound to a PCI device folder (its `driver` link, else uevent)."""
    try:
        return os.path.basename(os.readlink(os.path.join(device, "driver")))
    except OSError:
        return _uevent(device).get("DRIVER")


def find_intel_cards(root: str) -> list[tuple[str, str]]:
    """(card folder, driver) for every i915/xe card under `root`, in card order."""
    found = []
    for card in glob.glob(os.path.join(root, "sys/class/drm/card[0-9]*")):
        if "-" in os.path.basename(card):
            continue  # a connector such as card0-DP-1
        driver = card_driver(os.path.join(card, "device"))
        if driver in INTEL_DRIVERS:
            found.append((card, driver))
    return sorted(found, key=lambda item: int(os.path.basename(item[0])[4:]))


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
            text = _read(os.path.join(os.path.dirname(fd_dir), "fdinfo", fd))
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


class IntelGpuBackend(Backend, name="intel", vendor="Intel", requirements=(
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
            raise BackendUnavailable(f"no i915/xe card under {self.root}sys/class/drm")

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
        uevent = _uevent(device)
        if not uevent and not os.path.isdir(device):
            raise BackendReadError(f"{state.card} is gone (GPU removed or driver unloaded)")
        slot = uevent.get("PCI_SLOT_NAME", "")
        pci_id = uevent.get("PCI_ID")
        details = {"driver": state.driver, "source": "sysfs"}
        if pci_id:
            details["pci_id"] = pci_id
        if slot:
            details["pci_slot"] = slot

        if state.driver == "xe":
            freq = os.path.join(device, "tile0", "gt0", "freq0")
            actual, requested = _int(f"{freq}/act_freq"), _int(f"{freq}/cur_freq")
            maximum = _int(f"{freq}/max_freq")
            tiles = glob.glob(os.path.join(device, "tile[0-9]*", "physical_vram_size_bytes"))
            vram_total = sum_present(_int(p) for p in tiles)
            vram_used = None
        else:
            actual = _int(os.path.join(state.card, "gt_act_freq_mhz"))
            requested = _int(os.path.join(state.card, "gt_cur_freq_mhz"))
            maximum = _int(os.path.join(state.card, "gt_RP0_freq_mhz"))
            # Only the out-of-tree i915 backport publishes these two files.
            vram_total = _int(os.path.join(state.card, "lmem_total_bytes"))
            available = _int(os.path.join(state.card, "lmem_avail_bytes"))
            vram_used = (vram_total - available
                         if vram_total is not None and available is not None else None)
        if requested is not None:
            details["requested_frequency_mhz"] = str(requested)

        hwmon = self._hwmon(device, state.driver)
        power = limit = rated = temp = mem_temp = fan = None
        if hwmon is not None:
            energy = _int(os.path.join(hwmon, "energy1_input"))
            now = self._clock()
            power = power_from_energy_w(state.energy_uj, energy, now - state.energy_at)
            state.energy_uj, state.energy_at = energy, now
            if energy is not None:
                details["energy_uj"] = str(energy)
            limit = _micro_w(_int(os.path.join(hwmon, "power1_max")))
            rated = _micro_w(_int(os.path.join(hwmon, "power1_rated_max")))
            temp = _milli_c(_int(os.path.join(hwmon, "temp2_input")))
            mem_temp = _milli_c(_int(os.path.join(hwmon, "temp3_input")))
            fan_rpm = _int(os.path.join(hwmon, "fan1_input"))
            fan = None if fan_rpm is None else float(fan_rpm)

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
            temperature_c=temp,
            memory_temperature_c=mem_temp,
            power_w=power,
            power_limit_w=limit,
            power_limit_default_w=rated,
            energy_j=None if state.energy_uj is None else state.energy_uj / 1e6,
            clock_graphics_mhz=float(actual) if actual is not None else None,
            clock_graphics_max_mhz=float(maximum) if maximum is not None else None,
            fan_rpm=fan,
            processes=processes,
            details=details,
        )

    @staticmethod
    def _hwmon(device: str, driver: str) -> str | None:
        for folder in sorted(glob.glob(os.path.join(device, "hwmon", "hwmon*"))):
            if _read(os.path.join(folder, "name")) == driver:
                return folder  # the card-level hwmon, not the per-GT `i915_gtN` ones
        return None

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
                name=_read(os.path.join(self.root, "proc", str(pid), "comm")),
                gpu_memory_bytes=memory[pid],
                gpu_utilization_pct=busy.get(pid),
            )
            for pid in sorted(memory)
        )

    def status_message(self) -> str:
        """Drivers in use."""
        return ", ".join(sorted({s.driver for s in self._cards}))


def _micro_w(value: int | None) -> float | None:
    # power1_max reads 0 when the limit is disabled: that is "no limit", not 0 W.
    return None if not value else value / 1e6


def _milli_c(value: int | None) -> float | None:
    return None if value is None else value / 1000.0
