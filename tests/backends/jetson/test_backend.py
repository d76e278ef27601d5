"""Jetson backend I/O: a sysfs tree and a tegrastats child, both faked.

No real Jetson sysfs dump is public: the tree below is built from the paths jetson_stats
documents (devfreq `of_node/name`, `device/load` per mille, INA3221 hwmon channels, thermal
zones by `type`); the values are made up. tegrastats is faked by a Python child printing
a real fixture line.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from allsmi_py.errors import BackendReadError, BackendUnavailable
from backends.jetson.backend import JetsonBackend, availability_from_compatible

FIXTURES = Path(__file__).parents[2] / "fixtures" / "jetson"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def make_tree(root: Path) -> None:
    gpu = root / "sys/devices/platform/17000000.gpu"
    write(gpu / "of_node/name", "gpu\0")
    write(gpu / "load", "537\n")
    devfreq = root / "sys/class/devfreq/17000000.gpu"
    devfreq.mkdir(parents=True)
    (devfreq / "device").symlink_to(gpu)
    write(devfreq / "cur_freq", "918000000\n")
    write(devfreq / "max_freq", "1300500000\n")
    write(devfreq / "governor", "nvhost_podgov\n")
    other = root / "sys/class/devfreq/15340000.vic"
    write(other / "device/of_node/name", "vic\0")
    zones = root / "sys/devices/virtual/thermal"
    # The GPU zone is deliberately not zone 0.
    write(zones / "thermal_zone0/type", "CPU-therm\n")
    write(zones / "thermal_zone0/temp", "48500\n")
    write(zones / "thermal_zone1/type", "GPU-therm\n")
    write(zones / "thermal_zone1/temp", "45250\n")
    write(zones / "thermal_zone2/type", "PMIC-Die\n")
    write(zones / "thermal_zone2/temp", "100000\n")
    write(zones / "thermal_zone3/type", "SOC-therm\n")  # no temp: power-gated
    ina = root / "sys/bus/i2c/devices/1-0040"
    write(ina / "name", "ina3221\n")
    hwmon = ina / "hwmon/hwmon3"
    for channel, label, mv, ma in [(1, "VDD_IN", 5000, 1200), (2, "VDD_CPU_GPU_CV", 5000, 300),
                                   (3, "NC", 0, 0), (7, "sum of shunt voltages", 40, 0)]:
        write(hwmon / f"in{channel}_label", f"{label}\n")
        write(hwmon / f"in{channel}_input", f"{mv}\n")
        write(hwmon / f"curr{channel}_input", f"{ma}\n")
    write(root / "sys/bus/i2c/devices/0-0050/name", "eeprom\n")
    write(root / "proc/meminfo", "MemTotal: 16000000 kB\nMemAvailable: 12000000 kB\n")
    write(root / "proc/device-tree/model", "NVIDIA Orin NX Developer Kit\0")


def test_sysfs_reading(tmp_path: Path) -> None:
    make_tree(tmp_path)
    with JetsonBackend(root=str(tmp_path)) as backend:
        (device,) = backend.read()
        assert "17000000.gpu" in backend.status_message()
    assert device.kind == "soc" and device.vendor == "NVIDIA"
    assert device.name == "NVIDIA Orin NX Developer Kit"
    assert device.utilization_pct == 53.7
    assert device.clock_graphics_mhz == 918.0
    assert device.clock_graphics_max_mhz == 1300.5
    assert device.temperature_c == 45.25
    assert device.power_w == 6.0
    assert device.memory_total_bytes == 16000000 * 1024
    assert device.memory_used_bytes == 4000000 * 1024
    assert device.details["rail.VDD_CPU_GPU_CV_w"] == "1.5"
    assert "rail.NC_w" not in device.details
    assert "temperature.PMIC-Die_c" not in device.details
    assert "temperature.SOC-therm_c" not in device.details
    assert device.details["gpu_governor"] == "nvhost_podgov"


def test_sysfs_without_total_rail_sums_channels(tmp_path: Path) -> None:
    make_tree(tmp_path)
    (tmp_path / "sys/bus/i2c/devices/1-0040/hwmon/hwmon3/in1_label").write_text("VDD_GPU_SOC\n")
    with JetsonBackend(root=str(tmp_path)) as backend:
        (device,) = backend.read()
    assert device.power_w == 7.5


def fake_tool(tmp_path: Path, body: str) -> list[str]:
    script = tmp_path / "fake_tegrastats.py"
    script.write_text(body)
    return [sys.executable, str(script)]


def test_tegrastats_fallback_reads_latest_line(tmp_path: Path) -> None:
    line = (FIXTURES / "tegrastats_jetson-xavier-nx.txt").read_text().strip()
    argv = fake_tool(tmp_path, f"import time\nprint({line!r}, flush=True)\ntime.sleep(30)\n")
    backend = JetsonBackend(root=str(tmp_path), tegrastats_argv=argv)
    backend.open()
    try:
        (device,) = backend.read()
        assert backend.status_message() == "tegrastats"
    finally:
        backend.close()
        backend.close()
    assert device.utilization_pct == 62.0
    assert device.clock_graphics_mhz == 306.0
    assert device.power_w == 4.067
    assert device.memory_total_bytes == 7772 * 1024 * 1024
    assert device.details["rail.VDD_SOC_w"] == "1.353"


def test_tegrastats_garbage_is_a_read_error(tmp_path: Path) -> None:
    argv = fake_tool(tmp_path, "import time\nprint('Segmentation fault', flush=True)\n"
                     "time.sleep(30)\n")
    backend = JetsonBackend(root=str(tmp_path), tegrastats_argv=argv)
    backend.open()
    try:
        with pytest.raises(BackendReadError, match="unexpected"):
            backend.read()
    finally:
        backend.close()


def test_tegrastats_silent_is_a_read_error(tmp_path: Path) -> None:
    argv = fake_tool(tmp_path, "import time\ntime.sleep(30)\n")
    backend = JetsonBackend(root=str(tmp_path), tegrastats_argv=argv, first_line_timeout_s=0.3)
    backend.open()
    started = time.monotonic()
    try:
        with pytest.raises(BackendReadError, match="printed nothing"):
            backend.read()
    finally:
        backend.close()
    assert time.monotonic() - started < 5


def test_tegrastats_exit_is_a_read_error(tmp_path: Path) -> None:
    argv = fake_tool(tmp_path, "import sys\nsys.exit(3)\n")
    backend = JetsonBackend(root=str(tmp_path), tegrastats_argv=argv)
    backend.open()
    try:
        with pytest.raises(BackendReadError, match="status 3"):
            backend.read()
    finally:
        backend.close()


def test_open_without_gpu_or_tool_is_unavailable(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackendUnavailable, match="tegrastats"):
        JetsonBackend(root=str(tmp_path)).open()


def test_availability_from_compatible(tmp_path: Path) -> None:
    path = tmp_path / "compatible"
    path.write_bytes(b"nvidia,p3768-0000+p3767-0000\0nvidia,tegra234\0")
    assert availability_from_compatible(str(path))
    path.write_bytes(b"raspberrypi,5-model-b\0brcm,bcm2712\0")
    result = availability_from_compatible(str(path))
    assert not result and "nvidia,tegra" in result.reason
    assert not availability_from_compatible(str(tmp_path / "missing"))


def test_available_is_no_on_this_machine() -> None:
    result = JetsonBackend.available()  # no process: see tests/backends/test_contract.py
    assert not result and "Jetson" in result.reason


def make_dla(root: Path, engine: str, address: str, status: str, active_ms: int,
             suspended_ms: int) -> Path:
    """A host1x DLA platform device with runtime-PM counters (kernel sysfs-devices-power ABI);
    the device names are the Xavier/Orin ones (15880000.nvdla0, 158c0000.nvdla1)."""
    device = root / f"sys/devices/platform/bus@0/13e00000.host1x/{address}.{engine}"
    write(device / "power/runtime_status", f"{status}\n")
    write(device / "power/runtime_active_time", f"{active_ms}\n")
    write(device / "power/runtime_suspended_time", f"{suspended_ms}\n")
    link = root / f"sys/bus/platform/devices/{address}.{engine}"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(device)
    return device / "power"


def test_dla_active_share_between_reads(tmp_path: Path) -> None:
    make_tree(tmp_path)
    dla0 = make_dla(tmp_path, "nvdla0", "15880000", "suspended", 1000, 50000)
    dla1 = make_dla(tmp_path, "nvdla1", "158c0000", "suspended", 0, 51000)
    backend = JetsonBackend(root=str(tmp_path))
    backend.open()  # takes the baseline of the counters
    try:
        (idle,) = backend.read()
        assert idle.dla_utilization_pct is None  # no time passed in the counters
        assert (idle.details["engine.nvdla0"], idle.details["engine.nvdla1"]) == ("off", "off")

        # Over the next 2 s: DLA0 was up 1.5 s, DLA1 stayed suspended.
        write(dla0 / "runtime_status", "active\n")
        write(dla0 / "runtime_active_time", "2500\n")
        write(dla0 / "runtime_suspended_time", "50500\n")
        write(dla1 / "runtime_suspended_time", "53000\n")
        (busy,) = backend.read()
    finally:
        backend.close()
    assert busy.details["engine.nvdla0"] == "on"
    assert busy.details["engine.nvdla0_active_pct"] == "75.0"
    assert busy.details["engine.nvdla1_active_pct"] == "0.0"
    assert busy.dla_utilization_pct == pytest.approx(37.5)  # mean of the two engines


def test_dla_counters_that_go_backwards_are_skipped(tmp_path: Path) -> None:
    make_tree(tmp_path)
    dla0 = make_dla(tmp_path, "nvdla0", "15880000", "active", 9000, 1000)
    backend = JetsonBackend(root=str(tmp_path))
    backend.open()
    try:
        write(dla0 / "runtime_active_time", "10\n")  # driver re-probed: counters restart
        (device,) = backend.read()
        assert device.dla_utilization_pct is None
        write(dla0 / "runtime_active_time", "510\n")
        write(dla0 / "runtime_suspended_time", "1500\n")
        (device,) = backend.read()
    finally:
        backend.close()
    assert device.dla_utilization_pct == pytest.approx(50.0)


def test_no_dla_devices_means_no_dla_value(tmp_path: Path) -> None:
    make_tree(tmp_path)  # an Orin Nano has no DLA
    with JetsonBackend(root=str(tmp_path)) as backend:
        backend.read()
        (device,) = backend.read()
    assert device.dla_utilization_pct is None
    assert not any(key.startswith("engine.nvdla") for key in device.details)
