"""Platform profiles of simulated devices: the static facts of real products.

Figures are the products' published specifications (memory size, board power, clocks) and,
for NVIDIA, what nvidia-smi reports on those cards (thresholds, memory as MiB).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from allsmi_py.details.amd import AMD
from allsmi_py.details.apple import APPLE
from allsmi_py.details.furiosa import FURIOSA
from allsmi_py.details.gaudi import GAUDI
from allsmi_py.details.intel import INTEL
from allsmi_py.details.jetson import JETSON
from allsmi_py.details.nvidia import NVIDIA
from allsmi_py.details.rebellions import REBELLIONS
from allsmi_py.details.tenstorrent import TENSTORRENT
from allsmi_py.details.tpu import TPU
from allsmi_py.units import GIB, MIB


@dataclass(frozen=True, slots=True)
class Profile:
    """Static facts of one simulated product."""

    key: str
    name: str
    vendor: str
    kind: str  # gpu | npu | soc
    memory_total_bytes: int
    power_idle_w: float
    power_limit_w: float
    temperature_idle_c: float
    temperature_load_c: float
    clock_graphics_idle_mhz: float
    clock_graphics_max_mhz: float
    clock_memory_mhz: float | None
    temperature_slowdown_c: float | None = None
    temperature_shutdown_c: float | None = None
    temperature_max_operating_c: float | None = None
    power_limit_max_w: float | None = None
    pcie_gen: int | None = None
    pcie_width: int | None = None
    has_fan: bool = False
    fan_rpm_max: float | None = None
    ecc: bool = False
    has_ane: bool = False
    has_dla: bool = False
    uuid_prefix: str = "MOCK-"
    # False: no power, temperature, clock or fan reaches the host (a TPU VM's tpu-info), so
    # the reading leaves them out as the real backend does; the simulation still runs
    sensors: bool = True
    default_count: int = 1
    description: str = ""
    details: dict[str, str] = field(default_factory=dict)


_NVIDIA_DRIVER = {"driver_version": "590.48.01", "cuda_version": "13.1"}


def _nvidia(
    key: str, name: str, memory_mib: int, architecture: str, compute_capability: str, *,
    power_w: tuple[float, float, float],
    temperature_c: tuple[float, float, float, float, float],
    clocks_mhz: tuple[float, float, float],
    pcie_gen: int,
    description: str,
    fan_rpm_max: float | None = None,
) -> Profile:
    """An NVIDIA board as nvidia-smi shows it: memory in MiB, `GPU-` uuids, x16 PCIe.

    `power_w` is (idle, limit, max limit); `temperature_c` (idle, load, slowdown, shutdown,
    max operating); `clocks_mhz` (graphics idle, graphics max, memory). A board with fans is
    a desktop card, one to a node; one without a data-centre part with ECC, eight to a node.
    """
    idle_w, limit_w, max_w = power_w
    idle_c, load_c, slowdown_c, shutdown_c, max_operating_c = temperature_c
    datacenter = fan_rpm_max is None
    return Profile(
        key, name, "NVIDIA", "gpu", memory_mib * MIB, idle_w, limit_w, idle_c, load_c,
        *clocks_mhz, slowdown_c, shutdown_c, max_operating_c, max_w, pcie_gen, 16,
        has_fan=not datacenter, fan_rpm_max=fan_rpm_max, ecc=datacenter, uuid_prefix="GPU-",
        default_count=8 if datacenter else 1, description=description,
        details=NVIDIA.details(**_NVIDIA_DRIVER, architecture=architecture,
                               compute_capability=compute_capability),
    )


PROFILES: dict[str, Profile] = {p.key: p for p in (
    _nvidia("h100", "NVIDIA H100 80GB HBM3", 81559, "Hopper", "9.0",
            power_w=(72.0, 700.0, 700.0), temperature_c=(31.0, 68.0, 89.0, 92.0, 87.0),
            clocks_mhz=(345.0, 1980.0, 2619.0), pcie_gen=5,
            description="NVIDIA H100 SXM5, 80 GB HBM3, 700 W"),
    _nvidia("a100", "NVIDIA A100-SXM4-40GB", 40960, "Ampere", "8.0",
            power_w=(55.0, 400.0, 400.0), temperature_c=(30.0, 65.0, 92.0, 95.0, 85.0),
            clocks_mhz=(210.0, 1410.0, 1215.0), pcie_gen=4,
            description="NVIDIA A100 SXM4, 40 GB HBM2, 400 W"),
    _nvidia("b200", "NVIDIA B200", 183359, "Blackwell", "10.0",
            power_w=(140.0, 1000.0, 1000.0), temperature_c=(32.0, 72.0, 88.0, 93.0, 87.0),
            clocks_mhz=(600.0, 1965.0, 3996.0), pcie_gen=6,
            description="NVIDIA B200 (Blackwell), 180 GB HBM3e, 1000 W"),
    _nvidia("rtx4090", "NVIDIA GeForce RTX 4090", 24564, "Ada Lovelace", "8.9",
            power_w=(22.0, 450.0, 600.0), temperature_c=(38.0, 74.0, 90.0, 95.0, 88.0),
            clocks_mhz=(210.0, 2520.0, 10501.0), pcie_gen=4, fan_rpm_max=3000.0,
            description="NVIDIA GeForce RTX 4090, 24 GB GDDR6X, 450 W, fans"),
    Profile("m3max", "Apple M3 Max", "Apple", "soc", 128 * GIB, 0.3, 45.0,
            38.0, 78.0, 338.0, 1398.0, None, has_ane=True, uuid_prefix="APPLE-",
            default_count=1, description="Apple M3 Max, 40-core GPU + ANE, 128 GB unified memory",
            details=APPLE.details(chip="M3 Max", gpu_core_count="40", unified_memory="true")),
    Profile("orin", "NVIDIA Jetson AGX Orin", "NVIDIA", "soc", 62_000 * MIB, 4.0, 60.0,
            36.0, 70.0, 306.0, 1301.0, 3200.0, 99.0, 105.0, None, None, has_dla=True,
            uuid_prefix="JETSON-", default_count=1,
            description="NVIDIA Jetson AGX Orin 64GB, Ampere GPU + 2 DLA, 60 W",
            details=JETSON.details(jetpack="6.2", l4t="36.4.3", soc="tegra234")),
    Profile("n300", "Tenstorrent Wormhole n300", "Tenstorrent", "npu", 24 * GIB, 28.0, 300.0,
            40.0, 75.0, 500.0, 1000.0, 6000.0, None, None, None, 300.0, 4, 16,
            has_fan=True, fan_rpm_max=4500.0, uuid_prefix="TT-", default_count=4,
            description="Tenstorrent Wormhole n300, 2 chips, 24 GB GDDR6, 300 W",
            details=TENSTORRENT.details(board_type="n300", architecture="wormhole",
                                        arc_fw_version="2.36.0", eth_fw_version="7.0.0",
                                        fw_bundle_version="80.15.0")),
    Profile("atom", "Rebellions ATOM", "Rebellions", "npu", 16 * GIB, 12.0, 130.0,
            34.0, 66.0, 500.0, 1500.0, 8000.0, None, None, None, 130.0, 5, 16,
            uuid_prefix="RBLN-", default_count=4,
            description="Rebellions ATOM (RBLN-CA12), 16 GB GDDR6",
            details=REBELLIONS.details(firmware_version="1.1.2", kmd_version="1.2.76",
                                       pstate="P0", status="normal")),
    Profile("rngd", "Furiosa RNGD", "FuriosaAI", "npu", 48 * GIB, 35.0, 180.0,
            35.0, 70.0, 500.0, 1000.0, 6000.0, None, None, None, 180.0, 5, 16,
            uuid_prefix="RNGD-", default_count=8,
            description="FuriosaAI RNGD, 48 GB HBM3, 180 W",
            details=FURIOSA.details(architecture="rngd", firmware_version="2025.1.0",
                                    liveness="alive")),
    Profile("gaudi3", "Intel Gaudi 3 HL-325L", "Intel", "npu", 128 * GIB, 180.0, 900.0,
            33.0, 72.0, 1000.0, 1600.0, 3600.0, None, None, None, 900.0, 5, 16,
            ecc=True, uuid_prefix="HL-", default_count=8,
            description="Intel Gaudi 3 OAM, 128 GB HBM2e, 900 W",
            details=GAUDI.details(internal_name="HL-325L", driver_version="1.20.0",
                                  driver_revision="b1")),
    # Intel's spec sheets: Arc B580 (BMG-G21, PCI e20b) 12 GB GDDR6, 190 W, 2850 MHz, PCIe 4.0
    # x8, on xe; Data Center GPU Max 1550 (PVC, PCI 0bd5) 128 GB HBM2e, 600 W OAM, 1600 MHz.
    # i915/xe expose no thresholds and no memory clock (backends/intel), so those stay None.
    Profile("arcb580", "Intel Arc B580 Graphics", "Intel", "gpu", 12 * GIB, 33.0, 190.0,
            38.0, 72.0, 400.0, 2850.0, None, None, None, None, None, 4, 8,
            has_fan=True, fan_rpm_max=2600.0, uuid_prefix="INTEL-", default_count=1,
            description="Intel Arc B580, 12 GB GDDR6, 190 W, fans",
            details=INTEL.details(source="sysfs", driver="xe", pci_id="8086:e20b")),
    Profile("max1550", "Intel Data Center GPU Max 1550", "Intel", "gpu", 128 * GIB, 95.0, 600.0,
            35.0, 70.0, 300.0, 1600.0, None, None, None, None, None, 5, 16,
            ecc=True, uuid_prefix="INTEL-", default_count=8,
            description="Intel Data Center GPU Max 1550 (Ponte Vecchio), 128 GB HBM2e, 600 W",
            details=INTEL.details(source="sysfs", driver="i915", pci_id="8086:0bd5")),
    # Google's v5e page: 16 GB HBM2 per chip, one TensorCore; a v5litepod-4 VM has 4 chips.
    # Power and clocks feed the simulation only (sensors=False), as tpu-info shows neither.
    Profile("v5e", "Google TPU v5e", "Google", "npu", 16 * GIB, 60.0, 200.0,
            35.0, 65.0, 1000.0, 1500.0, None, sensors=False, uuid_prefix="tpu-",
            default_count=4, description="Google Cloud TPU v5e (v5litepod-4), 16 GB HBM2",
            details=TPU.details(chip_version="v5e", accelerator_type="v5litepod-4",
                                devices_per_chip="1", tensorcore_count="1",
                                memory_type="HBM2")),
    Profile("mi300x", "AMD Instinct MI300X", "AMD", "gpu", 192 * GIB, 140.0, 750.0,
            35.0, 75.0, 132.0, 2100.0, 1300.0, 100.0, 105.0, 95.0, 750.0, 5, 16,
            ecc=True, uuid_prefix="AMD-", default_count=8,
            description="AMD Instinct MI300X, 192 GB HBM3, 750 W",
            details=AMD.details(rocm_version="6.4.1", vbios_version="113-M3000100-102",
                                architecture="CDNA3")),
)}

ALIASES = {"h100-80gb": "h100", "a100-40gb": "a100", "4090": "rtx4090", "m3": "m3max",
           "jetson": "orin", "agx-orin": "orin", "wormhole": "n300", "rebellions": "atom",
           "furiosa": "rngd", "gaudi": "gaudi3", "mi300": "mi300x", "b580": "arcb580",
           "arc": "arcb580", "max": "max1550", "pvc": "max1550",
           "tpu-v5e": "v5e"}


def parse_spec(spec: str) -> list[tuple[Profile, int]]:
    """'h100:4,rngd:2' -> [(H100, 4), (RNGD, 2)]; ValueError naming the valid profiles."""
    result: list[tuple[Profile, int]] = []
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if not parts:
        raise ValueError(f"empty --mock spec; valid profiles: {', '.join(PROFILES)}")
    for part in parts:
        name, _, count_text = part.partition(":")
        key = ALIASES.get(name.strip().lower(), name.strip().lower())
        profile = PROFILES.get(key)
        if profile is None:
            raise ValueError(f"unknown mock profile {name!r}; valid: {', '.join(PROFILES)}")
        if count_text:
            if not count_text.isdigit() or not 1 <= int(count_text) <= 64:
                raise ValueError(f"bad device count {count_text!r} in {part!r}: use 1 to 64")
            count = int(count_text)
        else:
            count = profile.default_count
        result.append((profile, count))
    return result
