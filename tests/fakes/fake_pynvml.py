"""A fake `pynvml` module: the real API's names and signatures over configurable GPUs.

It raises the real `pynvml.NVMLError_*` classes and re-exports the real constants, so code
under test cannot tell it from nvidia-ml-py except by the values. A value left as `None` on a
`FakeGpu` answers NotSupported, as a card without that sensor does. Every call is counted per
(function, device) in `FakeNvml.calls`.
"""

from __future__ import annotations

import sys
from collections import Counter
from types import ModuleType, SimpleNamespace
from typing import Any

import pynvml as real  # noqa: TID251 - the fake borrows the real error classes and constants

from tests.fakes.nvml_devices import FakeGpu, FakeHandle, FakeMig, FakeProcess

# the scenarios are imported from here by many tests
from tests.fakes.nvml_scenarios import MIB, h100, h100_mig, rtx_4080_super

__all__ = [
    "MIB", "FakeGpu", "FakeHandle", "FakeMig", "FakeNvml", "FakeProcess", "h100", "h100_mig",
    "rtx_4080_super",
]


class FakeNvml:
    """A configurable NVML; `module` is what replaces `sys.modules['pynvml']`."""

    def __init__(self, gpus: list[FakeGpu], driver: str = "590.48.01", cuda: int = 13010):
        self.gpus = gpus
        self.driver = driver
        self.cuda = cuda
        self.init_error: int | None = None
        self.calls: Counter[tuple[str, str]] = Counter()
        self.initialised = False
        self.module = self._build_module()

    # -- bookkeeping -------------------------------------------------------------------
    def _enter(self, fn: str, handle: FakeHandle | None = None) -> Any:
        self.calls[(fn, "system" if handle is None else handle.key)] += 1
        if not self.initialised:
            raise real.NVMLError_Uninitialized()
        if handle is None:
            return None
        gpu = self.gpus[handle.index]
        if gpu.lost:
            raise real.NVMLError_GpuIsLost()
        if fn in gpu.errors:
            raise real.NVMLError(gpu.errors[fn])
        if handle.mig is not None:
            return gpu.migs[handle.mig]
        return gpu

    def per_device(self, device: str) -> Counter[str]:
        """Calls made for one device key ('gpu0', 'gpu0/mig1', 'system'), by function."""
        return Counter({fn: n for (fn, key), n in self.calls.items() if key == device})

    # -- the module --------------------------------------------------------------------
    def _build_module(self) -> ModuleType:
        module = ModuleType("pynvml")
        for name in dir(real):
            if name.startswith(("NVML_", "NVMLError", "nvmlMemory_", "nvmlClocks")):
                setattr(module, name, getattr(real, name))
        for name in dir(self):
            if name.startswith("nvml"):
                setattr(module, name, getattr(self, name))
        return module

    def install(self, monkeypatch: Any) -> None:
        """Put this fake in place of pynvml for the test's duration."""
        monkeypatch.setitem(sys.modules, "pynvml", self.module)


def _need(value: Any) -> Any:
    if value is None:
        raise real.NVMLError_NotSupported()
    return value


def _proc(p: FakeProcess) -> SimpleNamespace:
    return SimpleNamespace(
        pid=p.pid,
        usedGpuMemory=p.used_bytes,
        gpuInstanceId=p.gpu_instance_id,
        computeInstanceId=p.compute_instance_id,
    )


