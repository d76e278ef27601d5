"""THE table of exported metrics: all-smi's names, help, type, labels, and how to read each.

The renderer and the prometheus-client collector write from it; the remote parser inverts
it (`BY_NAME[name].field` and `.scale` say which model field a sample sets back:
`field = value / scale`; `age` marks a value that is `taken_at_s - field`). Names and
labels follow all-smi's code as recorded in `../shared/reference/allsmi-inventory.md`
section 3. A getter returning None leaves the sample out: absent means "not reported".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from allsmi_py.exporter.scopes import SCOPES, NodeItem, ProcessItem, Scope, sanitize_label_name
from allsmi_py.model import CpuReading, DeviceReading

Value = float | int | None
ExtraLabels = Sequence[tuple[str, str]] | None

# Labels of all_smi_gpu_info that are not detail keys; a parser maps the rest back to details.
GPU_INFO_LABELS = ("type", "backend", "vendor", "kind")


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric family: all-smi name, help, type, scope, labels and how to read the value."""

    name: str
    help: str
    type: str  # "gauge" or "counter" (counter names end in _total)
    scope: str  # key of scopes.SCOPES: node, device, npu, mig_device, mig, process, cpu ...
    value: Callable[[Any], Value]
    field: str | None = None  # model attribute on the scope's object the value comes from
    scale: float = 1.0  # sample = field * scale
    age: bool = False  # sample = taken_at_s - field (seconds since)
    extra_labels: tuple[str, ...] = ()  # label names added after the scope's base labels
    extra: Callable[[Any], ExtraLabels] | None = None  # (name, value) pairs, or None: no sample
    dynamic_labels: bool = False  # more labels than extra_labels (gpu_info's detail keys)

    @property
    def labels(self) -> tuple[str, ...]:
        """Every fixed label name, base labels first."""
        return SCOPES[self.scope].labels + self.extra_labels

    @property
    def scope_def(self) -> Scope:
        """The Scope this family's samples belong to."""
        return SCOPES[self.scope]


def _attr(name: str, scale: float = 1.0) -> Callable[[Any], Value]:
    if scale == 1.0:
        return lambda obj: getattr(obj, name)

    def scaled(obj: Any) -> Value:
        v = getattr(obj, name)
        return None if v is None else v * scale
    return scaled


def _g(name: str, help: str, scope: str, field: str, scale: float = 1.0,
       when: Callable[[Any], bool] | None = None) -> MetricSpec:
    """A gauge read straight from a model field (optionally scaled, optionally filtered)."""
    getter = _attr(field, scale)
    if when is not None:
        base, cond = getter, when
        getter = lambda obj: base(obj) if cond(obj) else None  # noqa: E731
    return MetricSpec(name, help, "gauge", scope, getter, field=field, scale=scale)


def _info(name: str, help: str, scope: str, labels: tuple[str, ...],
          extra: Callable[[Any], ExtraLabels]) -> MetricSpec:
    """A gauge of value 1 whose information is in its labels."""
    return MetricSpec(name, help, "gauge", scope, lambda obj: 1, extra_labels=labels, extra=extra)


def _detail_info(name: str, help: str, label: str, keys: tuple[str, ...],
                 when: Callable[[DeviceReading], bool]) -> MetricSpec:
    """An NPU info family whose one label is the first present of detail `keys`."""
    def extra(d: DeviceReading) -> ExtraLabels:
        if not when(d):
            return None
        found = next((d.details[k] for k in keys if d.details.get(k)), None)
        return None if found is None else ((label, found),)
    return _info(name, help, "npu", (label,), extra)


def _detail_number(name: str, help: str, key: str, when: Callable[[DeviceReading], bool],
                   scope: str = "npu", parse: Callable[[str], Value] = float) -> MetricSpec:
    """A gauge read from the number a backend keeps as text in detail `key`."""
    def read(d: DeviceReading) -> Value:
        text = d.details.get(key) if when(d) else None
        if not text:
            return None
        try:
            return parse(text)
        except ValueError:
            return None
    return MetricSpec(name, help, "gauge", scope, read)


