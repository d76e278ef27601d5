"""all-smi's GSP and TPU families read back into details, from an all-smi-format body and
from our own exporter (issue 19 item 4)."""

from __future__ import annotations

import pytest

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import DeviceReading, NodeSnapshot
from allsmi_py.remote.parse import parse_node_text

G = 'gpu="NVIDIA H100 80GB HBM3",instance="node-1",gpu_uuid="GPU-1",gpu_index="0"'
N = 'npu="Google TPU v5e",instance="node-1",npu_uuid="tpu-accel0",npu_index="0"'


def test_an_all_smi_nvidia_node_s_gsp_families() -> None:
    body = (f'all_smi_gpu_info{{{G},type="GPU"}} 1\n'
            f"all_smi_gpu_gsp_firmware_mode{{{G}}} 2\n"
            f'all_smi_gpu_gsp_firmware_version_info{{{G},version="590.48.01"}} 1\n'
            f'all_smi_nvlink_remote_device_type{{{G},link_index="0",remote_type="switch"}} 1\n')
    [gpu] = parse_node_text(body).devices
    assert gpu.details["gsp_firmware_version"] == "590.48.01"
    assert gpu.details["gsp_firmware_mode"] == "Default"


def test_an_all_smi_tpu_node_s_families() -> None:
    body = (f'all_smi_gpu_info{{{N.replace("npu", "gpu")},type="TPU"}} 1\n'
            f'all_smi_tpu_chip_version_info{{{N},version="v5e"}} 1\n'
            f'all_smi_tpu_accelerator_type_info{{{N},type="v5litepod-4"}} 1\n'
            f'all_smi_tpu_memory_type_info{{{N},type="HBM2"}} 1\n'
            f"all_smi_tpu_core_count{{{N}}} 1\n"
            f"all_smi_tpu_tensorcore_count{{{N}}} 1\n")
    [chip] = parse_node_text(body).devices
    assert {k: chip.details[k] for k in ("chip_version", "accelerator_type", "memory_type",
                                         "devices_per_chip", "tensorcore_count")} == {
        "chip_version": "v5e", "accelerator_type": "v5litepod-4", "memory_type": "HBM2",
        "devices_per_chip": "1", "tensorcore_count": "1"}


@pytest.mark.parametrize("line", [
    f"all_smi_gpu_gsp_firmware_mode{{{G}}} 7",
    f"all_smi_gpu_gsp_firmware_mode{{{G}}} 1.5",
    f"all_smi_gpu_gsp_firmware_mode{{{G}}} NaN",
    f"all_smi_tpu_tensorcore_count{{{N}}} 4294967295",
    f'all_smi_gpu_gsp_firmware_version_info{{{G},version=""}} 1',
])
def test_values_no_family_can_mean_are_not_read(line: str) -> None:
    body = f'all_smi_gpu_info{{{G},type="GPU"}} 1\n{line}\n'
    snapshot = parse_node_text(body)
    details = snapshot.devices[0].details
    assert "gsp_firmware_mode" not in details and "tensorcore_count" not in details
    assert "gsp_firmware_version" not in details


def test_our_exporter_round_trips_them() -> None:
    gpu = DeviceReading(backend="nvidia", index=0, uuid="GPU-1", name="H100", vendor="NVIDIA",
                        details={"gsp_firmware_version": "590.48.01",
                                 "gsp_firmware_mode": "Enabled"})
    text = render_prometheus(NodeSnapshot(hostname="node-1", taken_at_s=1.8e9, devices=(gpu,)))
    [back] = parse_node_text(text).devices
    assert back.details["gsp_firmware_version"] == "590.48.01"
    assert back.details["gsp_firmware_mode"] == "Enabled"


def test_a_core_count_that_is_not_a_small_whole_number_is_not_read() -> None:
    from allsmi_py.remote.rules import _count
    # NaN and inf reach the rule from hostile text (found by tests/hostile/test_decoder_fuzz.py).
    assert [_count(v) for v in (float("nan"), float("inf"), -1.0, 0.0, 8.5, 257.0)] == [None] * 6
    assert _count(8.0) == "8"
