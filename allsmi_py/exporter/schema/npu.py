"""The NPU vendors' own families: Tenstorrent, Rebellions, Furiosa, Gaudi and TPU.

A family is for one vendor's devices (`VendorDetails.matches`); numbers and texts that only
that vendor reports come from its declared detail keys (`allsmi_py.details.<vendor>`).
"""

from __future__ import annotations

from collections.abc import Sequence

from allsmi_py.details import FIRMWARE_VERSION, NPU_FIRMWARE_KEYS, tpu
from allsmi_py.details import furiosa as fur
from allsmi_py.details import gaudi as hl
from allsmi_py.details import rebellions as rbln
from allsmi_py.details import tenstorrent as tt
from allsmi_py.exporter.schema.spec import (
    ExtraLabels,
    MetricSpec,
    Value,
    detail_info,
    detail_number,
    detail_state,
    gauge,
    info,
)
from allsmi_py.model import DeviceReading

TT, RBLN, FUR, GAUDI, TPU = tt.TENSTORRENT, rbln.REBELLIONS, fur.FURIOSA, hl.GAUDI, tpu.TPU


def _tt_board(d: DeviceReading) -> ExtraLabels:
    board = tt.BOARD_TYPE.text(d.details) if TT.matches(d) else None
    if not board:
        return None
    # all-smi writes "unknown" for an architecture it cannot tell; the same for a board id
    return (("board_type", board), ("board_id", tt.BOARD_ID.text(d.details) or "unknown"),
            ("architecture", tt.ARCHITECTURE.text(d.details) or "unknown"))


def _rbln_device(d: DeviceReading) -> ExtraLabels:
    sid = rbln.SERIAL_ID.text(d.details) if RBLN.matches(d) else None
    if not sid:
        return None
    # rbln-smi's `name` is the product code (RBLN-CA22): it is the model
    return (("model", d.name), ("sid", sid), ("location", d.details.get(rbln.LOCATION.key, "")))


def _rbln_kmd(devices: Sequence[DeviceReading]) -> ExtraLabels:
    version = next((text for d in devices
                    if RBLN.matches(d) and (text := rbln.KMD_VERSION.text(d.details))), None)
    return None if version is None else (("version", version),)


def _gaudi_device(d: DeviceReading) -> ExtraLabels:
    return () if GAUDI.matches(d) else None


def _gaudi_power_pct(d: DeviceReading) -> Value:
    if not GAUDI.matches(d) or d.power_w is None or not d.power_limit_max_w:
        return None
    return 100.0 * d.power_w / d.power_limit_max_w


N = "npu"
TENSTORRENT: tuple[MetricSpec, ...] = (
    detail_info("all_smi_tenstorrent_arc_firmware_info", "ARC firmware version", "version",
                (tt.ARC_FW_VERSION,), TT),
    detail_info("all_smi_tenstorrent_eth_firmware_info", "Ethernet firmware version",
                "version", (tt.ETH_FW_VERSION,), TT),
    detail_info("all_smi_tenstorrent_firmware_date_info", "Firmware build date", "date",
                (tt.FW_DATE,), TT),
    detail_info("all_smi_tenstorrent_ddr_firmware_info", "DDR firmware version", "version",
                (tt.DDR_FW_VERSION,), TT),
    gauge("all_smi_tenstorrent_asic_temperature_celsius", "ASIC temperature in celsius", N,
          "temperature_c", when=TT.matches),
    gauge("all_smi_tenstorrent_aiclk_mhz", "AI clock in MHz", N, "clock_graphics_mhz",
          when=TT.matches),
    detail_number("all_smi_tenstorrent_axiclk_mhz", "AXI clock in MHz", tt.AXICLK_MHZ, TT),
    detail_number("all_smi_tenstorrent_arcclk_mhz", "ARC clock in MHz", tt.ARCCLK_MHZ, TT),
    detail_number("all_smi_tenstorrent_voltage_volts", "Core voltage in volts", tt.VOLTAGE, TT),
    detail_number("all_smi_tenstorrent_current_amperes", "Core current in amperes", tt.CURRENT,
                  TT),
    detail_number("all_smi_tenstorrent_tdp_limit_watts", "TDP limit in watts", tt.TDP_LIMIT,
                  TT),
    detail_number("all_smi_tenstorrent_tdc_limit_amperes", "TDC limit in amperes",
                  tt.TDC_LIMIT, TT),
    detail_number("all_smi_tenstorrent_thermal_limit_celsius", "Thermal limit in celsius",
                  tt.THERMAL_LIMIT, TT),
    # all-smi types it a counter, but counters end in _total here; a gauge reads the same
    detail_number("all_smi_tenstorrent_heartbeat", "ARC firmware heartbeat", tt.HEARTBEAT, TT),
    detail_number("all_smi_tenstorrent_ddr_status", "DDR status register", tt.DDR_STATUS, TT),
    gauge("all_smi_tenstorrent_fan_speed_percent", "Fan speed percentage", N, "fan_pct",
          when=TT.matches),
    gauge("all_smi_tenstorrent_fan_rpm", "Fan speed in RPM", N, "fan_rpm", when=TT.matches),
    info("all_smi_tenstorrent_board_info", "Tenstorrent board", N,
         ("board_type", "board_id", "architecture"), _tt_board),
    detail_info("all_smi_tenstorrent_collection_method_info", "How the values were read",
                "method", (tt.COLLECTION_METHOD,), TT),
    detail_info("all_smi_tenstorrent_pcie_address_info", "PCIe address", "address",
                (tt.PCIE_ADDRESS,), TT),
    gauge("all_smi_tenstorrent_pcie_generation", "PCIe generation", N, "pcie_gen_current",
          when=TT.matches),
    gauge("all_smi_tenstorrent_pcie_width", "PCIe link width", N, "pcie_width_current",
          when=TT.matches),
    detail_info("all_smi_tenstorrent_dram_info", "DRAM speed", "speed", (tt.DRAM_SPEED,), TT),
)