def _detail_state(name: str, help: str, key: str, healthy: str,
                  when: Callable[[DeviceReading], bool]) -> MetricSpec:
    """1 when detail `key` says `healthy`, else 0; the state itself is the `status` label."""
    def extra(d: DeviceReading) -> ExtraLabels:
        state = d.details.get(key) if when(d) else None
        return (("status", state),) if state else None

    def value(d: DeviceReading) -> Value:
        return int(d.details.get(key, "").lower() == healthy)
    return MetricSpec(name, help, "gauge", "npu", value, extra_labels=("status",), extra=extra)


def _vendor(*words: str) -> Callable[[DeviceReading], bool]:
    """all-smi picks an NPU's vendor family by words in its name; we also look at `vendor`."""
    lowered = tuple(w.lower() for w in words)

    def match(d: DeviceReading) -> bool:
        text = f"{d.name} {d.vendor}".lower()
        return any(w in text for w in lowered)
    return match


is_tenstorrent = _vendor("Tenstorrent")
is_rebellions = _vendor("Rebellions")
is_furiosa = _vendor("Furiosa", "RNGD", "Warboy")
is_gaudi = _vendor("Gaudi", "HL-")
is_tpu = _vendor("TPU", "Google")
is_apple = _vendor("Apple", "Metal")


def device_type(d: DeviceReading) -> str:
    """all-smi's device `type` label: GPU, NPU or TPU."""
    if d.kind == "npu":
        return "TPU" if is_tpu(d) else "NPU"
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


def _non_negative(name: str) -> Callable[[Any], Value]:
    def read(obj: Any) -> Value:
        v = getattr(obj, name)
        return None if v is None or v < 0 else v
    return read


def _mig_mode(d: DeviceReading) -> Value:
    return None if d.mig_mode is None else int(d.mig_mode)


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


def _gaudi_device(d: DeviceReading) -> ExtraLabels:
    return () if is_gaudi(d) else None


def _gaudi_power_pct(d: DeviceReading) -> Value:
    if not is_gaudi(d) or d.power_w is None or not d.power_limit_max_w:
        return None
    return 100.0 * d.power_w / d.power_limit_max_w


def _tt_board(d: DeviceReading) -> ExtraLabels:
    board = d.details.get("board_type") if is_tenstorrent(d) else None
    if not board:
        return None
    # all-smi writes "unknown" for an architecture it cannot tell; the same for a board id
    return (("board_type", board), ("board_id", d.details.get("board_id") or "unknown"),
            ("architecture", d.details.get("architecture") or "unknown"))


def _rbln_device(d: DeviceReading) -> ExtraLabels:
    sid = d.details.get("serial_id") if is_rebellions(d) else None
    if not sid:
        return None
    # rbln-smi's `name` is the product code (RBLN-CA22): it is the model
    return (("model", d.name), ("sid", sid), ("location", d.details.get("location", "")))


def _rbln_kmd(devices: Sequence[DeviceReading]) -> ExtraLabels:
    version = next((d.details["kmd_version"] for d in devices
                    if is_rebellions(d) and d.details.get("kmd_version")), None)
    return None if version is None else (("version", version),)