def _install_functions() -> None:
    """Define the fake NVML functions as FakeNvml methods, with the real signatures."""

    def nvmlInit(self: FakeNvml) -> None:
        self.calls[("nvmlInit", "system")] += 1
        if self.init_error is not None:
            raise real.NVMLError(self.init_error)
        self.initialised = True

    def nvmlShutdown(self: FakeNvml) -> None:
        self._enter("nvmlShutdown")
        self.initialised = False

    def nvmlSystemGetDriverVersion(self: FakeNvml) -> str:
        self._enter("nvmlSystemGetDriverVersion")
        return self.driver

    def nvmlSystemGetCudaDriverVersion_v2(self: FakeNvml) -> int:
        self._enter("nvmlSystemGetCudaDriverVersion_v2")
        return self.cuda

    def nvmlDeviceGetCount(self: FakeNvml) -> int:
        self._enter("nvmlDeviceGetCount")
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self: FakeNvml, index: int) -> FakeHandle:
        self._enter("nvmlDeviceGetHandleByIndex")
        if not 0 <= index < len(self.gpus):
            raise real.NVMLError_InvalidArgument()
        if self.gpus[index].lost:
            raise real.NVMLError_GpuIsLost()
        return FakeHandle(index)

    def simple(fn: str, getter: Any) -> None:
        def call(self: FakeNvml, handle: FakeHandle) -> Any:
            return _need(getter(self._enter(fn, handle)))

        call.__name__ = fn
        setattr(FakeNvml, fn, call)

    simple("nvmlDeviceGetName", lambda g: g.name)
    simple("nvmlDeviceGetUUID", lambda g: g.uuid)
    simple("nvmlDeviceGetSerial", lambda g: g.serial)
    simple("nvmlDeviceGetVbiosVersion", lambda g: g.vbios)
    simple("nvmlDeviceGetArchitecture", lambda g: g.architecture)
    simple("nvmlDeviceGetCudaComputeCapability", lambda g: g.compute_capability)
    simple("nvmlDeviceGetPersistenceMode", lambda g: g.persistence)
    simple("nvmlDeviceGetComputeMode", lambda g: g.compute_mode)
    simple("nvmlDeviceGetPciInfo_v3", lambda g: SimpleNamespace(busId=g.bus_id))
    simple("nvmlDeviceGetPowerUsage", lambda g: g.power_usage_mw)
    simple("nvmlDeviceGetEnforcedPowerLimit", lambda g: g.power_limit_mw)
    simple("nvmlDeviceGetPowerManagementDefaultLimit", lambda g: g.power_default_mw)
    simple(
        "nvmlDeviceGetPowerManagementLimitConstraints",
        lambda g: None if g.power_constraints_mw is None else list(g.power_constraints_mw),
    )
    simple("nvmlDeviceGetTotalEnergyConsumption", lambda g: g.energy_mj)
    simple("nvmlDeviceGetNumFans", lambda g: g.num_fans)
    simple("nvmlDeviceGetFanSpeed", lambda g: g.fan_pct[0] if g.fan_pct else None)
    simple("nvmlDeviceGetFanSpeedRPM", lambda g: g.fan_rpm)
    simple("nvmlDeviceGetPerformanceState", lambda g: g.pstate)
    simple("nvmlDeviceGetCurrPcieLinkGeneration", lambda g: g.pcie_gen and g.pcie_gen[0])
    simple("nvmlDeviceGetMaxPcieLinkGeneration", lambda g: g.pcie_gen and g.pcie_gen[1])
    simple("nvmlDeviceGetCurrPcieLinkWidth", lambda g: g.pcie_width and g.pcie_width[0])
    simple("nvmlDeviceGetMaxPcieLinkWidth", lambda g: g.pcie_width and g.pcie_width[1])
    simple("nvmlDeviceGetEccMode", lambda g: None if g.ecc_mode is None else list(g.ecc_mode))
    simple("nvmlDeviceGetCurrentClocksEventReasons", lambda g: g.throttle_mask)
    simple("nvmlDeviceGetCurrentClocksThrottleReasons", lambda g: g.throttle_mask)
    simple(
        "nvmlDeviceGetEncoderUtilization",
        lambda g: g.encoder is not None and [g.encoder, 167000] or None,
    )
    simple(
        "nvmlDeviceGetDecoderUtilization",
        lambda g: g.decoder is not None and [g.decoder, 167000] or None,
    )
    simple("nvmlDeviceGetNumaNodeId", lambda g: g.numa)
    simple("nvmlDeviceGetGspFirmwareVersion",
           lambda g: None if g.gsp_version is None else g.gsp_version.encode())
    simple("nvmlDeviceGetGspFirmwareMode",
           lambda g: None if g.gsp_mode is None else list(g.gsp_mode))
    simple("nvmlDeviceGetMigMode", lambda g: None if g.mig_mode is None else list(g.mig_mode))
    simple("nvmlDeviceGetMaxMigDeviceCount", lambda g: g.mig_slots if g.mig_mode else None)
    simple("nvmlDeviceGetGpuInstanceId", lambda m: m.gpu_instance_id)
    simple("nvmlDeviceGetComputeInstanceId", lambda m: m.compute_instance_id)
    simple(
        "nvmlDeviceGetUtilizationRates",
        lambda g: None if g.util is None else SimpleNamespace(gpu=g.util[0], memory=g.util[1]),
    )
    for suffix in ("", "_v2"):
        simple(
            f"nvmlDeviceGetComputeRunningProcesses{suffix}", lambda g: [_proc(p) for p in g.compute]
        )
        simple(
            f"nvmlDeviceGetGraphicsRunningProcesses{suffix}",
            lambda g: [_proc(p) for p in g.graphics],
        )

    def nvmlDeviceGetMemoryInfo(self: FakeNvml, handle: FakeHandle, version: Any = None) -> Any:
        item = self._enter("nvmlDeviceGetMemoryInfo", handle)
        if isinstance(item, FakeMig):
            total, used, reserved = item.memory_total, item.memory_used, 0
        else:
            total, used, reserved = _need(item.memory_total), item.memory_used, item.memory_reserved
        if version:
            if reserved is None:
                raise real.NVMLError_FunctionNotFound()
            free = total - used - reserved
            return SimpleNamespace(
                version=version, total=total, reserved=reserved, free=free, used=used
            )
        # v1 counts the driver's reservation in "used" (backends.md, pitfalls).
        used_v1 = used + (reserved or 0)
        return SimpleNamespace(total=total, free=total - used_v1, used=used_v1)

    def nvmlDeviceGetTemperatureV(
        self: FakeNvml, handle: FakeHandle, sensor: int, version: int = real.nvmlTemperature_v1
    ) -> int:
        gpu = self._enter("nvmlDeviceGetTemperatureV", handle)
        return _need(gpu.temperature if sensor == real.NVML_TEMPERATURE_GPU else None)

    def nvmlDeviceGetTemperature(self: FakeNvml, handle: FakeHandle, sensor: int) -> int:
        gpu = self._enter("nvmlDeviceGetTemperature", handle)
        return _need(gpu.temperature if sensor == real.NVML_TEMPERATURE_GPU else None)

    def nvmlDeviceGetTemperatureThreshold(
        self: FakeNvml, handle: FakeHandle, threshold: int
    ) -> int:
        return _need(
            self._enter("nvmlDeviceGetTemperatureThreshold", handle).thresholds.get(threshold)
        )

    def nvmlDeviceGetClockInfo(self: FakeNvml, handle: FakeHandle, type: int) -> int:  # noqa: A002
        return _need(self._enter("nvmlDeviceGetClockInfo", handle).clocks.get(type))

    def nvmlDeviceGetMaxClockInfo(self: FakeNvml, handle: FakeHandle, type: int) -> int:  # noqa: A002
        return _need(self._enter("nvmlDeviceGetMaxClockInfo", handle).max_clocks.get(type))

    def nvmlDeviceGetFanSpeed_v2(self: FakeNvml, handle: FakeHandle, fan: int) -> int:
        gpu = self._enter("nvmlDeviceGetFanSpeed_v2", handle)
        if fan >= len(gpu.fan_pct):
            raise real.NVMLError_InvalidArgument()
        return gpu.fan_pct[fan]

    def nvmlDeviceGetPcieThroughput(self: FakeNvml, device: FakeHandle, counter: int) -> int:
        kbps = _need(self._enter("nvmlDeviceGetPcieThroughput", device).pcie_kbps)
        return kbps[0] if counter == real.NVML_PCIE_UTIL_TX_BYTES else kbps[1]

    def nvmlDeviceGetTotalEccErrors(
        self: FakeNvml, handle: FakeHandle, errorType: int, counterType: int
    ) -> int:  # noqa: N803
        gpu = self._enter("nvmlDeviceGetTotalEccErrors", handle)
        _need(gpu.ecc_mode)
        return gpu.ecc_counts.get((errorType, counterType), 0)

    def nvmlDeviceGetFieldValues(self: FakeNvml, handle: FakeHandle, fieldIds: Any) -> list[Any]:  # noqa: N803
        gpu = self._enter("nvmlDeviceGetFieldValues", handle)
        known = {
            real.NVML_FI_DEV_MEMORY_TEMP: gpu.memory_temperature,
            real.NVML_FI_DEV_POWER_AVERAGE: gpu.power_average_mw,
            real.NVML_FI_DEV_NVLINK_SPEED_MBPS_COMMON: gpu.nvlink_speed_mbps,
            real.NVML_FI_DEV_NVLINK_THROUGHPUT_DATA_TX: gpu.nvlink_kib and gpu.nvlink_kib[0],
            real.NVML_FI_DEV_NVLINK_THROUGHPUT_DATA_RX: gpu.nvlink_kib and gpu.nvlink_kib[1],
        }
        out = []
        for fid in fieldIds:
            value = known.get(fid)
            ret = real.NVML_SUCCESS if value is not None else real.NVML_ERROR_NOT_SUPPORTED
            out.append(
                SimpleNamespace(
                    fieldId=fid,
                    scopeId=0,
                    timestamp=gpu.field_timestamp_us,
                    latencyUsec=0,
                    valueType=real.NVML_VALUE_TYPE_UNSIGNED_INT,
                    nvmlReturn=ret,
                    value=SimpleNamespace(uiVal=value or 0),
                )
            )
        return out

    def nvmlDeviceGetProcessUtilization(
        self: FakeNvml, handle: FakeHandle, timeStamp: int
    ) -> list[Any]:  # noqa: N803
        gpu = self._enter("nvmlDeviceGetProcessUtilization", handle)
        samples = [
            SimpleNamespace(
                pid=pid, timeStamp=timeStamp + 1000 + i, smUtil=sm, memUtil=0, encUtil=0, decUtil=0
            )
            for i, (pid, sm) in enumerate(gpu.process_util)
        ]
        if not samples:
            raise real.NVMLError_NotFound()
        return samples

    def _link(self: FakeNvml, fn: str, handle: FakeHandle, link: int) -> tuple[int, int]:
        gpu = self._enter(fn, handle)
        if gpu.nvlinks is None or gpu.mig_mode and gpu.mig_mode[0]:
            raise real.NVMLError_NotSupported()  # no NvLink, or the GPU is in MIG mode
        if not 0 <= link < len(gpu.nvlinks):
            raise real.NVMLError_InvalidArgument()
        state: tuple[int, int] = gpu.nvlinks[link]
        return state

    def nvmlDeviceGetNvLinkState(self: FakeNvml, device: FakeHandle, link: int) -> int:
        return _link(self, "nvmlDeviceGetNvLinkState", device, link)[0]

    def nvmlDeviceGetNvLinkRemoteDeviceType(self: FakeNvml, handle: FakeHandle, link: int) -> int:
        return _link(self, "nvmlDeviceGetNvLinkRemoteDeviceType", handle, link)[1]

    def nvmlDeviceGetMigDeviceHandleByIndex(
        self: FakeNvml, device: FakeHandle, index: int
    ) -> FakeHandle:
        gpu = self._enter("nvmlDeviceGetMigDeviceHandleByIndex", device)
        if not gpu.mig_mode or not gpu.mig_mode[0]:
            raise real.NVMLError_InvalidArgument()
        if index >= len(gpu.migs):
            raise real.NVMLError_NotFound()
        return FakeHandle(device.index, index)

    for fn in (
        nvmlInit,
        nvmlShutdown,
        nvmlSystemGetDriverVersion,
        nvmlSystemGetCudaDriverVersion_v2,
        nvmlDeviceGetCount,
        nvmlDeviceGetHandleByIndex,
        nvmlDeviceGetMemoryInfo,
        nvmlDeviceGetTemperatureV,
        nvmlDeviceGetTemperature,
        nvmlDeviceGetTemperatureThreshold,
        nvmlDeviceGetClockInfo,
        nvmlDeviceGetMaxClockInfo,
        nvmlDeviceGetFanSpeed_v2,
        nvmlDeviceGetPcieThroughput,
        nvmlDeviceGetTotalEccErrors,
        nvmlDeviceGetFieldValues,
        nvmlDeviceGetProcessUtilization,
        nvmlDeviceGetMigDeviceHandleByIndex,
        nvmlDeviceGetNvLinkState,
        nvmlDeviceGetNvLinkRemoteDeviceType,
    ):
        setattr(FakeNvml, fn.__name__, fn)


_install_functions()
