"""Our exposition tokenizer and node parser vs prometheus-client's parser, per sample.

Run: .venv/bin/python -m tests.benchmarks.bench_remote_parse
"""

from __future__ import annotations

import time

from prometheus_client.parser import text_string_to_metric_families

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import NodeSnapshot
from allsmi_py.remote import exposition
from allsmi_py.remote.parse import parse_node_text
from backends.mock.backend import MockBackend


def _per_call(fn: object, arg: str, seconds: float = 1.0) -> float:
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn(arg)  # type: ignore[operator]
        calls += 1
    return (time.perf_counter() - start) / calls


def main() -> None:
    print(f"{'body':<18} {'samples':>7} {'prom-client us/s':>17} {'ours cold':>10}"
          f" {'ours warm':>10} {'node warm':>10} {'speedup':>8}")
    for spec in ("h100:8", "h100:1", "a100:8"):
        devices = MockBackend(spec=spec, seed=1, node="node-0001").read()
        snap = NodeSnapshot(hostname="node-0001", taken_at_s=time.time(), devices=tuple(devices))
        for processes in (False, True):
            text = render_prometheus(snap, include_processes=processes)
            n = len(exposition.parse_samples(text))
            oracle = _per_call(lambda t: list(text_string_to_metric_families(t)), text) / n

            def cold(t: str) -> object:
                exposition._BLOCK_CACHE.clear()
                return exposition.parse_samples(t)
            ours_cold = _per_call(cold, text) / n
            ours_warm = _per_call(exposition.parse_samples, text) / n
            node = _per_call(parse_node_text, text) / n
            label = f"{spec}{' +proc' if processes else ''}"
            print(f"{label:<18} {n:>7} {oracle * 1e6:>17.2f} {ours_cold * 1e6:>10.2f}"
                  f" {ours_warm * 1e6:>10.2f} {node * 1e6:>10.2f} {oracle / ours_warm:>7.1f}x")


if __name__ == "__main__":
    main()
