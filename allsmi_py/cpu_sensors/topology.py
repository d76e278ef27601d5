"""Which package (socket) each logical CPU is on, and each one's current clock.

`sys/devices/system/cpu/cpuN/topology/physical_package_id` (Documentation/admin-guide/
cputopology.rst) names the socket; an offline CPU has no topology folder. The clock is
cpufreq's `scaling_cur_freq` in kHz; where there is no cpufreq (most virtual machines),
/proc/cpuinfo's "cpu MHz" per processor.
"""

from __future__ import annotations

from allsmi_py.cpu_sensors.sysfs import SysfsTree

CPU_DIR = "sys/devices/system/cpu"
MAX_PACKAGE_ID = 4095
MAX_CPUINFO_BYTES = 8 * 1024 * 1024  # about 4 KiB a processor (flags): 2048 of them


def cpu_packages(tree: SysfsTree) -> dict[int, int]:
    """Logical CPU number -> its package id, for every CPU with a topology folder."""
    packages: dict[int, int] = {}
    for number, name in tree.numbered(CPU_DIR, "cpu"):
        package = tree.integer(f"{CPU_DIR}/{name}/topology/physical_package_id")
        if package is not None and package <= MAX_PACKAGE_ID:
            packages[number] = package
    return packages


def cpu_frequencies_mhz(tree: SysfsTree, cpus: list[int]) -> dict[int, float]:
    """Current clock of each of `cpus` in MHz, where the kernel says it."""
    clocks: dict[int, float] = {}
    for cpu in cpus:
        khz = tree.integer(f"{CPU_DIR}/cpu{cpu}/cpufreq/scaling_cur_freq")
        if khz:
            clocks[cpu] = khz / 1000.0
    if clocks or not cpus:
        return clocks
    return _cpuinfo_mhz(tree, set(cpus))


def _cpuinfo_mhz(tree: SysfsTree, wanted: set[int]) -> dict[int, float]:
    text = tree.text("proc/cpuinfo", MAX_CPUINFO_BYTES)
    if text is None:
        return {}
    clocks: dict[int, float] = {}
    processor: int | None = None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "processor":
            processor = int(value) if value.isdigit() and len(value) <= 6 else None
        elif key == "cpu MHz" and processor in wanted:
            try:
                mhz = float(value)
            except ValueError:
                continue
            if 0.0 < mhz < 100_000.0:
                clocks[processor] = mhz
    return clocks
