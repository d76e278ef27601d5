"""The fake GPUs, MIG slices, processes and handles that `fake_pynvml` answers about."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    gsp_version: str | None = None
    gsp_mode: tuple[int, int] | None = None  # isEnabled, defaultMode
    # (state, remote device type) per link; None: no NvLink (NotSupported), past the end:
    # InvalidArgument, as the real driver answers
    nvlinks: list[tuple[int, int]] | None = None
    nvlink_speed_mbps: int | None = None
    nvlink_kib: tuple[int, int] | None = None  # THROUGHPUT_DATA_TX, _RX counters (KiB)
    field_timestamp_us: int = 0  # what nvmlDeviceGetFieldValues stamps its samples with
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
