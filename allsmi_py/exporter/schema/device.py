"""Families of every device (all-smi's GPU families, read for NPUs and SoCs too) and of MIG."""

from __future__ import annotations

from allsmi_py.details.apple import APPLE, COMBINED_POWER_W
from allsmi_py.details.nvidia import GSP_FIRMWARE_MODE, GSP_FIRMWARE_VERSION, GSP_MODE_CODES
from allsmi_py.details.tpu import TPU
from allsmi_py.exporter.schema.spec import (
    ExtraLabels,
    MetricSpec,
    Value,
    detail_number,
    gauge,
    info,
    whole_celsius,
)
from allsmi_py.exporter.scopes import NvLinkItem, sanitize_label_name
from allsmi_py.model import DeviceReading

# Labels of all_smi_gpu_info that are not detail keys; a parser maps the rest back to details.
GPU_INFO_LABELS = ("type", "backend", "vendor", "kind")


def device_type(d: DeviceReading) -> str:
    """all-smi's device `type` label: GPU, NPU or TPU."""
    if d.kind == "npu":
        return "TPU" if TPU.matches(d) else "NPU"
    return "GPU"


def _gpu_info_labels(d: DeviceReading) -> ExtraLabels:
    pairs = [("type", device_type(d)), ("backend", d.backend), ("vendor", d.vendor),
             ("kind", d.kind)]
    taken = {"gpu", "instance", "gpu_uuid", "gpu_index", *GPU_INFO_LABELS}
    for key, value in d.details.items():
        label = sanitize_label_name(key)
        if not label or label.startswith("__") or label in taken:
            continue
        taken.add(label)
        pairs.append((label, str(value)))
    return pairs


def _thermal_pressure(d: DeviceReading) -> ExtraLabels:
    return None if d.thermal_pressure is None else (("level", d.thermal_pressure),)


def _numa_node(d: DeviceReading) -> Value:
    return None if d.numa_node is None or d.numa_node < 0 else d.numa_node


def _gsp_mode(d: DeviceReading) -> Value:
    return GSP_MODE_CODES.get(GSP_FIRMWARE_MODE.text(d.details) or "")


def _gsp_version(d: DeviceReading) -> ExtraLabels:
    version = GSP_FIRMWARE_VERSION.text(d.details)
    return None if not version else (("version", version),)


def _nvlink_remote(item: NvLinkItem) -> ExtraLabels:
    link = item.link
    if not link.active:
        return None  # all-smi writes one row per active link
    pairs = [("remote_type", link.remote_type or "unknown")]
    if link.bandwidth_mb_s is not None:
        pairs.append(("bandwidth_mb_s", str(link.bandwidth_mb_s)))
    return pairs


def _mig_mode(d: DeviceReading) -> Value:
    return None if d.mig_mode is None else int(d.mig_mode)