REBELLIONS: tuple[MetricSpec, ...] = (
    detail_info("all_smi_rebellions_firmware_info", "Rebellions firmware version", "firmware",
                (FIRMWARE_VERSION,), RBLN),
    MetricSpec("all_smi_rebellions_kmd_info", "Rebellions kernel driver version", "gauge",
               "instance", lambda devices: 1, extra_labels=("version",), extra=_rbln_kmd),
    info("all_smi_rebellions_device_info", "Rebellions device", N, ("model", "sid", "location"),
         _rbln_device),
    detail_info("all_smi_rebellions_pstate_info", "Rebellions performance state", "pstate",
                (rbln.PSTATE,), RBLN),
    detail_state("all_smi_rebellions_status", "1 when the device status is normal",
                 rbln.STATUS, rbln.HEALTHY_STATUS, RBLN),
)

FURIOSA: tuple[MetricSpec, ...] = (
    detail_info("all_smi_furiosa_device_info", "Furiosa device name", "device_name",
                (fur.DEVICE_NAME,), FUR),
    detail_info("all_smi_furiosa_chip_info", "Furiosa chip", "chip", (fur.ARCHITECTURE,), FUR),
    detail_info("all_smi_furiosa_driver_info", "Furiosa driver version", "version",
                (fur.DRIVER_VERSION,), FUR),
    detail_info("all_smi_furiosa_firmware_info", "Furiosa firmware version", "version",
                (FIRMWARE_VERSION,), FUR),
    gauge("all_smi_furiosa_utilization_percent", "NPU utilization percentage", N,
          "utilization_pct", when=FUR.matches),
    gauge("all_smi_furiosa_memory_used_bytes", "NPU memory used in bytes", N,
          "memory_used_bytes", when=FUR.matches),
    gauge("all_smi_furiosa_memory_total_bytes", "NPU memory total in bytes", N,
          "memory_total_bytes", when=FUR.matches),
    gauge("all_smi_furiosa_clock_mhz", "NPU clock in MHz", N, "clock_graphics_mhz",
          when=FUR.matches),
    gauge("all_smi_furiosa_memory_clock_mhz", "NPU memory clock in MHz", N, "clock_memory_mhz",
          when=FUR.matches),
    # furiosa-smi's health word is its `Liveness` column, "alive" when the device answers
    detail_state("all_smi_furiosa_status", "1 when the device is alive", fur.LIVENESS,
                 fur.HEALTHY_LIVENESS, FUR),
)

