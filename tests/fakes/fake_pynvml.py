"""A fake `pynvml` module: the real API's names and signatures over configurable GPUs.

It raises the real `pynvml.NVMLError_*` classes and re-exports the real constants, so code
under test cannot tell it from nvidia-ml-py except by the values. A value left as `None` on a
`FakeGpu` answers NotSupported, as a card without that sensor does. Every call is counted per
(function, device) in `FakeNvml.calls`.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field, replace
from types import ModuleType, SimpleNamespace
from typing import Any

import pynvml as real  # noqa: TID251 - the fake borrows the real error classes and constants

MIB = 1024**2


@dataclass
class FakeProcess:
    """One entry of a compute or graphics process list."""

    pid: int
    used_bytes: int | None
    gpu_instance_id: int = 0xFFFFFFFF
    compute_instance_id: int = 0xFFFFFFFF


@dataclass
class FakeMig:
    """One MIG device of a parent GPU."""

    uuid: str
    name: str
    gpu_instance_id: int
    compute_instance_id: int
    memory_total: int
    memory_used: int


@dataclass
class FakeGpu:
    """What one fake GPU answers; None means NotSupported."""

    name: str
    uuid: str
    bus_id: str
    serial: str | None = None
    vbios: str | None = None
    architecture: int | None = None
    compute_capability: tuple[int, int] | None = None
    persistence: int | None = None
    compute_mode: int | None = 0
    memory_total: int | None = None
    memory_used: int | None = None
    memory_reserved: int | None = None  # None: the v2 call is missing (FunctionNotFound)
    util: tuple[int, int] | None = None
    temperature: int | None = None
    memory_temperature: int | None = None
    thresholds: dict[int, int] = field(default_factory=dict)
    power_average_mw: int | None = None
    power_usage_mw: int | None = None
    power_limit_mw: int | None = None
    power_default_mw: int | None = None
    power_constraints_mw: tuple[int, int] | None = None
    energy_mj: int | None = None
    clocks: dict[int, int] = field(default_factory=dict)
    max_clocks: dict[int, int] = field(default_factory=dict)
    num_fans: int | None = None
    fan_pct: tuple[int, ...] = ()
    fan_rpm: int | None = None
    pstate: int | None = None
    pcie_gen: tuple[int, int] | None = None  # current, max
    pcie_width: tuple[int, int] | None = None
    pcie_kbps: tuple[int, int] | None = None  # tx, rx
    ecc_mode: tuple[int, int] | None = None
    ecc_counts: dict[tuple[int, int], int] = field(default_factory=dict)
    throttle_mask: int | None = None
    encoder: int | None = None
    decoder: int | None = None
    numa: int | None = None
    mig_mode: tuple[int, int] | None = None
    migs: list[FakeMig] = field(default_factory=list)
    mig_slots: int = 7
    compute: list[FakeProcess] = field(default_factory=list)
    graphics: list[FakeProcess] = field(default_factory=list)
    process_util: list[tuple[int, int]] = field(default_factory=list)  # (pid, smUtil)
    errors: dict[str, int] = field(default_factory=dict)  # function -> NVML_ERROR_* code
    lost: bool = False


@dataclass(frozen=True)
class FakeHandle:
    """What nvmlDeviceGetHandleByIndex returns: a GPU index, plus a MIG slot for MIG handles."""

    index: int
    mig: int | None = None

    @property
    def key(self) -> str:
        return f"gpu{self.index}" if self.mig is None else f"gpu{self.index}/mig{self.mig}"


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
        }
        out = []
        for fid in fieldIds:
            value = known.get(fid)
            ret = real.NVML_SUCCESS if value is not None else real.NVML_ERROR_NOT_SUPPORTED
            out.append(
                SimpleNamespace(
                    fieldId=fid,
                    scopeId=0,
                    timestamp=0,
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
    ):
        setattr(FakeNvml, fn.__name__, fn)


_install_functions()


# -- scenarios, with values from the real captures in shared/fixtures/vendor/nvidia/ ---------


def h100(index: int) -> FakeGpu:
    """An H100 80GB HBM3 SXM under load (H100 capture, driver 590.48.01)."""
    return FakeGpu(
        name="NVIDIA H100 80GB HBM3",
        uuid=f"GPU-{index:08x}-0000-0000-0000-000000000000",
        bus_id=f"00000000:{0x09 + index:02X}:00.0",
        serial="0000000000000",
        vbios="96.00.A5.00.01",
        architecture=real.NVML_DEVICE_ARCH_HOPPER,
        compute_capability=(9, 0),
        persistence=1,
        memory_total=81559 * MIB,
        memory_used=19818 * MIB,
        memory_reserved=479 * MIB,
        util=(100, 11),
        temperature=59,
        memory_temperature=55,
        thresholds={
            real.NVML_TEMPERATURE_THRESHOLD_SHUTDOWN: 92,
            real.NVML_TEMPERATURE_THRESHOLD_SLOWDOWN: 87,
            real.NVML_TEMPERATURE_THRESHOLD_GPU_MAX: 85,
        },
        power_average_mw=629450,
        power_usage_mw=588390,
        power_limit_mw=700000,
        power_default_mw=700000,
        power_constraints_mw=(200000, 700000),
        energy_mj=123_456_789,
        clocks={
            real.NVML_CLOCK_GRAPHICS: 1980,
            real.NVML_CLOCK_SM: 1980,
            real.NVML_CLOCK_MEM: 2619,
        },
        max_clocks={
            real.NVML_CLOCK_GRAPHICS: 1980,
            real.NVML_CLOCK_SM: 1980,
            real.NVML_CLOCK_MEM: 2619,
        },
        num_fans=0,
        pstate=0,
        pcie_gen=(5, 5),
        pcie_width=(16, 16),
        pcie_kbps=(3092, 6346),
        ecc_mode=(1, 1),
        throttle_mask=0,
        encoder=0,
        decoder=0,
        numa=index // 4,
        mig_mode=(0, 0),
        compute=[
            FakeProcess(11327 + 100 * index, 2566 * MIB),
            FakeProcess(11328 + 100 * index, 1542 * MIB),
            FakeProcess(11345 + 100 * index, 15690 * MIB),
        ],
        process_util=[(11345 + 100 * index, 99)],
    )


def rtx_4080_super() -> FakeGpu:
    """A GeForce RTX 4080 SUPER (consumer capture, driver 595.71.05): no ECC, no MIG, fans."""
    return FakeGpu(
        name="NVIDIA GeForce RTX 4080 SUPER",
        uuid="GPU-00000000-0000-0000-0000-00000000a080",
        bus_id="00000000:01:00.0",
        vbios="95.03.44.00.B2",
        architecture=real.NVML_DEVICE_ARCH_ADA,
        compute_capability=(8, 9),
        persistence=0,
        memory_total=16376 * MIB,
        memory_used=1474 * MIB,
        memory_reserved=434 * MIB,
        util=(7, 2),
        temperature=45,
        thresholds={
            real.NVML_TEMPERATURE_THRESHOLD_SHUTDOWN: 101,
            real.NVML_TEMPERATURE_THRESHOLD_SLOWDOWN: 96,
            real.NVML_TEMPERATURE_THRESHOLD_GPU_MAX: 90,
        },
        power_average_mw=84030,
        power_usage_mw=86410,
        power_limit_mw=320000,
        power_default_mw=320000,
        power_constraints_mw=(150000, 400000),
        clocks={
            real.NVML_CLOCK_GRAPHICS: 2805,
            real.NVML_CLOCK_SM: 2805,
            real.NVML_CLOCK_MEM: 11251,
        },
        max_clocks={
            real.NVML_CLOCK_GRAPHICS: 3165,
            real.NVML_CLOCK_SM: 3165,
            real.NVML_CLOCK_MEM: 11501,
        },
        num_fans=2,
        fan_pct=(0, 0),
        pstate=2,
        pcie_gen=(4, 4),
        pcie_width=(16, 16),
        pcie_kbps=(174169, 1436230),
        throttle_mask=0,
        encoder=72,
        decoder=0,
        compute=[FakeProcess(2165, 25 * MIB), FakeProcess(5021, 360 * MIB)],
        graphics=[FakeProcess(2165, 25 * MIB), FakeProcess(2496, 200 * MIB)],
    )


def h100_mig() -> FakeGpu:
    """The H100 with MIG on (MIG capture): 3g.40gb, 2g.20gb and two 1g.10gb instances."""
    gpu = replace(
        h100(0),
        util=None,  # the parent reports no utilization in MIG mode
        memory_used=11125 * MIB,
        mig_mode=(1, 1),
        compute=[
            FakeProcess(21180, 2296 * MIB, 2, 0),
            FakeProcess(21181, 1272 * MIB, 2, 0),
            FakeProcess(21198, 7484 * MIB, 2, 0),
        ],
        process_util=[],
    )
    profiles = [
        ("3g.40gb", 2, 40448, 11091),
        ("2g.20gb", 3, 20096, 17),
        ("1g.10gb", 9, 9984, 9),
        ("1g.10gb", 10, 9984, 9),
    ]
    gpu.migs = [
        FakeMig(
            uuid=f"MIG-0000000{i}-0000-0000-0000-00000000000{i}",
            name=f"NVIDIA H100 80GB HBM3 MIG {profile}",
            gpu_instance_id=gi,
            compute_instance_id=0,
            memory_total=total * MIB,
            memory_used=used * MIB,
        )
        for i, (profile, gi, total, used) in enumerate(profiles)
    ]
    return gpu
