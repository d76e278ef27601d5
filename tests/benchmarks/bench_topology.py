"""Topology benchmark: what the topology adds to a node's /snapshot in the cluster view.

Run: .venv/bin/python tests/benchmarks/bench_topology.py [--repeat N]
Prints, for simulated nodes (h100:8 is the HGX-like board, 28 links; h100:4 PCIe only),
the /snapshot body size and the time to decode it (NodeSnapshot.from_json) and check it
(checked_snapshot), without the topology (the baseline, measured in the same run) and with
it, and their ratio; then the first NVIDIA topology read over the fake NVML (an HGX H100:
28 ancestor calls and 18 NvLinks a GPU), which real NVML makes slower, once per device set.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from allsmi_py.collector import Collector  # noqa: E402
from allsmi_py.model import NodeSnapshot  # noqa: E402
from allsmi_py.remote.checked import checked_snapshot  # noqa: E402
from backends.mock.backend import MockBackend  # noqa: E402
from backends.nvidia.backend import NvidiaBackend  # noqa: E402
from tests.fakes.nvml_topology import dgx_h100  # noqa: E402


def _best_us(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(20):
            fn()
        best = min(best, (time.perf_counter() - start) / 20)
    return best * 1e6


def _decode_and_check(body: bytes) -> Callable[[], object]:
    return lambda: checked_snapshot(NodeSnapshot.from_json(body))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    repeat = parser.parse_args().repeat
    print(f"{'node':<10}{'bytes':>8}{'+topology':>11}{'decode us':>11}"
          f"{'+topology':>11}{'ratio':>7}")
    for spec in ("h100:8", "h100:4"):
        with_topology = Collector([MockBackend(spec, seed=1)]).tick()
        assert with_topology.topology is not None
        without = dataclasses.replace(with_topology, topology=None)
        plain, full = without.to_json(), with_topology.to_json()
        base = _best_us(_decode_and_check(plain), repeat)
        more = _best_us(_decode_and_check(full), repeat)
        print(f"{spec:<10}{len(plain):>8}{len(full) - len(plain):>11}{base:>11.1f}"
              f"{more:>11.1f}{more / base:>7.2f}")

    def first_read() -> None:
        fake = dgx_h100()
        sys.modules["pynvml"] = fake.module
        backend = NvidiaBackend()
        backend.open()
        backend.read()
        backend.close()

    def later_read(backend: NvidiaBackend) -> Callable[[], object]:
        return backend.read

    first = _best_us(first_read, max(1, repeat // 4))
    sys.modules["pynvml"] = dgx_h100().module
    backend = NvidiaBackend()
    backend.open()
    backend.read()
    later = _best_us(later_read(backend), max(1, repeat // 4))
    backend.close()
    print(f"\nNVIDIA over the fake NVML, 8 GPUs: open + first read {first:.0f} us "
          f"(topology read in it), a later read {later:.0f} us, ratio {first / later:.2f}")


if __name__ == "__main__":
    main()