D = "device"
_DEVICE: tuple[MetricSpec, ...] = (
    _g("all_smi_gpu_utilization", "GPU utilization percentage", D, "utilization_pct"),
    _g("all_smi_gpu_memory_used_bytes", "GPU memory used in bytes", D, "memory_used_bytes"),
    _g("all_smi_gpu_memory_total_bytes", "GPU memory total in bytes", D, "memory_total_bytes"),
    _g("all_smi_gpu_temperature_celsius", "GPU temperature in celsius", D, "temperature_c"),
    _g("all_smi_gpu_power_consumption_watts", "GPU power consumption in watts", D, "power_w"),
    _g("all_smi_gpu_frequency_mhz", "GPU frequency in MHz", D, "clock_graphics_mhz"),
    # all-smi's name says utilization but the value is the ANE's power in mW
    _g("all_smi_ane_utilization", "ANE power in milliwatts (all-smi's name)", D, "ane_power_w",
       scale=1000.0),
    _g("all_smi_dla_utilization", "DLA utilization percentage", D, "dla_utilization_pct"),
    _g("all_smi_ane_power_watts", "ANE power in watts", D, "ane_power_w"),
    MetricSpec("all_smi_thermal_pressure_info", "Thermal pressure level", "gauge", D,
               lambda d: 1, extra_labels=("level",), extra=_thermal_pressure),
    _detail_number("all_smi_combined_power_watts", "CPU + GPU + ANE power in watts",
                   "combined_power_w", is_apple, scope=D),
    MetricSpec("all_smi_gpu_info", "GPU device information", "gauge", D, lambda d: 1,
               extra_labels=GPU_INFO_LABELS, extra=_gpu_info_labels, dynamic_labels=True),
    _g("all_smi_gpu_pcie_gen_current", "Current PCIe generation", D, "pcie_gen_current"),
    _g("all_smi_gpu_pcie_width_current", "Current PCIe link width", D, "pcie_width_current"),
    _g("all_smi_gpu_clock_graphics_max_mhz", "Maximum graphics clock in MHz", D,
       "clock_graphics_max_mhz"),
    _g("all_smi_gpu_clock_memory_max_mhz", "Maximum memory clock in MHz", D,
       "clock_memory_max_mhz"),
    _g("all_smi_gpu_power_limit_current_watts", "Current power limit in watts", D,
       "power_limit_w"),
    _g("all_smi_gpu_power_limit_max_watts", "Maximum power limit in watts", D,
       "power_limit_max_w"),
    _g("all_smi_gpu_performance_state", "GPU performance state (0 = P0, fastest)", D,
       "performance_state"),
    _g("all_smi_gpu_fan_speed_rpm", "GPU fan speed in RPM", D, "fan_rpm"),
    _g("all_smi_gpu_temperature_threshold_slowdown_celsius", "Slowdown temperature threshold",
       D, "temperature_slowdown_c"),
    _g("all_smi_gpu_temperature_threshold_shutdown_celsius", "Shutdown temperature threshold",
       D, "temperature_shutdown_c"),
    _g("all_smi_gpu_temperature_threshold_max_operating_celsius",
       "Maximum operating temperature", D, "temperature_max_operating_c"),
    _g("all_smi_gpu_temperature_threshold_acoustic_celsius", "Acoustic temperature threshold",
       D, "temperature_acoustic_c"),
    MetricSpec("all_smi_gpu_numa_node_id", "NUMA node of the GPU", "gauge", D,
               _non_negative("numa_node"), field="numa_node"),
)

