"""Fake Apple Silicon machines for the native-path tests, and a clock to drive them.

No textual IOReport sample exists publicly: IOReport channels are read through a private
framework and no tool prints its raw counters. The numbers here are therefore derived,
not captured:
- `m4_max()`: every IOReport counter step is computed from the real powermetrics plist of
  a MacBook Pro M4 Max (Mac16,5, tests/fixtures/apple/), which powermetrics itself builds
  from IOReport: `cpu_energy` / `gpu_energy` (mJ) over `elapsed_ns`, the GPU's `idle_ns`
  and per-state `used_ns`, each core's `down_ns`, `idle_ns` and `dvfm_states`. The pmgr
  frequency tables are that sample's `dvfm_states` frequencies, written the way the
  IORegistry stores them (GPU in Hz behind a 0 Hz off entry, M4 CPU tables in kHz).
  Channel names follow macmon and all-smi; the state names `V<k>P<n>` follow all-smi's
  description. The distractor channels (`EACC_CPU`, `GPU0`, ...) carry arbitrary values.
- The SMC key table, its temperatures, `PSTR` and the VM page counts are plausible values
  chosen for the tests (range and types as all-smi documents them), not a recording.
"""

from __future__ import annotations

import ctypes
import plistlib
import struct
from pathlib import Path
from typing import Any

from tests.backends.apple.fake_native import Channel, FakeNative

PLIST = Path(__file__).parents[2] / "fixtures" / "apple" / \
    "powermetrics_plist_macbookpro16-m4max_mac16-5.plist"
M4_MAX: dict[str, Any] = plistlib.loads(PLIST.read_bytes().strip(b"\0\n "))
M4_ELAPSED_S = M4_MAX["elapsed_ns"] / 1e9
ENERGY, CPU, GPU = "Energy Model", "CPU Stats", "GPU Stats"
CPU_SUB, GPU_SUB = "CPU Core Performance States", "GPU Performance States"