GAUDI_FAMILIES: tuple[MetricSpec, ...] = (
    MetricSpec("all_smi_gaudi_device_info", "Intel Gaudi device", "gauge", N, lambda d: 1,
               extra=_gaudi_device),
    detail_info("all_smi_gaudi_internal_name_info", "Gaudi internal name", "internal_name",
                (hl.INTERNAL_NAME,), GAUDI),
    detail_info("all_smi_gaudi_driver_info", "Gaudi driver version", "version",
                (hl.DRIVER_VERSION,), GAUDI),
    gauge("all_smi_gaudi_aip_utilization_percent", "AIP utilization percentage", N,
          "utilization_pct", when=GAUDI.matches),
    gauge("all_smi_gaudi_memory_used_bytes", "Memory used in bytes", N, "memory_used_bytes",
          when=GAUDI.matches),
    gauge("all_smi_gaudi_memory_total_bytes", "Memory total in bytes", N, "memory_total_bytes",
          when=GAUDI.matches),
    MetricSpec("all_smi_gaudi_memory_utilization_percent", "Memory used percentage", "gauge", N,
               lambda d: d.memory_used_pct if GAUDI.matches(d) else None),
    gauge("all_smi_gaudi_power_draw_watts", "Power draw in watts", N, "power_w",
          when=GAUDI.matches),
    gauge("all_smi_gaudi_power_max_watts", "Maximum power in watts", N, "power_limit_max_w",
          when=GAUDI.matches),
    MetricSpec("all_smi_gaudi_power_utilization_percent", "Power draw as percent of maximum",
               "gauge", N, _gaudi_power_pct),
    gauge("all_smi_gaudi_temperature_celsius", "Temperature in celsius", N, "temperature_c",
          when=GAUDI.matches),
)

TPU_FAMILIES: tuple[MetricSpec, ...] = (
    gauge("all_smi_tpu_utilization_percent", "TPU duty cycle percentage", N, "utilization_pct",
          when=TPU.matches),
    gauge("all_smi_tpu_memory_used_bytes", "TPU memory used in bytes", N, "memory_used_bytes",
          when=TPU.matches),
    gauge("all_smi_tpu_memory_total_bytes", "TPU memory total in bytes", N,
          "memory_total_bytes", when=TPU.matches),
    MetricSpec("all_smi_tpu_memory_utilization_percent", "TPU memory used percentage", "gauge",
               N, lambda d: d.memory_used_pct if TPU.matches(d) else None),
    detail_info("all_smi_tpu_chip_version_info", "TPU chip version", "version",
                (tpu.CHIP_VERSION,), TPU),
    detail_info("all_smi_tpu_accelerator_type_info", "TPU accelerator type", "type",
                (tpu.ACCELERATOR_TYPE,), TPU),
    detail_number("all_smi_tpu_core_count", "Number of TPU cores (devices) of the chip",
                  tpu.DEVICES_PER_CHIP, TPU),
    detail_number("all_smi_tpu_tensorcore_count", "Number of TensorCores of the chip",
                  tpu.TENSORCORE_COUNT, TPU),
    detail_info("all_smi_tpu_memory_type_info", "TPU memory type", "type", (tpu.MEMORY_TYPE,),
                TPU),
    gauge("all_smi_tpu_power_max_watts", "TPU maximum power in watts", N, "power_limit_max_w",
          when=TPU.matches),
    detail_number("all_smi_tpu_hlo_queue_size", "Number of pending HLO programs in the queue",
                  tpu.HLO_QUEUE_SIZE, TPU),
    detail_number("all_smi_tpu_hlo_exec_mean_microseconds",
                  "HLO execution timing mean in microseconds", tpu.HLO_EXEC_MEAN, TPU),
    detail_number("all_smi_tpu_hlo_exec_p50_microseconds",
                  "HLO execution timing 50th percentile in microseconds", tpu.HLO_EXEC_P50, TPU),
    detail_number("all_smi_tpu_hlo_exec_p90_microseconds",
                  "HLO execution timing 90th percentile in microseconds", tpu.HLO_EXEC_P90, TPU),
    detail_number("all_smi_tpu_hlo_exec_p95_microseconds",
                  "HLO execution timing 95th percentile in microseconds", tpu.HLO_EXEC_P95, TPU),
    detail_number("all_smi_tpu_hlo_exec_p999_microseconds",
                  "HLO execution timing 99.9th percentile in microseconds", tpu.HLO_EXEC_P999,
                  TPU),
)

# all-smi's order: the common firmware family first, then vendor by vendor
NPU: tuple[MetricSpec, ...] = (
    detail_info("all_smi_npu_firmware_info", "NPU firmware version", "firmware",
                NPU_FIRMWARE_KEYS, None),
    *TENSTORRENT, *REBELLIONS, *FURIOSA, *GAUDI_FAMILIES, *TPU_FAMILIES,
)
