"""The plausibility guard over every backend's fields, at the collector's output.

Each backend's readings are built the way its own tests build them (real fixtures, the fake
pynvml, the mock profiles). What they read must pass the guard untouched; then every numeric
field of every reading (MIG slices and processes included) is given each sentinel in turn
and must come out of `Collector.tick()` as None, named in the device's `problems`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from allsmi_py.backend import Backend
from allsmi_py.collector import Collector
from allsmi_py.model import DeviceReading, MigInstanceReading, ProcessReading
from allsmi_py.plausible import MAX_PROBLEMS, RULES
from backends.amd.backend import AmdBackend
from backends.apple.backend import device_from_sample
from backends.apple.parse import parse_plist
from backends.furiosa.parse import merge, parse_info, parse_ps, parse_status, parse_topo
from backends.gaudi.parse import parse_output
from backends.intel.backend import IntelGpuBackend
from backends.jetson.backend import JetsonBackend, device_from_tegrastats
from backends.jetson.parse import parse_tegrastats
from backends.mock.backend import MockBackend
from backends.mock.profiles import PROFILES
from backends.nvidia.backend import NvidiaBackend
from backends.rebellions.parse import parse_rbln
from backends.tenstorrent.parse import parse_snapshot
from backends.tpu.parse import parse_tpu_info
from tests.backends.families import FIXTURES
from tests.backends.intel.test_backend import make_xe
from tests.backends.jetson.test_backend import make_tree
from tests.backends.rebellions.test_parse import documented_doc
from tests.fakes.fake_pynvml import FakeNvml, h100, h100_mig

SENTINELS: tuple[Any, ...] = (0xFFFF, 0xFFFF_FFFF, 2**64 - 1, -1, math.nan, math.inf)
Reader = Callable[[Path, pytest.MonkeyPatch], list[DeviceReading]]


class Replay(Backend, name="replay", vendor="test", requirements="none"):
    """Hands the collector the readings it was given, as a backend's read() would."""

    def __init__(self, readings: list[DeviceReading]) -> None:
        self.readings = readings

    def read(self) -> list[DeviceReading]:
        return self.readings


def collected(readings: list[DeviceReading]) -> tuple[DeviceReading, ...]:
    with Collector([Replay(readings)], deadline_s=10.0, hostname="h") as collector:
        return collector.tick().devices


