"""What the backend does when NVML cannot answer: None, problems, lost, unavailable."""

from __future__ import annotations

import sys

import pynvml as real  # noqa: TID251 - the real error codes, to configure the fake
import pytest

from allsmi_py.collector import Collector
from allsmi_py.errors import BackendUnavailable
from backends.nvidia.backend import NvidiaBackend
from tests.fakes.fake_pynvml import FakeNvml, h100, rtx_4080_super


def test_consumer_card_reports_none_for_what_it_lacks(make_backend) -> None:
    backend, _ = make_backend([rtx_4080_super()])
    gpu = backend.read()[0]
    assert gpu.problems == ()
    assert gpu.ecc_enabled is None
    assert gpu.ecc_errors_corrected_volatile is None
    assert gpu.ecc_errors_uncorrected_aggregate is None
    assert gpu.memory_temperature_c is None
    assert gpu.energy_j is None
    assert gpu.numa_node is None
    assert gpu.mig_mode is None
    assert gpu.fan_rpm is None
    assert "serial" not in gpu.details
    # What it has is still there: fans at 0 % (zero-RPM idle), encoder busy, P2.
    assert gpu.fan_pct == 0.0
    assert gpu.encoder_utilization_pct == 72.0
    assert gpu.performance_state == 2
    assert gpu.power_limit_max_w == 400.0
    assert gpu.clock_graphics_max_mhz == 3165


def test_unsupported_calls_are_not_asked_again(make_backend) -> None:
    backend, fake = make_backend([rtx_4080_super()])
    backend.read()
    first = fake.per_device("gpu0")
    for never in (
        "nvmlDeviceGetTotalEnergyConsumption",
        "nvmlDeviceGetFanSpeedRPM",
        "nvmlDeviceGetMigMode",
    ):
        assert first[never] == 1
    assert first["nvmlDeviceGetTotalEccErrors"] == 0  # ECC off: counts never asked
    fake.calls.clear()
    backend.read()
    backend.read()
    later = fake.per_device("gpu0")
    for never in (
        "nvmlDeviceGetTotalEnergyConsumption",
        "nvmlDeviceGetFanSpeedRPM",
        "nvmlDeviceGetMigMode",
        "nvmlDeviceGetNumaNodeId",
        "nvmlDeviceGetSerial",
    ):
        assert later[never] == 0, never
    assert later["nvmlDeviceGetUtilizationRates"] == 2  # supported calls keep being asked


def test_no_permission_gives_none_and_is_remembered(make_backend) -> None:
    gpu = h100(0)
    gpu.errors["nvmlDeviceGetTotalEnergyConsumption"] = real.NVML_ERROR_NO_PERMISSION
    backend, fake = make_backend([gpu])
    backend.read()
    reading = backend.read()[0]
    assert reading.energy_j is None and reading.problems == ()
    assert fake.per_device("gpu0")["nvmlDeviceGetTotalEnergyConsumption"] == 1


def test_unknown_error_lands_in_problems_and_is_retried(make_backend) -> None:
    gpu = h100(0)
    gpu.errors["nvmlDeviceGetPowerUsage"] = real.NVML_ERROR_UNKNOWN
    gpu.errors["nvmlDeviceGetFieldValues"] = real.NVML_ERROR_TIMEOUT
    backend, fake = make_backend([gpu])
    reading = backend.read()[0]
    assert reading.power_w is None
    assert reading.memory_temperature_c is None
    assert "nvmlDeviceGetPowerUsage: Unknown Error" in reading.problems
    assert "nvmlDeviceGetFieldValues: Timeout" in reading.problems
    assert reading.state == "ok" and reading.temperature_c == 59.0
    # The error clears: the next tick asks again and reads the value.
    del gpu.errors["nvmlDeviceGetFieldValues"]
    reading = backend.read()[0]
    assert reading.power_w == pytest.approx(629.45)
    assert "nvmlDeviceGetFieldValues: Timeout" not in reading.problems
    assert fake.per_device("gpu0")["nvmlDeviceGetFieldValues"] == 2


def test_gpu_lost_mid_run_leaves_the_others_reporting(make_backend) -> None:
    gpus = [h100(i) for i in range(4)]
    backend, fake = make_backend(gpus)
    assert all(r.state == "ok" for r in backend.read())
    gpus[2].lost = True
    readings = backend.read()
    assert [r.state for r in readings] == ["ok", "ok", "lost", "ok"]
    lost = readings[2]
    assert lost.uuid == gpus[2].uuid and lost.name == "NVIDIA H100 80GB HBM3"
    assert lost.power_w is None and lost.processes == ()
    assert "GPU is lost" in lost.problems[0]
    assert readings[3].power_w == pytest.approx(629.45)
    # A lost GPU is not polled again.
    fake.calls.clear()
    assert backend.read()[2].state == "lost"
    assert sum(fake.per_device("gpu2").values()) == 0


def test_collector_status_stays_ok_with_one_lost_gpu(make_backend) -> None:
    gpus = [h100(i) for i in range(2)]
    backend, _ = make_backend(gpus)
    gpus[1].lost = True
    snapshot = Collector([backend], interval_s=1.0, deadline_s=5.0).tick()
    (status,) = snapshot.backends
    assert status.state == "ok" and status.device_count == 2
    assert [d.state for d in snapshot.devices] == ["ok", "lost"]


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (real.NVML_ERROR_LIBRARY_NOT_FOUND, "libnvidia-ml.so.1 not found"),
        (real.NVML_ERROR_DRIVER_NOT_LOADED, "driver not loaded"),
        (real.NVML_ERROR_LIB_RM_VERSION_MISMATCH, "version mismatch"),
        (real.NVML_ERROR_UNINITIALIZED, "could not be initialised"),
    ],
)
def test_missing_driver_makes_the_backend_unavailable(monkeypatch, code, words) -> None:
    fake = FakeNvml([h100(0)])
    fake.init_error = code
    fake.install(monkeypatch)
    with pytest.raises(BackendUnavailable, match=words):
        NvidiaBackend().open()


def test_missing_driver_shows_as_unavailable_status(monkeypatch) -> None:
    fake = FakeNvml([h100(0)])
    fake.init_error = real.NVML_ERROR_LIBRARY_NOT_FOUND
    fake.install(monkeypatch)
    snapshot = Collector([NvidiaBackend()], interval_s=1.0, deadline_s=5.0).tick()
    (status,) = snapshot.backends
    assert status.state == "unavailable"
    assert "install the NVIDIA driver" in status.message
    assert snapshot.devices == ()


def test_zero_gpus_is_unavailable(monkeypatch) -> None:
    FakeNvml([]).install(monkeypatch)
    with pytest.raises(BackendUnavailable, match="no NVIDIA device"):
        NvidiaBackend().open()


def test_missing_pynvml_package_is_unavailable(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    with pytest.raises(BackendUnavailable, match="nvidia-ml-py"):
        NvidiaBackend().open()


def test_close_twice_is_safe(make_backend) -> None:
    backend, fake = make_backend([h100(0)])
    backend.close()
    backend.close()
    assert fake.calls[("nvmlShutdown", "system")] == 1
