"""AMD GPU backend: amdgpu sysfs and hwmon under a configurable root; amdsmi as fallback."""

from __future__ import annotations

import os

from allsmi_py.backend import Availability, Backend
from allsmi_py.errors import BackendReadError, BackendUnavailable
from allsmi_py.model import DeviceReading
from allsmi_py.needs import DeviceNodes, KernelModule, PciDevice, PythonPackage
from backends._common.sysfs import (
    DRM_CLASS_DIR,
    drm_cards,
    find_hwmon,
    pci_vendor,
    read_texts,
    read_uevent,
)
from backends.amd import amdsmi_source
from backends.amd.parse import AMD_VENDOR_ID, device_from_sysfs

# Device files worth reading each tick; binary ones (pp_table, gpu_metrics) are left alone.
CARD_FILES = (
    "vendor", "uevent", "unique_id", "product_name", "serial_number", "vbios_version",
    "gpu_busy_percent", "mem_busy_percent", "mem_info_vram_used", "mem_info_vram_total",
    "mem_info_vram_vendor", "mem_info_gtt_used", "mem_info_gtt_total", "pp_dpm_sclk",
    "pp_dpm_mclk", "current_link_speed", "current_link_width", "max_link_speed",
    "max_link_width", "numa_node", "power_dpm_force_performance_level",
)
_HWMON_SKIP = frozenset({"uevent"})


# amdgpu's sysfs needs no device file; amdsmi opens /dev/kfd and the render nodes.
NEEDS = (
    PciDevice(AMD_VENDOR_ID, "AMD GPU"),
    KernelModule(("amdgpu",), "load the amdgpu driver: modprobe amdgpu (and check dmesg)"),
    DeviceNodes(("/dev/kfd",), optional=True, proc_devices_name="kfd",
                fix="load amdgpu with compute support (ROCm) for /dev/kfd",
                container_fix="pass --device /dev/kfd --device /dev/dri to the container"),
    DeviceNodes(("/dev/dri/renderD*",), optional=True, proc_devices_name="drm",
                fix="load the amdgpu driver for /dev/dri/renderD*",
                container_fix="pass --device /dev/dri to the container"),
    PythonPackage("amdsmi", optional=True,
                  fix="optional: install ROCm's amdsmi package matching the ROCm version"),
)


def find_amd_cards(root: str) -> list[str]:
    """Device directories (`.../cardN/device`) of amdgpu cards under `root`, card order."""
    found = []
    for card in drm_cards(root):
        device = os.path.join(card, "device")
        if pci_vendor(device) != AMD_VENDOR_ID:
            continue
        if read_uevent(device).get("DRIVER") in (None, "amdgpu"):
            found.append(device)
    return found


def amdgpu_hwmon_dir(device_dir: str) -> str | None:
    """The device's amdgpu hwmon folder, else its first one."""
    return find_hwmon(device_dir, ("amdgpu",), first_if_unnamed=True)


def read_hwmon_files(folder: str | None) -> dict[str, str]:
    """The text of every plain file in an hwmon folder."""
    if folder is None:
        return {}
    try:
        names = [e.name for e in os.scandir(folder) if e.name not in _HWMON_SKIP and e.is_file()]
    except OSError:
        return {}  # the card went away between finding the folder and listing it
    return read_texts(folder, names)


class AmdBackend(Backend, name="amd", vendor="AMD", needs=NEEDS, requirements=(
        "Linux with the amdgpu driver (sysfs, no root); optional `amdsmi` from ROCm")):
    """AMD Radeon and Instinct GPUs driven by amdgpu."""

    def __init__(self, root: str = "/", use_amdsmi: bool = True) -> None:
        self.root = root
        self.use_amdsmi = use_amdsmi
        self._devices: list[str] = []
        self._amdsmi: amdsmi_source.AmdSmiSource | None = None

    @classmethod
    def available(cls) -> Availability:
        """Yes when sysfs shows an amdgpu card (one glob and a few small reads)."""
        if find_amd_cards("/"):
            return Availability.yes()
        return Availability.no(
            "no AMD GPU: no /sys/class/drm/card*/device with vendor 0x1002 (amdgpu driver)"
        )

    def open(self) -> None:
        """Find the cards; without sysfs cards, try amdsmi."""
        self._devices = find_amd_cards(self.root)
        if self._devices:
            return
        if self.use_amdsmi:
            self._amdsmi = amdsmi_source.AmdSmiSource.open()
            return
        raise BackendUnavailable(f"no amdgpu card under {self.root}{DRM_CLASS_DIR}")

    def read(self) -> list[DeviceReading]:
        """Read every card once."""
        if self._amdsmi is not None:
            return self._amdsmi.read()
        if not self._devices:
            raise BackendReadError("amd backend read before open()")
        readings = []
        for index, device in enumerate(self._devices):
            card = read_texts(device, CARD_FILES)
            if not card:
                raise BackendReadError(f"{device} is gone (GPU removed or driver unloaded)")
            hwmon = read_hwmon_files(amdgpu_hwmon_dir(device))
            readings.append(device_from_sysfs(index, card, hwmon))
        return readings

    def close(self) -> None:
        """Shut amdsmi down if it was used."""
        if self._amdsmi is not None:
            self._amdsmi.close()
            self._amdsmi = None

    def status_message(self) -> str:
        """Which source feeds the readings."""
        return "amdsmi" if self._amdsmi is not None else "sysfs"