D = "device"
DEVICE: tuple[MetricSpec, ...] = (
    gauge("all_smi_gpu_utilization", "GPU utilization percentage", D, "utilization_pct"),
    gauge("all_smi_gpu_memory_used_bytes", "GPU memory used in bytes", D, "memory_used_bytes"),
    gauge("all_smi_gpu_memory_total_bytes", "GPU memory total in bytes", D,
          "memory_total_bytes"),
    whole_celsius("all_smi_gpu_temperature_celsius", "GPU temperature in celsius", D,
                  "temperature_c"),
    gauge("all_smi_gpu_power_consumption_watts", "GPU power consumption in watts", D,
          "power_w"),
    gauge("all_smi_gpu_frequency_mhz", "GPU frequency in MHz", D, "clock_graphics_mhz"),
    # all-smi's name says utilization but the value is the ANE's power in mW
    gauge("all_smi_ane_utilization", "ANE power in milliwatts (all-smi's name)", D,
          "ane_power_w", scale=1000.0),
    gauge("all_smi_dla_utilization", "DLA utilization percentage", D, "dla_utilization_pct"),
    gauge("all_smi_ane_power_watts", "ANE power in watts", D, "ane_power_w"),
    MetricSpec("all_smi_thermal_pressure_info", "Thermal pressure level", "gauge", D,
               lambda d: 1, extra_labels=("level",), extra=_thermal_pressure),
    detail_number("all_smi_combined_power_watts", "CPU + GPU + ANE power in watts",
                  COMBINED_POWER_W, APPLE, scope=D),
    MetricSpec("all_smi_gpu_info", "GPU device information", "gauge", D, lambda d: 1,
               extra_labels=GPU_INFO_LABELS, extra=_gpu_info_labels, dynamic_labels=True),
    gauge("all_smi_gpu_pcie_gen_current", "Current PCIe generation", D, "pcie_gen_current"),
    gauge("all_smi_gpu_pcie_width_current", "Current PCIe link width", D,
          "pcie_width_current"),
    gauge("all_smi_gpu_clock_graphics_max_mhz", "Maximum graphics clock in MHz", D,
          "clock_graphics_max_mhz"),
    gauge("all_smi_gpu_clock_memory_max_mhz", "Maximum memory clock in MHz", D,
          "clock_memory_max_mhz"),
    gauge("all_smi_gpu_power_limit_current_watts", "Current power limit in watts", D,
          "power_limit_w"),
    gauge("all_smi_gpu_power_limit_max_watts", "Maximum power limit in watts", D,
          "power_limit_max_w"),
    gauge("all_smi_gpu_performance_state", "GPU performance state (0 = P0, fastest)", D,
          "performance_state"),
    gauge("all_smi_gpu_fan_speed_rpm", "GPU fan speed in RPM", D, "fan_rpm"),
    whole_celsius("all_smi_gpu_temperature_threshold_slowdown_celsius",
                  "Slowdown temperature threshold", D, "temperature_slowdown_c"),
    whole_celsius("all_smi_gpu_temperature_threshold_shutdown_celsius",
                  "Shutdown temperature threshold", D, "temperature_shutdown_c"),
    whole_celsius("all_smi_gpu_temperature_threshold_max_operating_celsius",
                  "Maximum operating temperature", D, "temperature_max_operating_c"),
    whole_celsius("all_smi_gpu_temperature_threshold_acoustic_celsius",
                  "Acoustic temperature threshold", D, "temperature_acoustic_c"),
    MetricSpec("all_smi_gpu_numa_node_id", "NUMA node of the GPU", "gauge", D, _numa_node,
               field="numa_node"),
    MetricSpec("all_smi_gpu_gsp_firmware_mode",
               "GSP firmware mode (0=disabled, 1=enabled, 2=default)", "gauge", D, _gsp_mode),
    info("all_smi_gpu_gsp_firmware_version_info", "GSP firmware version", D, ("version",),
         _gsp_version),
    MetricSpec("all_smi_nvlink_remote_device_type",
               "NvLink remote endpoint per active link (gpu, switch, ibmnpu, unknown)", "gauge",
               "nvlink", lambda item: 1, extra_labels=("remote_type", "bandwidth_mb_s"),
               extra=_nvlink_remote),
)

# Our own name: every link's state, so that a link that goes down shows as 0 instead of
# leaving all_smi_nvlink_remote_device_type without its row.
NVLINK_STATE: tuple[MetricSpec, ...] = (
    MetricSpec("allsmi_nvlink_active", "1 when the NvLink is up, 0 when it is down", "gauge",
               "nvlink", lambda item: int(item.link.active)),
    gauge("allsmi_nvlink_tx_bytes_per_second", "NvLink payload sent, all links, bytes/s", D,
          "nvlink_tx_bytes_per_s"),
    gauge("allsmi_nvlink_rx_bytes_per_second", "NvLink payload received, all links, bytes/s",
          D, "nvlink_rx_bytes_per_s"),
)

MIG: tuple[MetricSpec, ...] = (
    MetricSpec("all_smi_gpu_mig_mode", "MIG mode enabled (1) or disabled (0)", "gauge",
               "mig_device", _mig_mode, field="mig_mode"),
    MetricSpec("all_smi_mig_instance_utilization_gpu", "MIG instance GPU utilization percentage",
               "gauge", "mig", lambda m: m.mig.utilization_pct, field="utilization_pct"),
    MetricSpec("all_smi_mig_instance_utilization_memory",
               "MIG instance memory utilization percentage", "gauge", "mig",
               lambda m: m.mig.memory_utilization_pct, field="memory_utilization_pct"),
    MetricSpec("all_smi_mig_instance_memory_used_bytes", "MIG instance memory used in bytes",
               "gauge", "mig", lambda m: m.mig.memory_used_bytes, field="memory_used_bytes"),
    MetricSpec("all_smi_mig_instance_memory_total_bytes", "MIG instance memory total in bytes",
               "gauge", "mig", lambda m: m.mig.memory_total_bytes, field="memory_total_bytes"),
)
