"""Intel backend I/O on fake sysfs and procfs trees.

No real i915/xe sysfs dump is available: the trees follow the kernel ABI paths named in the
reference notes (xe `tile0/gt0/freq0/*`, `tile*/physical_vram_size_bytes`, hwmon
`energy1_input` µJ; i915 `gt_*_freq_mhz`), with made-up values. The fdinfo file is the real
xe kernel-doc example, with its counters advanced by hand for the second read.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from allsmi_py.errors import BackendUnavailable
from backends.intel.backend import IntelGpuBackend, find_intel_cards

FIXTURE = Path(__file__).parents[2] / "fixtures" / "intel" / "fdinfo_xe_kernel-doc-example.txt"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def make_xe(root: Path) -> Path:
    pci = root / "sys/devices/pci0000:00/0000:03:00.0"
    write(pci / "uevent", "DRIVER=xe\nPCI_ID=8086:E20B\nPCI_SLOT_NAME=0000:03:00.0\n")
    (root / "drivers/xe").mkdir(parents=True)
    (pci / "driver").symlink_to(root / "drivers/xe")
    write(pci / "tile0/physical_vram_size_bytes", "12884901888\n")
    write(pci / "tile0/gt0/freq0/act_freq", "2400\n")
    write(pci / "tile0/gt0/freq0/cur_freq", "2450\n")
    write(pci / "tile0/gt0/freq0/max_freq", "2850\n")
    hwmon = pci / "hwmon/hwmon2"
    write(hwmon / "name", "xe\n")
    write(hwmon / "energy1_input", "1000000\n")
    write(hwmon / "power1_max", "190000000\n")
    write(hwmon / "temp2_input", "51000\n")
    card = root / "sys/class/drm/card1"
    card.mkdir(parents=True)
    (card / "device").symlink_to(pci)
    (root / "sys/class/drm/card1-DP-1").mkdir()
    proc = root / "proc/4242"
    write(proc / "comm", "glxgears\n")
    (proc / "fd").mkdir()
    (proc / "fd/5").symlink_to("/dev/dri/renderD128")
    (proc / "fd/6").symlink_to("/dev/null")
    write(proc / "fdinfo/5", FIXTURE.read_text())
    write(proc / "fdinfo/6", "pos:\t0\nflags:\t0\n")
    return hwmon


def test_xe_two_reads(tmp_path: Path) -> None:
    hwmon = make_xe(tmp_path)
    ticks = iter([100.0, 102.0])
    backend = IntelGpuBackend(root=str(tmp_path), clock=lambda: next(ticks))
    backend.open()
    (first,) = backend.read()
    assert first.name == "Intel GPU [8086:E20B]" and first.uuid == "intel-0000:03:00.0"
    assert first.memory_total_bytes == 12 * 1024**3
    assert first.memory_used_bytes is None
    assert first.clock_graphics_mhz == 2400.0 and first.clock_graphics_max_mhz == 2850.0
    assert first.details["requested_frequency_mhz"] == "2450"
    assert first.power_w is None and first.utilization_pct is None  # counters need two reads
    assert first.power_limit_w == 190.0 and first.temperature_c == 51.0
    assert first.energy_j == 1.0
    (process,) = first.processes
    assert (process.pid, process.name, process.gpu_memory_bytes) == (4242, "glxgears",
                                                                      23992 * 1024)

    text = FIXTURE.read_text().replace("drm-cycles-rcs:\t28257900", "drm-cycles-rcs:\t28757900")
    text = text.replace("7655183225", "7657183225")
    write(tmp_path / "proc/4242/fdinfo/5", text)
    write(hwmon / "energy1_input", "3000000\n")
    (second,) = backend.read()
    assert second.utilization_pct == pytest.approx(25.0)
    assert second.details["engine.rcs_pct"] == "25.0"
    assert second.processes[0].gpu_utilization_pct == pytest.approx(25.0)
    assert second.power_w == 1.0  # 2 J over 2 s
    assert second.energy_j == 3.0
    assert backend.status_message() == "xe"


def test_i915_clocks(tmp_path: Path) -> None:
    card = tmp_path / "sys/class/drm/card0"
    write(card / "device/uevent", "DRIVER=i915\nPCI_ID=8086:46A6\nPCI_SLOT_NAME=0000:00:02.0\n")
    write(card / "gt_act_freq_mhz", "350\n")
    write(card / "gt_cur_freq_mhz", "400\n")
    write(card / "gt_RP0_freq_mhz", "1400\n")
    assert find_intel_cards(str(tmp_path)) == [(str(card), "i915")]
    with IntelGpuBackend(root=str(tmp_path), scan_processes=False) as backend:
        (device,) = backend.read()
    assert device.clock_graphics_mhz == 350.0 and device.clock_graphics_max_mhz == 1400.0
    assert device.memory_total_bytes is None  # upstream i915 has no VRAM file
    assert device.power_w is None and device.processes == ()


def test_no_card_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable):
        IntelGpuBackend(root=str(tmp_path)).open()


def test_available_is_no_on_this_machine() -> None:
    started = time.perf_counter()
    result = IntelGpuBackend.available()
    assert time.perf_counter() - started < 0.05
    assert not result and "i915 or xe" in result.reason
