"""`allsmi snapshot`: seconds for one reading after start-up, and for the whole command.

Run: .venv/bin/python tests/benchmarks/bench_snapshot_startup.py [--runs 5]
Each run is a fresh interpreter (what a user's shell pays). "reading" times main(['snapshot'])
after `allsmi_py.cli` is imported; "process" is the whole `python -m allsmi_py snapshot`;
"baseline" is `python -c pass` in the same run, the interpreter's own start-up.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READING = ("import time, io, contextlib\nfrom allsmi_py.cli import main\n"
           "t = time.perf_counter()\n"
           "with contextlib.redirect_stdout(io.StringIO()):\n    main(['snapshot'])\n"
           "print(time.perf_counter() - t)")


def _wall(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    reading = [float(subprocess.run([sys.executable, "-c", READING], cwd=ROOT, check=True,
                                    capture_output=True, text=True).stdout.split()[-1])
               for _ in range(runs)]
    process = [_wall([sys.executable, "-m", "allsmi_py", "snapshot"]) for _ in range(runs)]
    baseline = [_wall([sys.executable, "-c", "pass"]) for _ in range(runs)]
    print(f"{'what':<10} {'median s':>9} {'min s':>7}   (of {runs} fresh interpreters)")
    for name, values in (("reading", reading), ("process", process), ("baseline", baseline)):
        print(f"{name:<10} {statistics.median(values):>9.3f} {min(values):>7.3f}")
    print(f"process / baseline: {statistics.median(process) / statistics.median(baseline):.1f}x")


if __name__ == "__main__":
    main()
