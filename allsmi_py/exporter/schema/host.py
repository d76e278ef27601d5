"""Families of the exporter itself, of processes, of the host (CPU, memory, disk) and energy."""

from __future__ import annotations

from allsmi_py.exporter.schema.spec import (
    ExtraLabels,
    MetricSpec,
    Value,
    gauge,
    info,
    whole_celsius,
)
from allsmi_py.exporter.scopes import NodeItem, ProcessItem
from allsmi_py.model import CpuReading, DeviceReading


def _process_age(item: ProcessItem) -> Value:
    started = item.process.started_at_s
    return None if started is None else max(0.0, item.taken_at_s - started)


def _platform_type(cpu: CpuReading) -> str:
    text = f"{cpu.model or ''} {cpu.architecture or ''}".lower()
    for word, kind in (("apple", "AppleSilicon"), ("intel", "Intel"), ("amd", "Amd")):
        if word in text:
            return kind
    if "arm" in text or "aarch64" in text:
        return "Arm"
    return f'Other("{cpu.model or "unknown"}")'


def _cpu_info(cpu: CpuReading) -> ExtraLabels:
    return (("architecture", cpu.architecture or "unknown"), ("platform_type", _platform_type(cpu)))


def _build_info(node: NodeItem) -> ExtraLabels:
    return (("version", node.version), ("os", node.os), ("arch", node.arch))


STATUS: tuple[MetricSpec, ...] = (
    MetricSpec("all_smi_up", "1 once the first collection has completed", "gauge", "node",
               lambda n: n.up),
    info("all_smi_build_info", "Exporter build information", "node", ("version", "os", "arch"),
         _build_info),
)

P = "process"
PROCESS: tuple[MetricSpec, ...] = (
    MetricSpec("all_smi_process_memory_used_bytes", "GPU memory used by the process in bytes",
               "gauge", P, lambda p: p.process.gpu_memory_bytes, field="gpu_memory_bytes"),
    MetricSpec("all_smi_process_start_time_seconds", "Seconds since the process started",
               "gauge", P, _process_age, field="started_at_s", age=True),
    MetricSpec("all_smi_process_cpu_percent", "CPU use of the process in percent", "gauge", P,
               lambda p: p.process.cpu_pct, field="cpu_pct"),
)

M = "memory"
HOST: tuple[MetricSpec, ...] = (
    info("all_smi_cpu_info", "CPU information", "cpu", ("architecture", "platform_type"),
         _cpu_info),
    gauge("all_smi_cpu_utilization", "CPU utilization percentage", "cpu", "utilization_pct"),
    gauge("all_smi_cpu_socket_count", "Number of CPU sockets", "cpu", "socket_count"),
    gauge("all_smi_cpu_core_count", "Number of physical CPU cores", "cpu", "core_count"),
    gauge("all_smi_cpu_thread_count", "Number of logical CPUs", "cpu", "thread_count"),
    # all-smi's meaning: the base clock (its base_frequency_mhz); the current one is ours
    gauge("all_smi_cpu_frequency_mhz", "CPU base frequency in MHz", "cpu", "frequency_base_mhz"),
    gauge("allsmi_cpu_frequency_current_mhz", "CPU current frequency in MHz, mean over CPUs",
          "cpu", "frequency_mhz"),
    whole_celsius("all_smi_cpu_temperature_celsius", "CPU temperature in celsius", "cpu",
                  "temperature_c"),
    gauge("all_smi_cpu_power_consumption_watts", "CPU power in watts", "cpu", "power_w"),
    gauge("all_smi_cpu_socket_utilization", "Per-socket CPU utilization percentage",
          "cpu_socket", "utilization_pct"),
    gauge("all_smi_cpu_socket_frequency_mhz", "Per-socket CPU frequency in MHz", "cpu_socket",
          "frequency_mhz"),
    whole_celsius("all_smi_cpu_socket_temperature_celsius",
                  "Per-socket CPU temperature in celsius", "cpu_socket", "temperature_c"),
    # all-smi has no per-socket power; ours, from the same RAPL package zones as the total
    gauge("allsmi_cpu_socket_power_watts", "Per-socket CPU package power in watts", "cpu_socket",
          "power_w"),
    MetricSpec("all_smi_cpu_core_utilization", "Per-core CPU utilization percentage", "gauge",
               "cpu_core", lambda c: c.utilization_pct, field="per_core_utilization_pct"),
    gauge("all_smi_memory_total_bytes", "Total system memory in bytes", M, "total_bytes"),
    gauge("all_smi_memory_used_bytes", "Used system memory in bytes", M, "used_bytes"),
    gauge("all_smi_memory_available_bytes", "Available system memory in bytes", M,
          "available_bytes"),
    gauge("all_smi_memory_free_bytes", "Free system memory in bytes", M, "free_bytes"),
    MetricSpec("all_smi_memory_utilization", "System memory in use, percent", "gauge", M,
               lambda m: m.used_pct),
    gauge("all_smi_swap_total_bytes", "Total swap in bytes", M, "swap_total_bytes"),
    gauge("all_smi_swap_used_bytes", "Used swap in bytes", M, "swap_used_bytes"),
    gauge("all_smi_swap_free_bytes", "Free swap in bytes", M, "swap_free_bytes"),
    gauge("all_smi_memory_buffers_bytes", "Buffer memory in bytes", M, "buffers_bytes"),
    gauge("all_smi_memory_cached_bytes", "Cached memory in bytes", M, "cached_bytes"),
    gauge("all_smi_disk_total_bytes", "Total disk space in bytes", "disk", "total_bytes"),
    gauge("all_smi_disk_available_bytes", "Available disk space in bytes", "disk",
          "available_bytes"),
)

def _joules_3(reading: DeviceReading | CpuReading) -> Value:
    joules = reading.energy_consumed_j
    return None if joules is None else round(joules, 3)  # all-smi writes energy as {:.3}


# all-smi's meaning: joules integrated since the exporter first ran on this node, kept across
# restarts (allsmi_py/energy/). The device's own counter is DEVICE_ENERGY_COUNTER, below.
ENERGY: tuple[MetricSpec, ...] = (
    MetricSpec("all_smi_energy_consumed_joules_total",
               "Energy consumed in joules since all-smi first ran on this node", "counter",
               "energy", _joules_3, field="energy_consumed_j"),
)

# Our own name (not in all-smi's list, which it must never collide with): the device's own
# energy counter as the driver keeps it (NVML since driver load, hwmon energy1_input ...).
DEVICE_ENERGY_COUNTER: tuple[MetricSpec, ...] = (
    MetricSpec("allsmi_device_energy_joules_total",
               "The device's own energy counter in joules (resets with the driver)", "counter",
               "device", lambda d: d.energy_j, field="energy_j"),
)
