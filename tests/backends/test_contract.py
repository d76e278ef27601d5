"""The contract every backend entry point honours, built-ins and third parties alike."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from allsmi_py.backend import Availability, Backend
from allsmi_py.collector import Collector
from allsmi_py.model import DEVICE_KINDS, DEVICE_STATES, DeviceReading
from allsmi_py.plugins import backend_names, load_backend_class

ALL = backend_names(include_mock=True)
VENDOR_LIBRARIES = {"pynvml", "amdsmi", "pyhlml", "pyluwen", "furiosa_smi_py", "libtpu"}


def _class(name: str) -> type[Backend]:
    loaded = load_backend_class(name)
    assert loaded.backend_class is not None, loaded.status
    return loaded.backend_class


def check_reading(device: DeviceReading, backend_name: str) -> None:
    """What every DeviceReading from any backend must satisfy."""
    assert device.backend == backend_name
    assert device.uuid and device.name
    assert device.kind in DEVICE_KINDS and device.state in DEVICE_STATES
    for f in dataclasses.fields(device):
        value = getattr(device, f.name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            assert value >= 0 or f.name == "index", f"{f.name}={value}"
            assert value == value, f"{f.name} is NaN"
        if f.name.endswith("_pct") and isinstance(value, float):
            assert value <= 100.0 + 1e-9, f"{f.name}={value}"
    if device.memory_used_bytes is not None and device.memory_total_bytes:
        assert device.memory_used_bytes <= device.memory_total_bytes
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in device.details.items())


@pytest.mark.parametrize("name", ALL)
def test_entry_point_loads_a_backend_that_names_itself(name: str) -> None:
    cls = _class(name)
    assert cls.name == name
    assert cls.vendor, "vendor label shown on devices"
    assert cls.requirements, "what the backend needs, for --list-backends"


@pytest.mark.parametrize("name", ALL)
def test_available_is_cheap_and_explains_a_no(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap means no process: available() runs at every start, a vendor tool can hang. (Not
    timed: a time bound is flaky on a shared machine, and would not say why it was slow.)"""
    cls = _class(name)

    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"{name}.available() started a process: {args[:2]}")

    monkeypatch.setattr(subprocess.Popen, "__init__", no_process)
    availability = cls.available()
    assert isinstance(availability, Availability)
    if not availability:
        assert len(availability.reason) > 5


@pytest.mark.parametrize("name", [n for n in ALL if n != "mock"])
def test_importing_a_backend_loads_no_vendor_library(name: str) -> None:
    ep_module = f"backends.{name}.backend"
    code = (f"import sys, {ep_module}\n"
            f"print(' '.join(m for m in {sorted(VENDOR_LIBRARIES)!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("name", [n for n in ALL if n != "mock"])
def test_a_backend_that_cannot_run_here_never_crashes_the_collector(name: str) -> None:
    cls = _class(name)
    if cls.available():
        pytest.skip(f"{name} hardware is present here")
    try:
        backend = cls()
    except Exception as exc:  # construction may refuse; the loader turns that into a status
        pytest.skip(f"constructor refused without hardware: {exc}")
    snapshot = Collector([backend], deadline_s=5.0).tick()
    (status,) = snapshot.backends
    assert status.state in ("unavailable", "error", "ok")
    if status.state != "ok":
        assert status.message
    for device in snapshot.devices:
        check_reading(device, name)


def test_mock_backend_honours_the_reading_contract() -> None:
    cls = _class("mock")
    with cls(spec="h100:2,m3max,orin,n300:1,atom:1,rngd:1,gaudi3:1,mi300x:1,rtx4090:1,a100:1,"
                  "b200:1", seed=9) as backend:  # type: ignore[call-arg]
        devices = backend.read()
    assert len(devices) == 12
    assert len({d.uuid for d in devices}) == len(devices)
    for device in devices:
        check_reading(device, "mock")
