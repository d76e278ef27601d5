"""Where each family all-smi really writes comes from here, per platform: the README's table.

`WRITTEN` names, for every family of the schema that is among all-smi's emitted ones, the
platforms we write it on and our data source; `NOT_WRITTEN` says, for each of all-smi's
emitted families we do not write, why. tests/allsmi_py/exporter/test_family_table.py holds
both against the schema and all-smi's list, and renders the README table from them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Source:
    """The platforms a family is written on, and what its value is read from."""

    platforms: str
    source: str


_EVERY_DEVICE = "every backend"
_HOST = "every node"
_NVML = "NVIDIA"
_HLO_PLATFORM = "TPU with the tpu extra, while a workload runs"
_LIBTPU = "gRPC to libtpu's runtime metrics service (localhost:8431)"

WRITTEN: dict[str, Source] = {
    "all_smi_up": Source(_HOST, "the collector: 1 once the first collection is done"),
    "all_smi_build_info": Source(_HOST, "allsmi_py version, platform.system/machine"),
    "all_smi_gpu_utilization": Source(_EVERY_DEVICE, "each backend's utilization_pct"),
    "all_smi_gpu_memory_used_bytes": Source(_EVERY_DEVICE, "each backend's memory_used_bytes"),
    "all_smi_gpu_memory_total_bytes": Source(_EVERY_DEVICE,
                                             "each backend's memory_total_bytes"),
    "all_smi_gpu_temperature_celsius": Source(_EVERY_DEVICE, "each backend's temperature_c"),
    "all_smi_gpu_power_consumption_watts": Source(_EVERY_DEVICE, "each backend's power_w"),
    "all_smi_gpu_frequency_mhz": Source(_EVERY_DEVICE, "each backend's clock_graphics_mhz"),
    "all_smi_ane_utilization": Source("Apple, mock", "powermetrics / IOReport ANE energy (mW)"),
    "all_smi_dla_utilization": Source("Jetson, mock", "tegrastats / NVDLA runtime_* sysfs"),
    "all_smi_ane_power_watts": Source("Apple, mock", "powermetrics / IOReport ANE energy"),
    "all_smi_thermal_pressure_info": Source("Apple, mock", "powermetrics thermal_pressure"),
    "all_smi_combined_power_watts": Source("Apple, mock", "powermetrics combined_power"),
    "all_smi_gpu_info": Source(_EVERY_DEVICE, "identity and every declared detail key"),
    "all_smi_gpu_clock_graphics_max_mhz": Source("NVIDIA, AMD, Intel, Jetson, mock",
                                                 "nvmlDeviceGetMaxClockInfo, sysfs"),
    "all_smi_gpu_clock_memory_max_mhz": Source("NVIDIA, AMD, mock",
                                               "nvmlDeviceGetMaxClockInfo, amd-smi"),
    "all_smi_gpu_power_limit_current_watts": Source(
        "NVIDIA, AMD, Intel, Tenstorrent, mock",
        "nvmlDeviceGetEnforcedPowerLimit, hwmon power1_cap"),
    "all_smi_gpu_power_limit_max_watts": Source(
        "NVIDIA, AMD, Gaudi, mock", "nvmlDeviceGetPowerManagementLimitConstraints, hl-smi"),
    "all_smi_gpu_performance_state": Source("NVIDIA, Rebellions, mock",
                                            "nvmlDeviceGetPerformanceState, rbln-stat"),
    "all_smi_gpu_fan_speed_rpm": Source("NVIDIA, AMD, Intel, Tenstorrent, mock",
                                        "nvmlDeviceGetFanSpeedRPM, hwmon fan1_input"),
    "all_smi_gpu_temperature_threshold_slowdown_celsius": Source(
        "NVIDIA, Tenstorrent, mock", "nvmlDeviceGetTemperatureThreshold(SLOWDOWN)"),
    "all_smi_gpu_temperature_threshold_shutdown_celsius": Source(
        "NVIDIA, mock", "nvmlDeviceGetTemperatureThreshold(SHUTDOWN)"),
    "all_smi_gpu_temperature_threshold_max_operating_celsius": Source(
        "NVIDIA, mock", "nvmlDeviceGetTemperatureThreshold(GPU_MAX)"),
    "all_smi_gpu_temperature_threshold_acoustic_celsius": Source(
        _NVML, "nvmlDeviceGetTemperatureThreshold(ACOUSTIC_CURR)"),
    "all_smi_gpu_numa_node_id": Source("NVIDIA, AMD, Furiosa, Rebellions, mock",
                                       "nvmlDeviceGetNumaNodeId, sysfs numa_node"),
    "all_smi_gpu_gsp_firmware_mode": Source(_NVML, "nvmlDeviceGetGspFirmwareMode"),
    "all_smi_gpu_gsp_firmware_version_info": Source(_NVML, "nvmlDeviceGetGspFirmwareVersion"),
    "all_smi_nvlink_remote_device_type": Source(
        _NVML, "nvmlDeviceGetNvLinkState, ...RemoteDeviceType, NVLINK_SPEED_MBPS_COMMON"),
    "all_smi_furiosa_firmware_info": Source("Furiosa", "furiosa-smi info firmware"),
    "all_smi_gaudi_device_info": Source("Gaudi", "hl-smi"),
    "all_smi_gaudi_internal_name_info": Source("Gaudi", "hl-smi"),
    "all_smi_gaudi_driver_info": Source("Gaudi", "hl-smi driver_version"),
    "all_smi_gaudi_aip_utilization_percent": Source("Gaudi", "hl-smi utilization.aip"),
    "all_smi_gaudi_memory_used_bytes": Source("Gaudi", "hl-smi memory.used"),
    "all_smi_gaudi_memory_total_bytes": Source("Gaudi", "hl-smi memory.total"),
    "all_smi_gaudi_memory_utilization_percent": Source("Gaudi", "hl-smi, used / total"),
    "all_smi_gaudi_power_draw_watts": Source("Gaudi", "hl-smi power.draw"),
    "all_smi_gaudi_power_max_watts": Source("Gaudi", "hl-smi power.max"),
    "all_smi_gaudi_power_utilization_percent": Source("Gaudi", "hl-smi, draw / max"),
    "all_smi_gaudi_temperature_celsius": Source("Gaudi", "hl-smi temperature.aip"),
    "all_smi_tpu_utilization_percent": Source("TPU, mock", "tpu-info / libtpu duty cycle"),
    "all_smi_tpu_memory_used_bytes": Source("TPU, mock", "tpu-info / libtpu HBM usage"),
    "all_smi_tpu_memory_total_bytes": Source("TPU, mock", "tpu-info / libtpu HBM total"),
    "all_smi_tpu_memory_utilization_percent": Source("TPU, mock", "used / total"),
    "all_smi_tpu_chip_version_info": Source("TPU, mock", "the chip's PCI device id"),
    "all_smi_tpu_accelerator_type_info": Source("TPU, mock", "TPU_ACCELERATOR_TYPE / metadata"),
    "all_smi_tpu_core_count": Source("TPU, mock", "tpu-info's Devices column per chip"),
    "all_smi_tpu_tensorcore_count": Source("TPU, mock",
                                           "the chip generation (backends/tpu/chips.py)"),
    "all_smi_tpu_memory_type_info": Source("TPU, mock",
                                           "the chip generation (backends/tpu/chips.py)"),
    "all_smi_tpu_power_max_watts": Source(
        "none today (in the schema for remote nodes)",
        "tpu-info shows no power to a TPU VM; all-smi's reader writes 0 (power_max: 0.0)"),
    "all_smi_tpu_hlo_queue_size": Source(
        _HLO_PLATFORM, f"{_LIBTPU}: hlo.queue.size.gauge per device_ordinal"),
    **{f"all_smi_tpu_hlo_exec_{point}_microseconds": Source(
        _HLO_PLATFORM, f"{_LIBTPU}: hlo.execution.timing.distribution.microseconds, "
        + ("its mean" if point == "mean" else "interpolated within its buckets"))
       for point in ("mean", "p50", "p90", "p95", "p999")},
    "all_smi_process_memory_used_bytes": Source(
        "NVIDIA, Intel, Furiosa, Rebellions, Tenstorrent, TPU, mock", "each backend's processes"),
    "all_smi_process_start_time_seconds": Source("every backend with processes",
                                                 "psutil create_time"),
    "all_smi_process_cpu_percent": Source("every backend with processes", "psutil cpu_percent"),
    "all_smi_cpu_info": Source(_HOST, "platform, /proc/cpuinfo"),
    "all_smi_cpu_utilization": Source(_HOST, "psutil cpu_times"),
    "all_smi_cpu_socket_count": Source(_HOST, "sysfs topology physical_package_id, "
                                       "/proc/cpuinfo physical id"),
    "all_smi_cpu_core_count": Source(_HOST, "psutil cpu_count(logical=False)"),
    "all_smi_cpu_thread_count": Source(_HOST, "psutil cpu_count()"),
    "all_smi_cpu_frequency_mhz": Source(_HOST, "psutil cpu_freq"),
    "all_smi_cpu_temperature_celsius": Source(
        "Linux (where sensed), allsmi-mock",
        "the hottest package (hwmon coretemp, k10temp, zenpower), psutil sensors_temperatures"),
    "all_smi_cpu_power_consumption_watts": Source(
        "Linux with RAPL or amd_energy (root on Linux 5.10+), allsmi-mock",
        "powercap intel-rapl:N energy_uj (Intel, AMD Zen), amd_energy Esocket; the mock"),
    "all_smi_cpu_socket_utilization": Source("Linux, per socket",
                                             "psutil per-CPU times by physical_package_id"),
    "all_smi_cpu_socket_frequency_mhz": Source("Linux, per socket",
                                               "cpufreq scaling_cur_freq, /proc/cpuinfo"),
    "all_smi_cpu_socket_temperature_celsius": Source(
        "Linux, per socket (where sensed)", "hwmon coretemp Package id N, k10temp, zenpower"),
    "all_smi_cpu_s_core_count": Source("Apple (S clusters: M5 Pro/Max), powermetrics",
                                       "powermetrics clusters[].cpus"),
    "all_smi_cpu_p_core_count": Source("Apple, powermetrics source",
                                       "powermetrics clusters[].cpus, summed over P clusters"),
    "all_smi_cpu_e_core_count": Source("Apple, powermetrics source",
                                       "powermetrics clusters[].cpus"),
    "all_smi_cpu_gpu_core_count": Source("mock (Apple profile)",
                                         "detail gpu_core_count; the Apple backend does not "
                                         "read it yet"),
    "all_smi_cpu_s_core_utilization": Source("Apple (S clusters: M5 Pro/Max)",
                                             "powermetrics / IOReport cluster residency"),
    "all_smi_cpu_p_core_utilization": Source("Apple", "powermetrics / IOReport cluster "
                                             "residency, mean over P clusters"),
    "all_smi_cpu_e_core_utilization": Source("Apple", "powermetrics / IOReport cluster "
                                             "residency"),
    "all_smi_cpu_s_cluster_frequency_mhz": Source("Apple (S clusters: M5 Pro/Max)",
                                                  "powermetrics freq_hz / IOReport states"),
    "all_smi_cpu_p_cluster_frequency_mhz": Source("Apple", "powermetrics freq_hz / IOReport "
                                                  "states, mean over P clusters"),
    "all_smi_cpu_e_cluster_frequency_mhz": Source("Apple", "powermetrics freq_hz / IOReport "
                                                  "states"),
    "all_smi_cpu_core_utilization": Source(_HOST, "psutil cpu_times(percpu=True)"),
    "all_smi_memory_total_bytes": Source(_HOST, "psutil virtual_memory"),
    "all_smi_memory_used_bytes": Source(_HOST, "psutil virtual_memory"),
    "all_smi_memory_available_bytes": Source(_HOST, "psutil virtual_memory"),
    "all_smi_memory_free_bytes": Source(_HOST, "psutil virtual_memory"),
    "all_smi_memory_utilization": Source(_HOST, "psutil virtual_memory"),
    "all_smi_swap_total_bytes": Source(_HOST, "psutil swap_memory"),
    "all_smi_swap_used_bytes": Source(_HOST, "psutil swap_memory"),
    "all_smi_swap_free_bytes": Source(_HOST, "psutil swap_memory"),
    "all_smi_memory_buffers_bytes": Source("Linux", "psutil virtual_memory buffers"),
    "all_smi_memory_cached_bytes": Source("Linux", "psutil virtual_memory cached"),
    "all_smi_disk_total_bytes": Source(_HOST, "psutil disk_usage"),
    "all_smi_disk_available_bytes": Source(_HOST, "psutil disk_usage"),
    "all_smi_container_runtime_info": Source(
        "Linux containers", "/.dockerenv, /run/.containerenv, KUBERNETES_SERVICE_HOST, "
        "/proc/1/cgroup; the id from /proc/self/cgroup"),
    "all_smi_kubernetes_pod_info": Source(
        "Kubernetes", "HOSTNAME, the service account's namespace file"),
    "all_smi_virtualization_info": Source(
        "Linux VMs", "DMI sys_vendor/product_name, else the cpuinfo hypervisor flag"),
    "all_smi_runtime_environment": Source("Linux containers and VMs",
                                          "the container runtime, else the VM type"),
    "all_smi_chassis_info": Source("Linux, macOS (platform only)",
                                   "/sys/class/dmi/id (product_name, sys_vendor, "
                                   "board_name, product_version, bios_version)"),
    "all_smi_chassis_power_watts": Source(
        "Linux, macOS", "the BMC (ipmitool sdr: Pwr Consumption, Power Meter, Sys Power ...), "
        "else the devices' power summed (all-smi's Linux figure); a Mac's combined power"),
    "all_smi_chassis_thermal_pressure_info": Source("Apple", "the SoC's thermal pressure"),
    "all_smi_chassis_cpu_power_watts": Source("Apple", "powermetrics / IOReport CPU energy"),
    "all_smi_chassis_gpu_power_watts": Source("Apple", "the SoC's GPU power"),
    "all_smi_chassis_ane_power_watts": Source("Apple", "the SoC's ANE power"),
    "all_smi_chassis_inlet_temperature_celsius": Source(
        "Linux", "the BMC's inlet/ambient sensor, else the coolest acpitz thermal zone"),
    "all_smi_chassis_outlet_temperature_celsius": Source(
        "Linux", "the BMC's exhaust/outlet sensor, else the hottest acpitz thermal zone"),
    "all_smi_chassis_fan_speed_rpm": Source(
        "Linux with a BMC", "ipmitool sdr's RPM sensors (all-smi: Mac SMC fans, which its "
        "macOS reader leaves empty)"),
    "all_smi_energy_consumed_joules_total": Source(
        "every device, CPU", "allsmi_py/energy: power integrated since the first run"),
}

NOT_WRITTEN: dict[str, str] = {
    "all_smi_tpu_runtime_version_info": "no source: tpu-info does not print libtpu's version, "
                                        "and all-smi's own reader leaves it empty "
                                        "(tpu_runtime_version: String::new())",
    "all_smi_cpu_ane_ops_per_second": "no source: neither powermetrics nor IOReport "
                                      "reports ANE operations (all-smi writes it only "
                                      "when its reader has a value)",
}