_MIG: tuple[MetricSpec, ...] = (
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

N = "npu"
_NPU: tuple[MetricSpec, ...] = (
    _detail_info("all_smi_npu_firmware_info", "NPU firmware version", "firmware",
                 ("firmware", "firmware_version", "fw_bundle_version"), lambda d: True),
    _detail_info("all_smi_tenstorrent_arc_firmware_info", "ARC firmware version", "version",
                 ("arc_fw_version",), is_tenstorrent),
    _detail_info("all_smi_tenstorrent_eth_firmware_info", "Ethernet firmware version", "version",
                 ("eth_fw_version",), is_tenstorrent),
    _detail_info("all_smi_tenstorrent_firmware_date_info", "Firmware build date", "date",
                 ("fw_date",), is_tenstorrent),
    _detail_info("all_smi_tenstorrent_ddr_firmware_info", "DDR firmware version", "version",
                 ("ddr_fw_version",), is_tenstorrent),
    _g("all_smi_tenstorrent_asic_temperature_celsius", "ASIC temperature in celsius", N,
       "temperature_c", when=is_tenstorrent),
    _g("all_smi_tenstorrent_aiclk_mhz", "AI clock in MHz", N, "clock_graphics_mhz",
       when=is_tenstorrent),
    _detail_number("all_smi_tenstorrent_axiclk_mhz", "AXI clock in MHz", "axiclk_mhz",
                   is_tenstorrent),
    _detail_number("all_smi_tenstorrent_arcclk_mhz", "ARC clock in MHz", "arcclk_mhz",
                   is_tenstorrent),
    _detail_number("all_smi_tenstorrent_voltage_volts", "Core voltage in volts", "voltage",
                   is_tenstorrent),
    _detail_number("all_smi_tenstorrent_current_amperes", "Core current in amperes", "current",
                   is_tenstorrent),
    _detail_number("all_smi_tenstorrent_tdp_limit_watts", "TDP limit in watts", "tdp_limit",
                   is_tenstorrent),
    _detail_number("all_smi_tenstorrent_tdc_limit_amperes", "TDC limit in amperes", "tdc_limit",
                   is_tenstorrent),
    _detail_number("all_smi_tenstorrent_thermal_limit_celsius", "Thermal limit in celsius",
                   "thermal_limit", is_tenstorrent),
    # all-smi types it a counter, but counters end in _total here; a gauge reads the same
    _detail_number("all_smi_tenstorrent_heartbeat", "ARC firmware heartbeat", "heartbeat",
                   is_tenstorrent),
    _detail_number("all_smi_tenstorrent_ddr_status", "DDR status register", "ddr_status",
                   is_tenstorrent, parse=lambda text: int(text, 16)),
    _g("all_smi_tenstorrent_fan_speed_percent", "Fan speed percentage", N, "fan_pct",
       when=is_tenstorrent),
    _g("all_smi_tenstorrent_fan_rpm", "Fan speed in RPM", N, "fan_rpm", when=is_tenstorrent),
    _info("all_smi_tenstorrent_board_info", "Tenstorrent board", N,
          ("board_type", "board_id", "architecture"), _tt_board),
    _detail_info("all_smi_tenstorrent_collection_method_info", "How the values were read",
                 "method", ("collection_method",), is_tenstorrent),
    _detail_info("all_smi_tenstorrent_pcie_address_info", "PCIe address", "address",
                 ("pcie_address",), is_tenstorrent),
    _g("all_smi_tenstorrent_pcie_generation", "PCIe generation", N, "pcie_gen_current",
       when=is_tenstorrent),
    _g("all_smi_tenstorrent_pcie_width", "PCIe link width", N, "pcie_width_current",
       when=is_tenstorrent),
    _detail_info("all_smi_tenstorrent_dram_info", "DRAM speed", "speed", ("dram_speed",),
                 is_tenstorrent),
    _detail_info("all_smi_rebellions_firmware_info", "Rebellions firmware version", "firmware",
                 ("firmware_version",), is_rebellions),
    MetricSpec("all_smi_rebellions_kmd_info", "Rebellions kernel driver version", "gauge",
               "instance", lambda devices: 1, extra_labels=("version",), extra=_rbln_kmd),
    _info("all_smi_rebellions_device_info", "Rebellions device", N, ("model", "sid", "location"),
          _rbln_device),
    _detail_info("all_smi_rebellions_pstate_info", "Rebellions performance state", "pstate",
                 ("pstate",), is_rebellions),
    _detail_state("all_smi_rebellions_status", "1 when the device status is normal", "status",
                  "normal", is_rebellions),
    _detail_info("all_smi_furiosa_device_info", "Furiosa device name", "device_name",
                 ("device_name",), is_furiosa),
    _detail_info("all_smi_furiosa_chip_info", "Furiosa chip", "chip", ("architecture",),
                 is_furiosa),
    _detail_info("all_smi_furiosa_driver_info", "Furiosa driver version", "version",
                 ("driver_version",), is_furiosa),
    _detail_info("all_smi_furiosa_firmware_info", "Furiosa firmware version", "version",
                 ("firmware_version",), is_furiosa),
    _g("all_smi_furiosa_utilization_percent", "NPU utilization percentage", N,
       "utilization_pct", when=is_furiosa),
    _g("all_smi_furiosa_memory_used_bytes", "NPU memory used in bytes", N, "memory_used_bytes",
       when=is_furiosa),
    _g("all_smi_furiosa_memory_total_bytes", "NPU memory total in bytes", N,
       "memory_total_bytes", when=is_furiosa),
    _g("all_smi_furiosa_clock_mhz", "NPU clock in MHz", N, "clock_graphics_mhz",
       when=is_furiosa),
    _g("all_smi_furiosa_memory_clock_mhz", "NPU memory clock in MHz", N, "clock_memory_mhz",
       when=is_furiosa),
    # furiosa-smi's health word is its `Liveness` column, "alive" when the device answers
    _detail_state("all_smi_furiosa_status", "1 when the device is alive", "liveness", "alive",
                  is_furiosa),
    MetricSpec("all_smi_gaudi_device_info", "Intel Gaudi device", "gauge", N, lambda d: 1,
               extra=_gaudi_device),
    _detail_info("all_smi_gaudi_internal_name_info", "Gaudi internal name", "internal_name",
                 ("internal_name",), is_gaudi),
    _detail_info("all_smi_gaudi_driver_info", "Gaudi driver version", "version",
                 ("driver_version",), is_gaudi),
    _g("all_smi_gaudi_aip_utilization_percent", "AIP utilization percentage", N,
       "utilization_pct", when=is_gaudi),
    _g("all_smi_gaudi_memory_used_bytes", "Memory used in bytes", N, "memory_used_bytes",
       when=is_gaudi),
    _g("all_smi_gaudi_memory_total_bytes", "Memory total in bytes", N, "memory_total_bytes",
       when=is_gaudi),
    MetricSpec("all_smi_gaudi_memory_utilization_percent", "Memory used percentage", "gauge", N,
               lambda d: d.memory_used_pct if is_gaudi(d) else None),
    _g("all_smi_gaudi_power_draw_watts", "Power draw in watts", N, "power_w", when=is_gaudi),
    _g("all_smi_gaudi_power_max_watts", "Maximum power in watts", N, "power_limit_max_w",
       when=is_gaudi),
    MetricSpec("all_smi_gaudi_power_utilization_percent", "Power draw as percent of maximum",
               "gauge", N, _gaudi_power_pct),
    _g("all_smi_gaudi_temperature_celsius", "Temperature in celsius", N, "temperature_c",
       when=is_gaudi),
    _g("all_smi_tpu_utilization_percent", "TPU duty cycle percentage", N, "utilization_pct",
       when=is_tpu),
    _g("all_smi_tpu_memory_used_bytes", "TPU memory used in bytes", N, "memory_used_bytes",
       when=is_tpu),
    _g("all_smi_tpu_memory_total_bytes", "TPU memory total in bytes", N, "memory_total_bytes",
       when=is_tpu),
    MetricSpec("all_smi_tpu_memory_utilization_percent", "TPU memory used percentage", "gauge",
               N, lambda d: d.memory_used_pct if is_tpu(d) else None),
    _detail_info("all_smi_tpu_chip_version_info", "TPU chip version", "version",
                 ("chip_version",), is_tpu),
    _detail_info("all_smi_tpu_accelerator_type_info", "TPU accelerator type", "type",
                 ("accelerator_type",), is_tpu),
    _g("all_smi_tpu_power_max_watts", "TPU maximum power in watts", N, "power_limit_max_w",
       when=is_tpu),
)

P = "process"
_PROCESS: tuple[MetricSpec, ...] = (
    MetricSpec("all_smi_process_memory_used_bytes", "GPU memory used by the process in bytes",
               "gauge", P, lambda p: p.process.gpu_memory_bytes, field="gpu_memory_bytes"),
    MetricSpec("all_smi_process_start_time_seconds", "Seconds since the process started",
               "gauge", P, _process_age, field="started_at_s", age=True),
    MetricSpec("all_smi_process_cpu_percent", "CPU use of the process in percent", "gauge", P,
               lambda p: p.process.cpu_pct, field="cpu_pct"),
)

_HOST: tuple[MetricSpec, ...] = (
    _info("all_smi_cpu_info", "CPU information", "cpu", ("architecture", "platform_type"),
          _cpu_info),
    _g("all_smi_cpu_utilization", "CPU utilization percentage", "cpu", "utilization_pct"),
    _g("all_smi_cpu_socket_count", "Number of CPU sockets", "cpu", "socket_count"),
    _g("all_smi_cpu_core_count", "Number of physical CPU cores", "cpu", "core_count"),
    _g("all_smi_cpu_thread_count", "Number of logical CPUs", "cpu", "thread_count"),
    _g("all_smi_cpu_frequency_mhz", "CPU frequency in MHz", "cpu", "frequency_mhz"),
    _g("all_smi_cpu_temperature_celsius", "CPU temperature in celsius", "cpu", "temperature_c"),
    _g("all_smi_cpu_power_consumption_watts", "CPU power in watts", "cpu", "power_w"),
    MetricSpec("all_smi_cpu_core_utilization", "Per-core CPU utilization percentage", "gauge",
               "cpu_core", lambda c: c.utilization_pct, field="per_core_utilization_pct"),
    _g("all_smi_memory_total_bytes", "Total system memory in bytes", "memory", "total_bytes"),
    _g("all_smi_memory_used_bytes", "Used system memory in bytes", "memory", "used_bytes"),
    _g("all_smi_memory_available_bytes", "Available system memory in bytes", "memory",
       "available_bytes"),
    _g("all_smi_memory_free_bytes", "Free system memory in bytes", "memory", "free_bytes"),
    MetricSpec("all_smi_memory_utilization", "System memory in use, percent", "gauge", "memory",
               lambda m: m.used_pct),
    _g("all_smi_swap_total_bytes", "Total swap in bytes", "memory", "swap_total_bytes"),
    _g("all_smi_swap_used_bytes", "Used swap in bytes", "memory", "swap_used_bytes"),
    _g("all_smi_swap_free_bytes", "Free swap in bytes", "memory", "swap_free_bytes"),
    _g("all_smi_memory_buffers_bytes", "Buffer memory in bytes", "memory", "buffers_bytes"),
    _g("all_smi_memory_cached_bytes", "Cached memory in bytes", "memory", "cached_bytes"),
    _g("all_smi_disk_total_bytes", "Total disk space in bytes", "disk", "total_bytes"),
    _g("all_smi_disk_available_bytes", "Available disk space in bytes", "disk",
       "available_bytes"),
)

STATUS: tuple[MetricSpec, ...] = (
    MetricSpec("all_smi_up", "1 once the first collection has completed", "gauge", "node",
               lambda n: n.up),
    _info("all_smi_build_info", "Exporter build information", "node", ("version", "os", "arch"),
          _build_info),
)

ENERGY: tuple[MetricSpec, ...] = (
    MetricSpec("all_smi_energy_consumed_joules_total", "Energy consumed in joules", "counter",
               "energy", lambda d: d.energy_j, field="energy_j"),
)

# all-smi's family order: status, GPU, NPU, process, CPU, memory, disk, MIG, energy
SCHEMA: tuple[MetricSpec, ...] = (*STATUS, *_DEVICE, *_NPU, *_PROCESS, *_HOST, *_MIG, *ENERGY)
BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in SCHEMA}
PROCESS_SCOPES = frozenset({"process"})


def specs(include_processes: bool = False) -> tuple[MetricSpec, ...]:
    """The families to export; process families only when asked for (all-smi's --processes)."""
    if include_processes:
        return SCHEMA
    return tuple(s for s in SCHEMA if s.scope not in PROCESS_SCOPES)

