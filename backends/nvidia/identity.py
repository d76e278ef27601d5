"""What never changes while the process lives: a GPU's identity, limits and thresholds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from allsmi_py.units import mw_to_w
from backends.nvidia.nvml import DeviceCalls, NvmlSession

_ARCHITECTURES = {
    2: "Kepler",
    3: "Maxwell",
    4: "Pascal",
    5: "Volta",
    6: "Turing",
    7: "Ampere",
    8: "Ada Lovelace",
    9: "Hopper",
    10: "Blackwell",
}
_COMPUTE_MODES = {0: "Default", 1: "Exclusive Thread", 2: "Prohibited", 3: "Exclusive Process"}


# What a healthy GPU's reading carries unchanged from open(): limits, thresholds, maximums.
# Each name is a field of both Identity and DeviceReading.
READING_FIELDS = (
    "temperature_slowdown_c", "temperature_shutdown_c", "temperature_max_operating_c",
    "temperature_acoustic_c", "power_limit_default_w", "power_limit_max_w",
    "clock_graphics_max_mhz", "clock_sm_max_mhz", "clock_memory_max_mhz", "pcie_gen_max",
    "pcie_width_max", "ecc_enabled", "numa_node",
)


@dataclass(frozen=True, slots=True)
class Identity:
    """Static facts about one GPU, read at open()."""

    index: int
    uuid: str
    name: str
    details: dict[str, str] = field(default_factory=dict)
    temperature_slowdown_c: float | None = None
    temperature_shutdown_c: float | None = None
    temperature_max_operating_c: float | None = None
    temperature_acoustic_c: float | None = None
    power_limit_default_w: float | None = None
    power_limit_max_w: float | None = None
    clock_graphics_max_mhz: float | None = None
    clock_sm_max_mhz: float | None = None
    clock_memory_max_mhz: float | None = None
    pcie_gen_max: int | None = None
    pcie_width_max: int | None = None
    ecc_enabled: bool | None = None
    numa_node: int | None = None
    fan_count: int | None = None

    def reading_fields(self) -> dict[str, Any]:
        """The READING_FIELDS of this GPU as DeviceReading keyword arguments."""
        return {name: getattr(self, name) for name in READING_FIELDS}


def text(value: Any) -> str | None:
    """NVML strings as str (very old bindings return bytes); None stays None."""
    if value is None:
        return None
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def cuda_version(encoded: int | None) -> str | None:
    """NVML's CUDA driver version integer (12040) as '12.4'."""
    if not encoded:
        return None
    return f"{encoded // 1000}.{(encoded % 1000) // 10}"


def system_details(session: NvmlSession) -> dict[str, str]:
    """Driver and CUDA versions, shared by every GPU of the node."""
    details: dict[str, str] = {}
    driver = text(session.system("nvmlSystemGetDriverVersion"))
    if driver:
        details["driver_version"] = driver
    cuda = cuda_version(session.system("nvmlSystemGetCudaDriverVersion_v2"))
    if cuda:
        details["cuda_version"] = cuda
    return details


def gsp_details(calls: DeviceCalls) -> dict[str, str]:
    """The GSP firmware's version and mode (Turing and newer with the GSP driver)."""
    details: dict[str, str] = {}
    version = (text(calls.static("nvmlDeviceGetGspFirmwareVersion")) or "").strip("\0 ")
    if version and len(version) <= 64 and version.isprintable():
        details["gsp_firmware_version"] = version
    mode = calls.static("nvmlDeviceGetGspFirmwareMode")
    if mode is not None:
        enabled, default = mode
        # all-smi's encoding (nvidia_hardware.rs): the default flag wins over enabled
        details["gsp_firmware_mode"] = "Default" if default else (
            "Enabled" if enabled else "Disabled")
    return details


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def read_identity(index: int, calls: DeviceCalls, shared: dict[str, str]) -> Identity:
    """Read one GPU's static facts through `calls` (each call once per process)."""
    nvml = calls.session.nvml
    details = dict(shared)
    pci = calls.static("nvmlDeviceGetPciInfo_v3")
    if pci is not None:
        details["pci_bus_id"] = text(pci.busId) or ""
    for key, fn_name in (
        ("serial", "nvmlDeviceGetSerial"),
        ("vbios_version", "nvmlDeviceGetVbiosVersion"),
    ):
        value = text(calls.static(fn_name))
        if value:
            details[key] = value
    arch = calls.static("nvmlDeviceGetArchitecture")
    if arch in _ARCHITECTURES:
        details["architecture"] = _ARCHITECTURES[arch]
    capability = calls.static("nvmlDeviceGetCudaComputeCapability")
    if capability is not None:
        details["compute_capability"] = f"{capability[0]}.{capability[1]}"
    persistence = calls.static("nvmlDeviceGetPersistenceMode")
    if persistence is not None:
        details["persistence_mode"] = "Enabled" if persistence else "Disabled"
    compute_mode = calls.static("nvmlDeviceGetComputeMode")
    if compute_mode in _COMPUTE_MODES:
        details["compute_mode"] = _COMPUTE_MODES[compute_mode]
    details.update(gsp_details(calls))

    threshold = nvml.NVML_TEMPERATURE_THRESHOLD_SHUTDOWN
    constraints = calls.static("nvmlDeviceGetPowerManagementLimitConstraints")
    ecc = calls.static("nvmlDeviceGetEccMode")
    numa = calls.static("nvmlDeviceGetNumaNodeId")
    return Identity(
        index=index,
        uuid=text(calls.static("nvmlDeviceGetUUID")) or "",
        name=text(calls.static("nvmlDeviceGetName")) or "NVIDIA GPU",
        details=details,
        temperature_shutdown_c=_float(calls.static("nvmlDeviceGetTemperatureThreshold", threshold)),
        temperature_slowdown_c=_float(
            calls.static(
                "nvmlDeviceGetTemperatureThreshold", nvml.NVML_TEMPERATURE_THRESHOLD_SLOWDOWN
            )
        ),
        temperature_max_operating_c=_float(
            calls.static(
                "nvmlDeviceGetTemperatureThreshold", nvml.NVML_TEMPERATURE_THRESHOLD_GPU_MAX
            )
        ),
        temperature_acoustic_c=_float(
            calls.static(
                "nvmlDeviceGetTemperatureThreshold", nvml.NVML_TEMPERATURE_THRESHOLD_ACOUSTIC_CURR
            )
        ),
        power_limit_default_w=mw_to_w(calls.static("nvmlDeviceGetPowerManagementDefaultLimit")),
        power_limit_max_w=None if constraints is None else mw_to_w(constraints[1]),
        clock_graphics_max_mhz=_float(
            calls.static("nvmlDeviceGetMaxClockInfo", nvml.NVML_CLOCK_GRAPHICS)
        ),
        clock_sm_max_mhz=_float(calls.static("nvmlDeviceGetMaxClockInfo", nvml.NVML_CLOCK_SM)),
        clock_memory_max_mhz=_float(calls.static("nvmlDeviceGetMaxClockInfo", nvml.NVML_CLOCK_MEM)),
        pcie_gen_max=calls.static("nvmlDeviceGetMaxPcieLinkGeneration"),
        pcie_width_max=calls.static("nvmlDeviceGetMaxPcieLinkWidth"),
        # ECC mode changes only across a GPU reset, so the current mode read once holds.
        ecc_enabled=None if ecc is None else bool(ecc[0]),
        numa_node=numa if isinstance(numa, int) and numa >= 0 else None,
        fan_count=calls.static("nvmlDeviceGetNumFans"),
    )
