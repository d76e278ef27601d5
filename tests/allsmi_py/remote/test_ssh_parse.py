"""What hosts print over SSH, decoded: real nvidia-smi and rocm-smi output, and hostile bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from allsmi_py.remote.ssh_all_smi import all_smi_snapshot
from allsmi_py.remote.ssh_parse import (
    MAX_DEVICES,
    NVIDIA_FIELDS,
    SshPayloadError,
    allsmi_snapshot,
    nvidia_smi_snapshot,
    rocm_smi_snapshot,
)
from tests.allsmi_py.remote.faults import node_snapshot

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ssh"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_nvidia_smi_h100_under_load() -> None:
    snapshot = nvidia_smi_snapshot(fixture("nvidia-smi_query-gpu_h100_load.csv"), "gpu-a")
    (device,) = snapshot.devices
    assert snapshot.hostname == "gpu-a"
    assert (device.backend, device.index, device.uuid, device.name) == (
        "nvidia", 0, "GPU-00000000-0000-0000-0000-000000000000", "NVIDIA H100 80GB HBM3")
    assert (device.utilization_pct, device.memory_utilization_pct) == (100.0, 11.0)
    assert (device.memory_used_bytes, device.memory_total_bytes,
            device.memory_reserved_bytes) == (19818 << 20, 81559 << 20, 479 << 20)
    assert (device.temperature_c, device.memory_temperature_c) == (59.0, 54.0)
    assert (device.power_w, device.power_limit_w) == (631.95, 700.0)
    assert (device.clock_graphics_mhz, device.clock_memory_mhz) == (1980.0, 2619.0)
    assert device.fan_pct is None  # [N/A]: passively cooled
    assert device.performance_state == 0
    assert device.details["driver_version"] == "590.48.01"


def test_nvidia_smi_consumer_card_has_a_fan_and_no_memory_temperature() -> None:
    (device,) = nvidia_smi_snapshot(fixture("nvidia-smi_query-gpu_rtx4080super_load.csv"),
                                    "desk").devices
    assert (device.fan_pct, device.memory_temperature_c, device.performance_state) == (
        0.0, None, 2)


def test_nvidia_smi_output_of_our_own_query_reads_the_same() -> None:
    header = ", ".join(f"{f} [%]" if f.startswith("utilization") else f
                       for f in NVIDIA_FIELDS.split(","))
    row = ", ".join("0" if f == "index" else "P3" if f == "pstate" else "12 %"
                    if f.startswith("utilization") else "[N/A]" for f in NVIDIA_FIELDS.split(","))
    (device,) = nvidia_smi_snapshot(f"{header}\n{row}\n".encode(), "h").devices
    assert (device.utilization_pct, device.performance_state, device.power_w) == (12.0, 3, None)


def test_rocm_smi_mi100() -> None:
    snapshot = rocm_smi_snapshot(fixture("rocm-smi_mi100_rocm602.json"), "amd-a")
    first, second = snapshot.devices
    assert (first.backend, first.index, first.uuid, first.name) == (
        "amd", 0, "0x79ccd55167a2124a", "Arcturus GL-XL [Instinct MI100]")
    assert (first.utilization_pct, first.memory_used_bytes, first.memory_total_bytes) == (
        0.0, 6750208, 34342961152)
    assert (first.temperature_c, first.memory_temperature_c) == (53.0, 53.0)
    assert (first.power_w, first.power_limit_w, first.numa_node) == (36.0, 290.0, 1)
    assert first.details == {"driver_version": "6.3.6", "pci_bus_id": "0000:83:00.0"}
    assert second.power_w == 44.0


def test_all_smi_schema1() -> None:
    snapshot = all_smi_snapshot(fixture("all-smi_snapshot_schema1.json"), "fallback")
    first, second = snapshot.devices
    assert snapshot.hostname == "gpu-a"
    assert (first.backend, first.kind, first.utilization_pct, first.memory_used_bytes,
            first.power_w, first.temperature_c) == ("all-smi", "gpu", 87.0, 20780679168, 612.5,
                                                    61.0)
    assert (first.temperature_slowdown_c, first.temperature_shutdown_c,
            first.temperature_max_operating_c, first.temperature_acoustic_c) == (
        87.0, 92.0, 85.0, None)
    assert (first.performance_state, first.numa_node, first.clock_graphics_mhz) == (0, 0, 1980.0)
    assert first.details == {"driver_version": "590.48.01", "cuda_version": "13.1"}
    # all-smi's "not read" markers: -1 for utilization and power, 0 for temperature and clock
    assert (second.utilization_pct, second.power_w, second.temperature_c,
            second.clock_graphics_mhz) == (None, None, None, None)


def test_all_smi_host_cpu_and_memory() -> None:
    host = all_smi_snapshot(fixture("all-smi_snapshot_schema1.json"), "h").host
    assert host is not None
    cpu, memory = host.cpu, host.memory
    assert (cpu.model, cpu.architecture, cpu.utilization_pct, cpu.socket_count,
            cpu.core_count, cpu.thread_count) == (
        "AMD EPYC 9654 96-Core Processor", "x86_64", 12.5, 2, 192, 384)
    assert (cpu.frequency_base_mhz, cpu.frequency_max_mhz, cpu.temperature_c) == (
        2400.0, 3700.0, None)
    assert cpu.per_core_utilization_pct == (10.0, 15.0)
    assert (memory.total_bytes, memory.used_bytes, memory.swap_total_bytes) == (
        1622202216448, 210453397504, 0)


def test_all_smi_without_host_sections_has_no_host() -> None:
    assert all_smi_snapshot(b'{"schema": 1, "gpus": []}', "h").host is None


def test_our_own_snapshot() -> None:
    snapshot = node_snapshot("n1", "h100:2")
    decoded = allsmi_snapshot(json.dumps(snapshot.to_dict()).encode(), "ignored")
    assert decoded.hostname == "n1" and len(decoded.devices) == 2


@pytest.mark.parametrize("body", [
    b"", b"\x00\xff" * 100, b"<html>", b"index,name\n0,a,extra\n", b"name\nx\n",
    b"index,name\nzero,x\n", b"index,name\n0,\"" + b"x" * 200_000 + b"\"\n",
])
def test_nvidia_smi_garbage_is_refused(body: bytes) -> None:
    with pytest.raises(SshPayloadError):
        nvidia_smi_snapshot(body, "h")


@pytest.mark.parametrize("decode", [rocm_smi_snapshot, all_smi_snapshot, allsmi_snapshot])
@pytest.mark.parametrize("body", [
    b"", b"not json", b"[]", b"{}", b'{"card0": 5}', b"[" * 100_000 + b"]" * 100_000,
    b'{"schema": 2}', b'{"schema": 1, "gpus": {}}',
])
def test_json_garbage_is_refused(decode: object, body: bytes) -> None:
    with pytest.raises(SshPayloadError):
        decode(body, "h")  # type: ignore[operator]


def test_values_out_of_bounds_and_dirty_strings_are_cleaned() -> None:
    body = json.dumps({"card0": {"GPU use (%)": "1e308", "Temperature (Sensor edge) (C)": "nan",
                                 "Card series": "evil\x1b[2Jname", "VRAM Total Memory (B)": "-5",
                                 "Average Graphics Package Power (W)": "inf"}}).encode()
    (device,) = rocm_smi_snapshot(body, "h").devices
    assert device.utilization_pct is None and device.temperature_c is None
    assert device.memory_total_bytes is None and device.power_w is None
    assert "\x1b" not in device.name


def test_device_count_is_capped() -> None:
    rows = "".join(f"{i}, gpu\n" for i in range(MAX_DEVICES + 50))
    snapshot = nvidia_smi_snapshot(f"index, name\n{rows}".encode(), "h")
    assert len(snapshot.devices) == MAX_DEVICES


def test_a_broken_snapshot_of_ours_is_refused() -> None:
    from allsmi_py.model import SNAPSHOT_FORMAT

    body = json.dumps({"format": SNAPSHOT_FORMAT, "hostname": "h", "taken_at_s": 1.0,
                       "devices": "not a list"}).encode()
    with pytest.raises(SshPayloadError):
        allsmi_snapshot(body, "h")


def test_readings_over_ssh_pass_the_plausibility_guard() -> None:
    csv = fixture("nvidia-smi_query-gpu_h100_load.csv").decode()
    header, row = csv.strip().splitlines()[:2]
    names = [n.strip() for n in header.split(",")]
    cells = row.split(", ")
    cells[names.index("power.draw [W]")] = "99999.00 W"  # fits the field, not a 700 W card
    cells[names.index("temperature.gpu")] = "4294967295"  # a sentinel
    snapshot = nvidia_smi_snapshot(f"{header}\n{', '.join(cells)}\n".encode(), "gpu-a")
    (device,) = snapshot.devices
    assert device.power_w is None and device.temperature_c is None
    assert device.problems == ("power_w: 99999 is outside 0..2000",)
    assert device.utilization_pct == 100.0  # the rest of the reading stays


def test_a_number_too_large_to_scale_is_missing_not_a_crash() -> None:
    from allsmi_py.remote.ssh_parse import whole
    assert whole("1.7144137714980277e+302", 1 << 20) is None  # found by the fuzz suite
    assert whole("19818", 1 << 20) == 19818 << 20