def _nvidia(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[DeviceReading]:
    FakeNvml([h100(0), h100_mig()]).install(monkeypatch)
    with NvidiaBackend() as backend:
        return backend.read()


def _amd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[DeviceReading]:
    for number, card in enumerate(("rx580", "vega56", "rx9070xt")):
        card_dir = tmp_path / "sys/class/drm" / f"card{number}"
        card_dir.mkdir(parents=True)
        (card_dir / "device").symlink_to((FIXTURES / "amd" / f"amdgpu_sysfs_{card}").resolve())
    with AmdBackend(root=str(tmp_path), use_amdsmi=False) as backend:
        return backend.read()


def _apple(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[DeviceReading]:
    plist = FIXTURES / "apple" / "powermetrics_plist_macbookpro16-m4max_mac16-5.plist"
    return [device_from_sample(parse_plist(plist.read_bytes()), "Apple M4 Max", None)]


def _jetson(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[DeviceReading]:
    text = (FIXTURES / "jetson" / "tegrastats_jetson-agx-orin-32gb_r36.txt").read_text()
    tegrastats = device_from_tegrastats(parse_tegrastats(text.splitlines()[0]),
                                        "NVIDIA Jetson AGX Orin", "jetson-0")
    make_tree(tmp_path)
    with JetsonBackend(root=str(tmp_path)) as backend:
        return [tegrastats, *backend.read()]


def _intel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[DeviceReading]:
    make_xe(tmp_path)
    ticks = iter([100.0, 102.0])
    with IntelGpuBackend(root=str(tmp_path), clock=lambda: next(ticks)) as backend:
        backend.read()
        return backend.read()


def _furiosa(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[DeviceReading]:
    def text(kind: str) -> str:
        name = f"furiosa-smi_{kind}_table_rngd_docs-v2026.3.txt"
        return (FIXTURES / "furiosa" / name).read_text()
    return merge(parse_info(text("info_format-full")), parse_status(text("status")),
                 parse_ps(text("ps")), parse_topo(text("topo")))


def _gaudi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[DeviceReading]:
    return parse_output((FIXTURES / "gaudi" /
                         "hl-smi_query-aip_csv-noheader_gaudi3-hl325l.csv").read_text())


def _rebellions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[DeviceReading]:
    return parse_rbln(json.dumps(documented_doc()))


def _tenstorrent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[DeviceReading]:
    return parse_snapshot((FIXTURES / "tenstorrent" /
                           "tt-smi_snapshot_blackhole-p300c_compact.json").read_text())


def _tpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[DeviceReading]:
    text = (FIXTURES / "tpu" / "tpu-info_rich-table_tpu-v4-4chips.txt").read_text()
    return parse_tpu_info(text, accelerator_type="v4-8")


def _mock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[DeviceReading]:
    spec = ",".join(f"{key}:1" for key in PROFILES)
    backend = MockBackend(spec=spec, seed=7, start_time_s=1.7e9)
    return [reading for _ in range(3) for reading in backend.read()]


READERS: dict[str, Reader] = {
    "nvidia": _nvidia, "amd": _amd, "apple": _apple, "jetson": _jetson, "intel": _intel,
    "furiosa": _furiosa, "gaudi": _gaudi, "rebellions": _rebellions,
    "tenstorrent": _tenstorrent, "tpu": _tpu, "mock": _mock,
}


def poisoned(value: Any, sentinel: Any, kind: type) -> Any:
    """What a driver's sentinel looks like in a field of type `kind`."""
    if kind is bool:
        return 1 if sentinel == 0xFFFF else sentinel  # a number, never a bool
    if kind is int and isinstance(sentinel, float):
        return 0xFFFF_FFFF  # an int field cannot hold NaN: its 32-bit sentinel instead
    return sentinel


@pytest.mark.parametrize("backend", sorted(READERS))
def test_what_each_backend_reads_passes_untouched(
        backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readings = READERS[backend](tmp_path, monkeypatch)
    assert readings
    out = collected(readings)
    problems = [p for device in out for p in device.problems]
    assert problems == [p for device in readings for p in device.problems]
    assert out == tuple(readings)


@pytest.mark.parametrize("sentinel", SENTINELS, ids=repr)
@pytest.mark.parametrize("backend", sorted(READERS))
def test_a_sentinel_in_any_field_becomes_none_and_a_problem(
        backend: str, sentinel: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readings = READERS[backend](tmp_path, monkeypatch)
    base = next((r for r in readings if r.mig_instances), readings[0])
    cases: list[tuple[str, DeviceReading]] = []
    for name, (rule, sequence) in RULES[DeviceReading].items():
        bad = poisoned(getattr(base, name), sentinel, rule.kind)
        changed: dict[str, Any] = {name: (1.0, bad) if sequence else bad}
        cases.append((name, dataclasses.replace(base, **changed)))
    for name, (rule, _) in RULES[ProcessReading].items():
        process = base.processes[0] if base.processes else ProcessReading(pid=4242)
        bad_process = dataclasses.replace(process, **{name: poisoned(None, sentinel, rule.kind)})
        cases.append((f"processes[0].{name}", dataclasses.replace(base, processes=(bad_process,))))
    for name, (rule, _) in RULES[MigInstanceReading].items():
        mig = base.mig_instances[0] if base.mig_instances else MigInstanceReading(uuid="MIG-x")
        bad_mig = dataclasses.replace(mig, **{name: poisoned(None, sentinel, rule.kind)})
        cases.append((f"mig_instances[0].{name}", dataclasses.replace(
            base, mig_instances=(bad_mig, *base.mig_instances[1:]))))
    out = collected([device for _, device in cases])
    assert len(out) == len(cases)
    for (name, _), device in zip(cases, out, strict=True):
        assert _value(device, name) in (None, ()), name
        mine = [p for p in device.problems if p not in base.problems]
        assert len(mine) == 1 and mine[0].startswith(f"{name}: "), (name, device.problems)
        assert device.mig_instances[1:] == base.mig_instances[1:], name  # neighbours kept


def _value(device: DeviceReading, path: str) -> Any:
    if path.startswith("processes[0]."):
        return getattr(device.processes[0], path.split(".", 1)[1])
    if path.startswith("mig_instances[0]."):
        return getattr(device.mig_instances[0], path.split(".", 1)[1])
    return getattr(device, path)


def test_nvml_answering_sentinels_is_caught_at_the_collector(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver itself answers all-ones, as some cards do in some states (issue 19)."""
    gpu = dataclasses.replace(
        h100(0), util=(0xFFFF_FFFF, 0xFFFF_FFFF), temperature=0xFFFF_FFFF,
        memory_temperature=0xFFFF_FFFF, power_usage_mw=0xFFFF_FFFF,
        power_average_mw=0xFFFF_FFFF, fan_pct=(0xFFFF_FFFF,), fan_rpm=0xFFFF_FFFF,
        clocks=dict.fromkeys(h100(0).clocks, 0xFFFF_FFFF), encoder=0xFFFF_FFFF,
        decoder=0xFFFF_FFFF, memory_used=2**64 - 1, pstate=32, energy_mj=2**64 - 1,
        pcie_kbps=(0xFFFF_FFFF, 0xFFFF_FFFF))
    FakeNvml([gpu]).install(monkeypatch)
    with Collector([NvidiaBackend()], deadline_s=10.0, hostname="h") as collector:
        (device,) = collector.tick().devices
    for name in ("utilization_pct", "memory_utilization_pct", "temperature_c",
                 "memory_temperature_c", "power_w", "fan_pct", "fan_rpm",
                 "clock_graphics_mhz", "clock_sm_mhz", "clock_memory_mhz",
                 "encoder_utilization_pct", "decoder_utilization_pct", "memory_used_bytes",
                 "performance_state", "energy_j", "pcie_tx_bytes_per_s",
                 "pcie_rx_bytes_per_s"):
        assert getattr(device, name) is None, name
    assert len(device.problems) == MAX_PROBLEMS  # more were refused than are kept
    assert "utilization_pct: 4294967295 is a sentinel" in device.problems
    assert "temperature_c: 4294967295 is a sentinel" in device.problems
    assert device.problems[-1].endswith("more implausible values")
    assert device.power_limit_w == 700.0 and device.memory_total_bytes is not None


def test_amdgpu_sysfs_answering_sentinels_is_caught_at_the_collector(tmp_path: Path) -> None:
    """The rx580 dump with its files rewritten as a card in a bad state can answer them."""
    dump = tmp_path / "rx580"
    shutil.copytree(FIXTURES / "amd" / "amdgpu_sysfs_rx580", dump)
    hwmon = dump / "hwmon" / "hwmon4"
    for path, text in ((dump / "gpu_busy_percent", "65535"), (dump / "mem_busy_percent", "255"),
                       (dump / "mem_info_vram_used", str(2**64 - 2)),
                       (hwmon / "temp1_input", "-1000"), (hwmon / "fan1_input", "65535"),
                       (hwmon / "power1_average", "4294967294")):
        path.write_text(text + "\n")
    card = tmp_path / "sys/class/drm/card0"
    card.mkdir(parents=True)
    (card / "device").symlink_to(dump)
    with Collector([AmdBackend(root=str(tmp_path), use_amdsmi=False)], deadline_s=10.0,
                   hostname="h") as collector:
        (device,) = collector.tick().devices
    for name in ("utilization_pct", "memory_utilization_pct", "memory_used_bytes",
                 "temperature_c", "fan_rpm", "power_w"):
        assert getattr(device, name) is None, name
    assert "temperature_c: -1 is a sentinel" in device.problems
    assert "utilization_pct: 65535 is a sentinel" in device.problems
    assert device.memory_total_bytes == 4 * 1024**3 and device.power_limit_w == 155.0