class Clock:
    """A monotonic clock the tests move by hand; `sleep` moves it too."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def voltage_states(frequencies: list[int], scale: int, off_entry: bool = False) -> bytes:
    """A pmgr `voltage-states*` blob: (frequency, millivolts) little-endian u32 pairs."""
    entries = [(0, 0)] if off_entry else []
    entries += [(mhz * scale, 600 + 20 * k) for k, mhz in enumerate(frequencies)]
    return b"".join(struct.pack("<II", hz, mv) for hz, mv in entries)


def _cpu_states(core: dict[str, Any]) -> list[tuple[str, int]]:
    dvfm = core["dvfm_states"]
    return [("DOWN", 0), ("IDLE", 0)] + [(f"V{k}P{len(dvfm) - 1 - k}", 0)
                                         for k in range(len(dvfm))]


def _cpu_step(core: dict[str, Any]) -> tuple[int, ...]:
    return (core["down_ns"], core["idle_ns"], *(s["used_ns"] for s in core["dvfm_states"]))


def _cores() -> list[tuple[str, dict[str, Any]]]:
    clusters = M4_MAX["processor"]["clusters"]
    e_cores = [(f"ECPU{i}", core) for i, core in enumerate(clusters[0]["cpus"])]
    p_cores = [core for cluster in clusters[1:] for core in cluster["cpus"]]
    return e_cores + [(f"PCPU{i}", core) for i, core in enumerate(p_cores)]


VM_FIELDS = (
    "free", "active", "inactive", "wire", "zero_fill", "reactivations", "pageins", "pageouts",
    "faults", "cow_faults", "lookups", "hits", "purges", "purgeable", "speculative",
    "decompressions", "compressions", "swapins", "swapouts", "compressor", "throttled",
    "external", "internal", "uncompressed",
)
_WIDE = {"zero_fill", "reactivations", "pageins", "pageouts", "faults", "cow_faults",
         "lookups", "hits", "purges", "decompressions", "compressions", "swapins",
         "swapouts", "uncompressed"}


class VmStatistics64(ctypes.Structure):
    """`vm_statistics64` from <mach/vm_statistics.h> (natural_t and uint64_t fields)."""

    _fields_ = [(name, ctypes.c_uint64 if name in _WIDE else ctypes.c_uint32)
                for name in VM_FIELDS]


M4_VM_PAGES = {"free": 100_000, "active": 1_000_000, "inactive": 950_000, "wire": 300_000,
               "purgeable": 20_000, "speculative": 40_000, "compressor": 120_000,
               "external": 600_000, "internal": 1_500_000}

M4_SMC = {  # key -> (type, bytes), sorted like the real key table
    "#KEY": ("ui32", b""),  # filled in below
    "ACID": ("ch8*", b"\x00" * 8),
    "AC-W": ("si8 ", b"\x01"),
    "BNum": ("ui8 ", b"\x01"),
    "CLKH": ("{clh", b"\x00" * 8),
    "F0Ac": ("flt ", struct.pack("<f", 0.0)),
    "FNum": ("ui8 ", b"\x02"),
    "MSAL": ("hex_", b"\x00"),
    "PSTR": ("flt ", struct.pack("<f", 8.75)),
    "RPlt": ("ch8*", b"j416\x00\x00\x00\x00"),
    "SBAS": ("ui16", b"\x00\x64"),
    "TB0T": ("flt ", struct.pack("<f", 30.5)),
    "Ta0P": ("flt ", struct.pack("<f", 35.0)),
    "Te05": ("flt ", struct.pack("<f", 41.25)),
    "Tg0G": ("flt ", struct.pack("<f", 38.5)),
    "Tg0H": ("flt ", struct.pack("<f", 39.5)),
    "Tg0j": ("flt ", struct.pack("<f", 0.0)),  # an unpowered sensor: outside 10-120 °C
    "Tp01": ("flt ", struct.pack("<f", 46.0)),
    "Tp05": ("flt ", struct.pack("<f", 48.0)),
    "Tp09": ("flt ", struct.pack("<f", 46.25)),
    "TpSD": ("ui16", b"\x00\x02"),  # a `Tp` key that is not a float: not a temperature
    "UPRI": ("ui8 ", b"\x00"),
    "VD0R": ("flt ", struct.pack("<f", 12.3)),
    "zETM": ("flag", b"\x00"),
}
M4_SMC["#KEY"] = ("ui32", len(M4_SMC).to_bytes(4, "big"))


def m4_max() -> FakeNative:
    """An M4 Max at its baseline counters; `step_m4_max` adds one plist interval."""
    fake = FakeNative()
    gpu = M4_MAX["gpu"]
    fake.channels = [
        Channel(ENERGY, "", "CPU Energy", "mJ", 91_234_567),
        Channel(ENERGY, "", "EACC_CPU", "mJ", 12_345_678),
        Channel(ENERGY, "", "PACC0_CPU", "mJ", 45_678_901),
        Channel(ENERGY, "", "GPU Energy", "nJ", 7_654_321_000_000),
        Channel(ENERGY, "", "GPU0", "mJ", 7_600_000),
        Channel(ENERGY, "", "ANE0", "mJ", 1_234),
        Channel(ENERGY, "", "DISP", "mJ", 3_456_789),
        Channel(GPU, GPU_SUB, "GPUPH", "", 0,
                [("OFF", 0), ("IDLE", 0)] + [(f"P{k + 1}", 0)
                                             for k in range(len(gpu["dvfm_states"]))]),
        Channel(GPU, "GPU Software Performance States", "GPU_SW", "", 0, [("SW_P1", 0)]),
    ] + [Channel(CPU, CPU_SUB, name, "", 0, _cpu_states(core)) for name, core in _cores()]
    clusters = M4_MAX["processor"]["clusters"]
    pmgr = {
        "voltage-states9": voltage_states([s["freq"] for s in gpu["dvfm_states"]], 10**6,
                                          off_entry=True),
        "voltage-states1-sram": voltage_states(
            [s["freq"] for s in clusters[0]["dvfm_states"]], 1000),
        "voltage-states5-sram": voltage_states(
            [s["freq"] for s in clusters[1]["dvfm_states"]], 1000),
    }
    fake.registry = {
        "AppleARMIODevice": [("gpio", {}), ("pmgr", pmgr), ("aic", {})],
        "AppleSMC": [("AppleSMC", {}), ("AppleSMCKeysEndpoint", {})],
    }
    fake.smc = dict(M4_SMC)
    fake.vm_statistics = bytes(VmStatistics64(**M4_VM_PAGES))
    return fake


def step_m4_max(fake: FakeNative, clock: Clock, times: float = 1.0) -> None:
    """Advance counters and clock by `times` the plist's interval (rounded to integers)."""
    processor, gpu = M4_MAX["processor"], M4_MAX["gpu"]
    energy = {"CPU Energy": processor["cpu_energy"], "EACC_CPU": 900, "PACC0_CPU": 2100,
              "GPU Energy": processor["gpu_energy"] * 10**6, "GPU0": 270, "DISP": 150,
              "ANE0": processor["ane_energy"]}
    gpu_step = (0, gpu["idle_ns"], *(s["used_ns"] for s in gpu["dvfm_states"]))
    cores = dict(_cores())
    for channel in fake.channels:
        if channel.name in energy:
            channel.add(round(energy[channel.name] * times))
        elif channel.name == "GPUPH":
            channel.add(residencies=tuple(round(r * times) for r in gpu_step))
        elif channel.name in cores:
            channel.add(residencies=tuple(round(r * times)
                                          for r in _cpu_step(cores[channel.name])))
    clock.now += M4_ELAPSED_S * times
