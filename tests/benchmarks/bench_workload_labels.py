"""What the container/pod labels cost the exporter and the view (issue 16 item 4).

Run: .venv/bin/python -m tests.benchmarks.bench_workload_labels [--processes N]
One node of 8 devices and N processes (default 200), every process in a pod and every
device held by two pods, against the same node without workloads (the baseline, measured in
the same run): render_prometheus, parse_node_text and /snapshot JSON to a checked snapshot.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import DeviceReading, NodeSnapshot, ProcessReading, WorkloadReading
from allsmi_py.remote.nodes import snapshot_from_json
from allsmi_py.remote.parse import parse_node_text


def _node(processes: int, workloads: bool) -> NodeSnapshot:
    devices = []
    for i in range(8):
        pods = tuple(WorkloadReading(container="trainer", pod=f"train-{i}-{j}", namespace="ml")
                     for j in range(2)) if workloads else ()
        procs = tuple(ProcessReading(
            pid=1000 + i * processes + k, name="python", user="alice",
            command="python train.py --config big.yaml", gpu_memory_bytes=1 << 30, cpu_pct=50.0,
            started_at_s=1_700_000_000.0,
            workload=WorkloadReading(runtime="containerd", container_id=f"{k:064x}",
                                     container="trainer", pod=f"train-{i}-{k % 2}",
                                     namespace="ml") if workloads else None)
            for k in range(processes // 8))
        devices.append(DeviceReading(backend="mock", index=i, uuid=f"GPU-{i}", name="H100",
                                     utilization_pct=50.0, memory_used_bytes=1 << 34,
                                     processes=procs, workloads=pods))
    return NodeSnapshot(hostname="node-1", taken_at_s=time.time(), devices=tuple(devices))


def _best_ms(fn: Callable[[], object], repeat: int = 20) -> float:
    best = float("inf")
    for _ in range(7):
        started = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - started) / repeat)
    return best * 1e3


def _steps(snap: NodeSnapshot) -> dict[str, tuple[Callable[[], object], int]]:
    """Each measured step of one node: the call, and the size of what it reads or writes."""
    text = render_prometheus(snap, include_processes=True)
    body = snap.to_json()
    return {
        "render_prometheus +proc": (lambda: render_prometheus(snap, include_processes=True),
                                    len(text)),
        "parse_node_text +proc": (lambda: parse_node_text(text), len(text)),
        "/snapshot JSON -> checked": (lambda: snapshot_from_json(body), len(body)),
    }


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=200)
    args = parser.parse_args()
    plain = _steps(_node(args.processes, workloads=False))
    held = _steps(_node(args.processes, workloads=True))
    print(f"8 devices, {args.processes} processes; ms per call (best of 7 x 20, "
          "baseline and workloads measured in turn)")
    print(f"{'step':<28} {'no workloads':>13} {'workloads':>10} {'ratio':>6} {'bytes':>17}")
    for step, (base_fn, base_size) in plain.items():
        cost_fn, cost_size = held[step]
        base, cost = _best_ms(base_fn), _best_ms(cost_fn)
        base, cost = min(base, _best_ms(base_fn)), min(cost, _best_ms(cost_fn))
        print(f"{step:<28} {base:>13.2f} {cost:>10.2f} {cost / base:>5.2f}x "
              f"{base_size:>7} -> {cost_size:>7}")


if __name__ == "__main__":
    main()
