"""The no-root Apple path (IOReport + SMC + IORegistry + NSProcessInfo + Mach VM) over a
fake of the ctypes boundary (fake_native.py). No textual IOReport sample exists publicly:
the M4 Max counters are derived from the real powermetrics plist of that machine and the
SMC and VM values are chosen for the test (machines.py says which is which)."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

from allsmi_py.errors import BackendUnavailable
from backends.apple.backend import AppleBackend
from backends.apple.native import NativeSource
from backends.apple.native_lib import NativeLib, load_native
from backends.apple.smc import KEY_DATA, SMC, fourcc, pack_key_data
from tests.backends.apple.fake_native import FakeNative, SMCKeyData
from tests.backends.apple.machines import (
    M4_ELAPSED_S,
    PLIST,
    Clock,
    VmStatistics64,
    m4_max,
    step_m4_max,
)

SYSCTL = {"machdep.cpu.brand_string": "Apple M4 Max", "hw.model": "Mac16,5",
          "hw.memsize": str(48 * 2**30)}


def opened(fake: FakeNative | None = None) -> tuple[NativeSource, FakeNative, Clock]:
    fake = fake or m4_max()
    clock = Clock()
    source = NativeSource(fake, clock=clock, sleep=clock.sleep)
    source.open()
    return source, fake, clock


def backend_over(fake: FakeNative, clock: Clock, **kwargs: object) -> AppleBackend:
    def loader() -> NativeLib:
        return fake
    return AppleBackend(native_loader=loader, sysctl_reader=SYSCTL.get, clock=clock,
                        sleep=clock.sleep, **kwargs)  # type: ignore[arg-type]


def test_m4_max_reading_through_the_backend() -> None:
    fake, clock = m4_max(), Clock()
    backend = backend_over(fake, clock)
    backend.open()
    step_m4_max(fake, clock)
    (device,) = backend.read()
    assert backend.status_message() == "IOReport+SMC"
    # powermetrics read these from the same counters: 12.2657 %, 338 MHz, 269.614 mW
    assert device.utilization_pct == pytest.approx(12.2657, abs=1e-4)
    assert device.clock_graphics_mhz == 338.0
    assert device.power_w == pytest.approx(0.269614, abs=1e-6)
    assert device.ane_power_w == 0.0
    assert device.details["cpu_power_w"] == "2.97845"
    assert device.details["combined_power_w"] == "3.24807"
    assert "dram_power_w" not in device.details  # this machine has no DRAM channel
    # GPU temperature: mean of Tg0G 38.5 and Tg0H 39.5; Tg0j reads 0.0 and is left out
    assert device.temperature_c == 39.0
    # CPU die: Te05 41.25, Tp01 46, Tp05 48, Tp09 46.25 (TpSD is a ui16, not a sensor)
    assert device.details["cpu_temperature_c"] == "45.4"
    assert device.details["system_power_w"] == "8.75"
    assert device.thermal_pressure == "Nominal"
    assert device.memory_total_bytes == 48 * 2**30
    assert device.memory_used_bytes == 1_790_000 * 16384
    assert device.name == "Apple M4 Max" and device.uuid == "apple-Mac16,5"
    assert device.details["source"] == "IOReport+SMC"
    assert device.details["hw_model"] == "Mac16,5"
    assert device.problems == ()
    # per-core residency of the plist's E cores (mean core busy time, not the cluster's
    # "any core active" 52.97 % that powermetrics prints), clocks from the kHz tables
    assert device.details["cluster.ECPU_active_pct"] == "23.08"
    assert device.details["cluster.ECPU_mhz"] == "1176.46"
    assert device.details["cluster.PCPU_active_pct"] == "6.69"
    assert device.details["cluster.PCPU_mhz"] == "3778.44"
    backend.close()


def test_first_read_has_a_delta_and_short_windows_reuse_the_last_result() -> None:
    source, fake, clock = opened()
    step_m4_max(fake, clock)
    first = source.read().sample
    assert first.gpu_power_w == pytest.approx(0.269614, abs=1e-6)
    # 20 ms later: under 50 ms, the previous result stands and the baseline is kept
    step_m4_max(fake, clock, times=0.02 / M4_ELAPSED_S)
    assert source.read().sample == first
    # the next window runs from the kept baseline: twice the energy over ~2.02 intervals
    step_m4_max(fake, clock, times=2.0)
    later = source.read().sample
    assert later.cpu_power_w == pytest.approx(
        3.049 * (2.0 + 0.02 / M4_ELAPSED_S) / (2 * M4_ELAPSED_S + 0.02), rel=1e-3)
    assert clock.slept == []


def test_first_read_right_after_open_waits_out_the_minimum_window() -> None:
    source, fake, clock = opened()
    for channel in fake.channels:
        if channel.name == "CPU Energy":
            channel.add(100)  # 100 mJ land during the wait
    clock.now += 0.01
    sample = source.read().sample
    assert clock.slept == [pytest.approx(0.041)]
    assert sample.cpu_power_w == pytest.approx(100e-3 / 0.051)


def test_nothing_leaks_per_tick_and_close_releases_everything() -> None:
    source, fake, clock = opened()
    held_cf, held_io = fake.live_cf(), fake.live_io()
    assert (held_cf, held_io) == (5, 1)  # channels, subscribed, subscription, key, baseline
    for _ in range(5):
        step_m4_max(fake, clock)
        source.read()
    assert (fake.live_cf(), fake.live_io()) == (held_cf, held_io)
    source.close()
    source.close()
    assert (fake.live_cf(), fake.live_io()) == (0, 0)


def test_null_sample_is_missing_values_and_a_status_never_a_crash() -> None:
    fake, clock = m4_max(), Clock()
    backend = backend_over(fake, clock)
    backend.open()
    fake.fail.add("IOReportCreateSamples")
    step_m4_max(fake, clock)
    (device,) = backend.read()
    assert device.utilization_pct is None and device.power_w is None
    assert device.clock_graphics_mhz is None
    assert device.problems == ("IOReport: IOReportCreateSamples returned NULL",)
    assert backend.status_message() == \
        "IOReport+SMC (IOReport: IOReportCreateSamples returned NULL)"
    assert device.temperature_c == 39.0  # the SMC still answers
    fake.fail.clear()
    step_m4_max(fake, clock)
    (device,) = backend.read()  # the old baseline spans both intervals
    assert device.power_w == pytest.approx(0.269614, abs=1e-6)
    assert backend.status_message() == "IOReport+SMC"
    backend.close()
    assert (fake.live_cf(), fake.live_io()) == (0, 0)


def test_null_delta_keeps_the_new_baseline() -> None:
    source, fake, clock = opened()
    fake.fail.add("IOReportCreateSamplesDelta")
    step_m4_max(fake, clock)
    assert source.read().problems == ("IOReport: IOReportCreateSamplesDelta returned NULL",)
    fake.fail.clear()
    step_m4_max(fake, clock)
    assert source.read().sample.cpu_power_w == pytest.approx(2.97845, abs=1e-5)
    source.close()
    assert fake.live_cf() == 0


def test_gpu_temperature_is_absent_without_a_tg_key() -> None:
    fake = m4_max()
    fake.smc = {key: value for key, value in fake.smc.items() if not key.startswith("Tg")}
    fake.smc["#KEY"] = ("ui32", len(fake.smc).to_bytes(4, "big"))
    source, fake, clock = opened(fake)
    step_m4_max(fake, clock)
    reading = source.read()
    assert reading.gpu_temperature_c is None  # no fallback to the CPU temperature
    assert reading.cpu_temperature_c == 45.375


def test_thermal_state_names() -> None:
    source, fake, clock = opened()
    for state, name in enumerate(("Nominal", "Fair", "Serious", "Critical")):
        fake.thermal_state = state
        step_m4_max(fake, clock)
        assert source.read().sample.thermal_pressure == name
    fake.thermal_state = 9
    step_m4_max(fake, clock)
    assert source.read().sample.thermal_pressure is None


def test_optional_parts_fail_alone() -> None:
    fake = m4_max()
    fake.registry["AppleARMIODevice"] = [("gpio", {})]  # no pmgr: no clock tables
    fake.fail |= {"IOServiceOpen", "objc", "host_statistics64"}
    source, fake, clock = opened(fake)
    step_m4_max(fake, clock)
    reading = source.read()
    assert reading.sample.gpu_utilization_pct == pytest.approx(12.2657, abs=1e-4)
    assert reading.sample.gpu_frequency_mhz is None
    assert reading.sample.clusters["ECPU"][0] is None
    assert reading.gpu_temperature_c is None and reading.system_power_w is None
    assert reading.sample.thermal_pressure is None and reading.memory_used_bytes is None
    assert reading.problems == (
        "no GPU voltage-states table in IORegistry pmgr",
        "SMC: IOServiceOpen(AppleSMC) failed with 0xe00002c2",
        "NSProcessInfo.thermalState is not available",
    )
    source.close()
    assert (fake.live_cf(), fake.live_io()) == (0, 0)


# -- SMC ---------------------------------------------------------------------------------------

def test_smc_key_data_layout_matches_c() -> None:
    assert KEY_DATA.size == ctypes.sizeof(SMCKeyData) == 80
    payload = pack_key_data(fourcc("PSTR"), command=5, index=7, size=4,
                            data_type=fourcc("flt "))
    mirror = SMCKeyData.from_buffer_copy(payload)
    assert (mirror.key, mirror.data8, mirror.data32) == (fourcc("PSTR"), 5, 7)
    assert (mirror.keyInfo.dataSize, mirror.keyInfo.dataType) == (4, fourcc("flt "))
    assert fourcc("PSTR") == 0x50535452
    assert ctypes.sizeof(VmStatistics64) == 152


def test_smc_enumeration_reads_only_the_temperature_span() -> None:
    fake = m4_max()
    source, fake, _ = opened(fake)
    source.close()
    smc = SMC(fake)
    smc.open()
    assert smc.key_count() == len(fake.smc) == 24
    assert smc.key_at(0) == "#KEY" and smc.key_at(99) is None
    fake.smc_calls.clear()
    found = smc.discover_temperature_keys()
    assert found == {"cpu": ["Te05", "Tp01", "Tp05", "Tp09"], "gpu": ["Tg0G", "Tg0H", "Tg0j"]}
    # binary search (5 probes + 1 check) and the T span up to the first U key, not all 24
    assert fake.smc_calls[8] == 6 + 11
    assert smc.read("PSTR") == 8.75 and smc.read("NOPE") is None
    smc.close()
    assert fake.live_io() == 0


def test_smc_unsorted_table_falls_back_to_a_full_scan() -> None:
    fake = m4_max()
    fake.smc = dict(reversed(list(fake.smc.items())))
    smc = SMC(fake)
    smc.open()
    found = smc.discover_temperature_keys()
    assert sorted(found["cpu"]) == ["Te05", "Tp01", "Tp05", "Tp09"]
    assert sorted(found["gpu"]) == ["Tg0G", "Tg0H", "Tg0j"]
    smc.close()


# -- choosing the source -----------------------------------------------------------------------

def missing_libraries() -> NativeLib:
    raise OSError("dlopen(/usr/lib/libIOReport.dylib, 0x0006): image not found")


def test_missing_libraries_without_root_are_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 501)
    backend = AppleBackend(native_loader=missing_libraries, sysctl_reader=SYSCTL.get)
    with pytest.raises(BackendUnavailable, match=r"cannot load Apple's native libraries.*"
                       r"image not found; as root \(sudo\) allsmi reads `powermetrics`"):
        backend.open()


def test_failed_subscription_without_root_is_unavailable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 501)
    fake = m4_max()
    fake.fail.add("IOReportCreateSubscription")
    backend = backend_over(fake, Clock())
    with pytest.raises(BackendUnavailable,
                       match="IOReport subscription failed: IOReportCreateSubscription "
                             "returned NULL"):
        backend.open()
    assert fake.live_cf() == 0


def test_native_only_never_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    backend = AppleBackend(native_loader=missing_libraries, sysctl_reader=SYSCTL.get,
                           source="native")
    with pytest.raises(BackendUnavailable, match="cannot load"):
        backend.open()


def test_missing_libraries_as_root_fall_back_to_powermetrics(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    script = tmp_path / "fake_powermetrics.py"
    script.write_text(
        "import sys, time\n"
        f"data = open({str(PLIST)!r}, 'rb').read()\n"
        "sys.stdout.buffer.write(data + b'\\0'); sys.stdout.flush()\n"
        "time.sleep(30)\n"
    )
    backend = AppleBackend(powermetrics_argv=[sys.executable, str(script)],
                           native_loader=missing_libraries, sysctl_reader=SYSCTL.get)
    backend.open()
    try:
        (device,) = backend.read()
        status = backend.status_message()
    finally:
        backend.close()
    assert status.startswith("powermetrics (native path: cannot load Apple's native")
    assert device.details["source"] == "powermetrics"
    assert device.utilization_pct == pytest.approx(12.2657)
    assert device.memory_total_bytes == 48 * 2**30


def test_import_and_available_on_linux_load_no_library() -> None:
    code = (
        "import ctypes, time\n"
        "def refuse(*a, **k): raise AssertionError('a library was loaded at import')\n"
        "ctypes.CDLL = refuse\n"
        "started = time.perf_counter()\n"
        "import backends.apple.backend as b\n"
        "result = b.AppleBackend.available()\n"
        "assert not result and result.reason == 'macOS on Apple Silicon only', result\n"
        "print(round(time.perf_counter() - started, 3))\n"
    )
    root = Path(__file__).parents[3]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                          text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert AppleBackend.available().reason == "macOS on Apple Silicon only"


@pytest.mark.skipif(sys.platform == "darwin", reason="the libraries exist on macOS")
def test_real_loader_fails_cleanly_off_macos(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(OSError):
        load_native()
    monkeypatch.setattr(os, "geteuid", lambda: 501)
    with pytest.raises(BackendUnavailable, match="cannot load Apple's native libraries"):
        AppleBackend(sysctl_reader=SYSCTL.get).open()
