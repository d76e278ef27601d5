"""Process table benchmark: what the tree view (`t`) and the host list (`H`) cost.

Run: .venv/bin/python tests/benchmarks/bench_process_table.py [--repeat N]
Prints milliseconds per `tree_order` over N rows (a launcher with workers, chains, and a
cycle) next to the flat sort the table does anyway (the baseline, same rows, same run), and
per `read_host_processes` of this machine's processes (on the worker thread, not the UI's),
with the share of one core the read takes at a 0.25 s and a 2 s refresh.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from allsmi_py.model import ProcessReading  # noqa: E402
from allsmi_py.tui.host_processes import read_host_processes  # noqa: E402
from allsmi_py.tui.widgets.process_tree import tree_order  # noqa: E402
from allsmi_py.tui.widgets.processes import ProcessRow, sort_rows  # noqa: E402

SIZES = (100, 2000, 20000)


def _rows(count: int) -> list[ProcessRow]:
    rows = []
    for pid in range(2, count + 2):
        parent = pid - 1 if pid % 7 else max(1, pid // 8)  # chains and fan-outs
        rows.append(ProcessRow(ProcessReading(pid=pid, ppid=parent,
                                              gpu_memory_bytes=(pid * 7919) % 100_000), "0",
                               None))
    rows.append(ProcessRow(ProcessReading(pid=count + 5, ppid=count + 6), "0", None))
    rows.append(ProcessRow(ProcessReading(pid=count + 6, ppid=count + 5), "0", None))
    return rows


def _best_ms(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - started) / repeat)
    return best * 1e3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    repeat = max(1, parser.parse_args().repeat)
    print(f"{'rows':>7} {'sort ms':>9} {'tree ms':>9} {'tree/sort':>10}")
    for size in SIZES:
        rows = _rows(size)
        flat = sort_rows(rows, "gpu_mem", True)
        sort_ms = _best_ms(lambda: sort_rows(rows, "gpu_mem", True), repeat)  # noqa: B023
        tree_ms = _best_ms(lambda: tree_order(flat), repeat)  # noqa: B023
        print(f"{size:>7} {sort_ms:>9.2f} {tree_ms:>9.2f} {tree_ms / sort_ms:>10.2f}")
    read_host_processes()  # the first read gives psutil its CPU baselines
    count = len(read_host_processes().processes)
    read_ms = _best_ms(read_host_processes, repeat)
    print(f"\nhost read: {count} processes, {read_ms:.1f} ms each (worker thread); "
          f"{read_ms / 250 * 100:.1f} % of a core at 0.25 s, {read_ms / 2000 * 100:.2f} % at 2 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
