"""Workloads benchmark: what containers and pods add to a collector tick (issue 16: < 2 ms).

Run: .venv/bin/python tests/benchmarks/bench_workloads.py [--repeat N]
Builds a /proc of N processes in a temporary folder (cgroup files of every runtime, a kubelet
log tree naming their pods) and ticks a collector over a backend of 8 GPUs holding them:
without workloads (the baseline, measured in the same run), the first tick with them (cold:
every cgroup read and parsed) and the steady ticks (warm: the same processes again), plus
`WorkloadAttacher.attach` alone, cold and warm, and cold over this machine's own /proc.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from allsmi_py.backend import Backend  # noqa: E402
from allsmi_py.collector import Collector  # noqa: E402
from allsmi_py.model import DeviceReading, ProcessReading  # noqa: E402
from allsmi_py.model_workload import WorkloadReading  # noqa: E402
from allsmi_py.workloads.attach import DeviceWorkloads, WorkloadAttacher  # noqa: E402
from allsmi_py.workloads.kubelet_names import KubeletNames  # noqa: E402
from allsmi_py.workloads.processes import ProcessWorkloads  # noqa: E402

SIZES = (50, 200, 1000)
GPUS = 8
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cgroup"


def _cgroup(pid: int) -> str:
    container = f"{pid:064x}"
    uid = f"{pid:08x}-0000-4000-8000-000000000000"
    kind = pid % 4
    if kind == 0:
        return f"0::/system.slice/docker-{container}.scope\n"
    if kind == 1:
        return ("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
                f"{uid.replace('-', '_')}.slice/cri-containerd-{container}.scope\n")
    if kind == 2:
        return (FIXTURES / "docker/v1_cgroupfs.cgroup").read_text()  # 13 lines of cgroup v1
    return "0::/user.slice/user-1000.slice/session-2.scope\n"


def _tree(root: Path, processes: int) -> None:
    (root / "var/log/containers").mkdir(parents=True)
    (root / "var/log/pods").mkdir(parents=True)
    for pid in range(1000, 1000 + processes):
        folder = root / "proc" / str(pid)
        folder.mkdir(parents=True)
        (folder / "cgroup").write_text(_cgroup(pid))
        if pid % 4 == 1:
            uid = f"{pid:08x}-0000-4000-8000-000000000000"
            (root / f"var/log/pods/ml_job-{pid}_{uid}").mkdir()
            (root / f"var/log/containers/job-{pid}_ml_main-{pid:064x}.log").write_text("")


class Gpus(Backend):
    name = "bench"

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids

    def read(self) -> list[DeviceReading]:
        return _devices(self.pids)


def _devices(pids: list[int]) -> list[DeviceReading]:
    per_gpu = [pids[i::GPUS] for i in range(GPUS)]
    return [DeviceReading(backend="bench", index=i, uuid=f"GPU-{i:04d}", name="gpu",
                          processes=tuple(ProcessReading(pid=pid, started_at_s=1.0 + pid)
                                          for pid in chunk))
            for i, chunk in enumerate(per_gpu)]


class PodMap:
    def __init__(self) -> None:
        holder = WorkloadReading(container="main", pod="job-0", namespace="ml")
        self.map: DeviceWorkloads = {f"GPU-{i:04d}": (holder,) for i in range(GPUS)}

    def device_workloads(self) -> DeviceWorkloads:
        return self.map

    def close(self) -> None:
        pass


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    return _paired_ms([fn], repeat)[0]


def _paired_ms(fns: list[Callable[[], object]], repeat: int) -> list[float]:
    """Median ms of each, run in turns so that the load of a shared machine hits all alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, spent in zip(fns, times, strict=True):
            started = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - started)
    return [statistics.median(spent) * 1e3 for spent in times]


def _attacher(root: str) -> WorkloadAttacher:
    return WorkloadAttacher(ProcessWorkloads(root), KubeletNames(root))


def _measure(processes: int, repeat: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        _tree(root, processes)
        pids = list(range(1000, 1000 + processes))
        devices = _devices(pids)
        pods = PodMap()
        plain = Collector([Gpus(pids)], deadline_s=5.0)

        def cold_tick() -> object:
            return Collector([Gpus(pids)], deadline_s=5.0, pod_devices=pods,
                             workloads=_attacher(folder)).tick()

        def plain_new_tick() -> object:
            return Collector([Gpus(pids)], deadline_s=5.0).tick()

        plain_new, cold = _paired_ms([plain_new_tick, cold_tick], max(5, repeat // 5))
        warm_collector = Collector([Gpus(pids)], deadline_s=5.0, pod_devices=pods,
                                   workloads=_attacher(folder))
        warm_collector.tick()
        baseline, warm = _paired_ms([plain.tick, warm_collector.tick], repeat)
        attach_cold = _median_ms(lambda: _attacher(folder).attach(devices, (), pods),
                                 max(3, repeat // 10))
        steady = _attacher(folder)
        steady.attach(devices, (), pods)
        attach_warm = _median_ms(lambda: steady.attach(devices, (), pods), repeat)
    return {"baseline": baseline, "cold": cold, "cold_added": cold - plain_new, "warm": warm,
            "attach_cold": attach_cold, "attach_warm": attach_warm}


def _this_machine(repeat: int) -> tuple[int, float, float]:
    pids = sorted(int(name) for name in os.listdir("/proc") if name.isdigit())[:200]
    devices = _devices(pids)
    cold = _median_ms(lambda: _attacher("/").attach(devices, ()), max(3, repeat // 10))
    steady = _attacher("/")
    steady.attach(devices, ())
    return len(pids), cold, _median_ms(lambda: steady.attach(devices, ()), repeat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=100)
    repeat = parser.parse_args().repeat
    print(f"collector tick over {GPUS} GPUs, median ms; added = tick with workloads - the same "
          "tick without (a new collector for cold)")
    print(f"{'procs':>6} {'baseline':>9} {'cold':>8} {'added':>7} {'warm':>8} {'added':>7} "
          f"{'attach cold':>12} {'attach warm':>12} {'warm/base':>10}")
    for processes in SIZES:
        m = _measure(processes, repeat)
        print(f"{processes:>6} {m['baseline']:>9.3f} {m['cold']:>8.3f} "
              f"{m['cold_added']:>7.3f} {m['warm']:>8.3f} "
              f"{m['warm'] - m['baseline']:>7.3f} {m['attach_cold']:>12.3f} "
              f"{m['attach_warm']:>12.3f} {m['warm'] / m['baseline']:>10.2f}")
    count, cold, warm = _this_machine(repeat)
    print(f"this machine's /proc, {count} processes: attach cold {cold:.3f} ms, "
          f"warm {warm:.3f} ms")


if __name__ == "__main__":
    main()
