"""CPU sensors benchmark: what per-socket readings add to a host reading's tick.

Run: .venv/bin/python tests/benchmarks/bench_cpu_sensors.py [--repeat N]
Builds sysfs trees of 2 sockets with N logical CPUs (coretemp, RAPL, cpufreq) in a temporary
folder and prints microseconds per `CpuSensors.read` with the clocks cached (most ticks) and
with the clocks read again (once a second), next to psutil's per-CPU times on this machine
(the host reader's own cost each tick, the baseline, measured in the same run), and the share
of one core each takes at a 0.25 s and a 2 s refresh.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import psutil  # noqa: E402

from allsmi_py.cpu_sensors import CLOCK_REFRESH_S, CpuSensors  # noqa: E402

SIZES = (8, 64, 256)


def _tree(root: Path, cpus: int) -> None:
    def put(relative: str, text: str) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")

    for cpu in range(cpus):
        base = f"sys/devices/system/cpu/cpu{cpu}"
        put(f"{base}/topology/physical_package_id", str(cpu * 2 // cpus))
        put(f"{base}/cpufreq/scaling_cur_freq", "2400000")
    for package in (0, 1):
        put(f"sys/class/hwmon/hwmon{package}/name", "coretemp")
        put(f"sys/class/hwmon/hwmon{package}/temp1_label", f"Package id {package}")
        put(f"sys/class/hwmon/hwmon{package}/temp1_input", "55000")
        for core in range(2, 2 + cpus // 4):
            put(f"sys/class/hwmon/hwmon{package}/temp{core}_label", f"Core {core}")
            put(f"sys/class/hwmon/hwmon{package}/temp{core}_input", "50000")
        zone = f"sys/class/powercap/intel-rapl:{package}"
        put(f"{zone}/name", f"package-{package}")
        put(f"{zone}/energy_uj", "1000000")
        put(f"{zone}/max_energy_range_uj", "262143328850")


def _best_us(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - started) / repeat)
    return best * 1e6


def _measure(cpus: int, repeat: int) -> tuple[float, float]:
    """Microseconds per read with the clocks cached, and with them read again."""
    with tempfile.TemporaryDirectory() as folder:
        _tree(Path(folder), cpus)
        now = [0.0]
        sensors = CpuSensors(folder, clock=lambda: now[0])
        loads = [10.0] * cpus
        cached = _best_us(lambda: sensors.read(loads), repeat)

        def refreshed() -> object:
            now[0] += CLOCK_REFRESH_S
            return sensors.read(loads)

        return cached, _best_us(refreshed, repeat)


def _share(us: float, interval_s: float) -> str:
    return f"{100.0 * us / 1e6 / interval_s:.3f}%"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    repeat = parser.parse_args().repeat
    baseline = _best_us(lambda: psutil.cpu_times(percpu=True), repeat)
    print(f"baseline psutil.cpu_times(percpu=True), {psutil.cpu_count()} CPUs here: "
          f"{baseline:.0f} us")
    print(f"{'cpus':>5} {'cached us':>10} {'x base':>7} {'refresh us':>11} {'x base':>7} "
          f"{'@0.25s':>8} {'@2s':>8}")
    for cpus in SIZES:
        cached, fresh = _measure(cpus, repeat)
        # a 0.25 s refresh reads clocks on one tick in four; a 2 s one on every tick
        per_tick_fast = (3 * cached + fresh) / 4
        print(f"{cpus:>5} {cached:>10.0f} {cached / baseline:>7.2f} {fresh:>11.0f} "
              f"{fresh / baseline:>7.2f} {_share(per_tick_fast, 0.25):>8} "
              f"{_share(fresh, 2.0):>8}")


if __name__ == "__main__":
    main()
