"""What `allsmi record` costs on a 1024-node x 8-GPU cluster at 10 s: bytes and CPU a frame.

Run: .venv/bin/python -m tests.benchmarks.bench_record [--nodes N] [--rounds N]
Frames are rounds of seeded mock H100 x8 nodes 10 s apart (the cluster view's factory), so
every reading moves between frames as on a busy cluster. Per frame, with process CPU time:
  json       encoding the snapshot JSON alone: the baseline (`allsmi snapshot --hosts` pays it)
  record     what the recorder adds beyond the poll: JSON, zstd, the write and flush to disk
  replay     reading one frame back: checksum, decompress, decode to a ClusterSnapshot
The issue's budgets: 24 h (8640 frames at 10 s) under 2 GB, and record under 5 % of one core
at 10 s (0.5 s a frame) beyond the poll. Not a pytest module: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import zstandard

from allsmi_py.model import ClusterSnapshot
from allsmi_py.recording.format import RecordingHeader
from allsmi_py.recording.reader import Recording
from allsmi_py.recording.writer import DEFAULT_LEVEL, RecordingWriter, frame_json
from allsmi_py.serialize import to_plain
from tests.allsmi_py.tui.cluster_factories import cluster_rounds

INTERVAL_S = 10.0
FRAMES_PER_DAY = int(86400 / INTERVAL_S)
SIZE_BUDGET_BYTES = 2 * 10**9
CPU_BUDGET_PCT = 5.0
LEVELS = (1, 3, DEFAULT_LEVEL, 12, 15)


def _cpu(fn: object, *args: object) -> tuple[float, object]:
    start = time.process_time()
    result = fn(*args)  # type: ignore[operator]
    return time.process_time() - start, result


def _levels(bodies: list[bytes]) -> None:
    print(f"\nzstd level per frame (JSON {statistics.mean(map(len, bodies)) / 1e6:.2f} MB):")
    print(f"{'level':>5} {'bytes/frame':>12} {'ratio':>6} {'zstd CPU ms':>12} {'24 h GB':>8}")
    for level in LEVELS:
        compressor = zstandard.ZstdCompressor(level=level)
        sizes, cpus = [], []
        for body in bodies:
            cpu, out = _cpu(compressor.compress, body)
            sizes.append(len(out))  # type: ignore[arg-type]
            cpus.append(cpu)
        size = statistics.mean(sizes)
        mark = "  <- default" if level == DEFAULT_LEVEL else ""
        print(f"{level:>5} {size:>12,.0f} {statistics.mean(map(len, bodies)) / size:>6.1f} "
              f"{statistics.mean(cpus) * 1e3:>12.1f} {size * FRAMES_PER_DAY / 1e9:>8.2f}{mark}")


def _columns(plain: dict[str, Any]) -> dict[tuple[Any, ...], Any]:
    """Every leaf of a cluster document keyed by (address, uuid, pid, field), for the sketches."""
    out: dict[tuple[Any, ...], Any] = {}
    for node in plain["nodes"]:
        address = node["status"]["address"]
        snap = node.get("snapshot") or {}
        for key, value in snap.items():
            if key != "devices":
                out[(address, key)] = orjson.dumps(value).decode()
        for device in snap.get("devices", []):
            for key, value in device.items():
                if key != "processes":
                    out[(address, device["uuid"], key)] = value if isinstance(
                        value, int | float | str) else orjson.dumps(value).decode()
            for process in device.get("processes", []):
                for key, value in process.items():
                    out[(address, device["uuid"], process["pid"], key)] = value
    return out


def _alternatives(rounds: list[ClusterSnapshot]) -> None:
    """Sizes of two other layouts, to weigh against the budget; neither is the file format."""
    compressor = zstandard.ZstdCompressor(level=DEFAULT_LEVEL)
    previous, current = (_columns(to_plain(c)) for c in rounds[-2:])
    by_field: dict[str, list[Any]] = {}
    deltas: dict[str, list[Any]] = {}
    for key, value in current.items():
        by_field.setdefault(key[-1], []).append(value)
        old = previous.get(key)
        if _number(value) and _number(old):
            delta = value - old
            deltas.setdefault(key[-1], []).append(round(delta, 6) if isinstance(delta, float)
                                                  else delta)
        else:
            deltas.setdefault(key[-1], []).append(None if old == value else value)
    print("\nother layouts of the last frame (zstd level 9; NOT what the recorder writes):")
    print(f"{'layout':<52} {'bytes/frame':>12} {'24 h GB':>8}")
    for name, doc in (("columns by field, self-contained", by_field),
                      ("columns of deltas to the frame before (needs it)", deltas)):
        size = len(compressor.compress(orjson.dumps(doc)))
        print(f"{name:<52} {size:>12,} {size * FRAMES_PER_DAY / 1e9:>8.2f}")


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    print(f"building {args.rounds} rounds of {args.nodes} nodes x 8 GPUs ...", flush=True)
    rounds: list[ClusterSnapshot] = list(cluster_rounds(
        nodes=args.nodes, spec="h100:8", rounds=args.rounds, step_s=INTERVAL_S))
    json_cpu = [_cpu(frame_json, cluster)[0] for cluster in rounds]
    bodies = [frame_json(cluster) for cluster in rounds]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.rec"
        header = RecordingHeader("cluster", INTERVAL_S, rounds[0].taken_at_s, "bench")
        record_cpu, frame_bytes = [], []
        with RecordingWriter(path, header) as writer:
            for cluster in rounds:
                cpu, size = _cpu(writer.append, cluster)
                record_cpu.append(cpu)
                frame_bytes.append(size)
        with Recording(path) as recording:
            replay_cpu = [_cpu(recording.snapshot, i)[0] for i in range(len(recording))]
    base, cost = statistics.mean(json_cpu), statistics.mean(record_cpu)
    size = statistics.mean(frame_bytes)
    day = size * FRAMES_PER_DAY
    pct = cost / INTERVAL_S * 100
    print(f"\n{args.nodes} nodes x 8 GPUs, {len(rounds)} frames, level {DEFAULT_LEVEL}:")
    print(f"{'':<28} {'value':>12} {'budget':>10}")
    print(f"{'JSON bytes/frame':<28} {statistics.mean(map(len, bodies)):>12,.0f}")
    print(f"{'recorded bytes/frame':<28} {size:>12,.0f}")
    print(f"{'24 h at 10 s, GB':<28} {day / 1e9:>12.2f} {SIZE_BUDGET_BYTES / 1e9:>10.1f}"
          f"  {'ok' if day < SIZE_BUDGET_BYTES else 'OVER'}")
    print(f"{'json CPU ms/frame (base)':<28} {base * 1e3:>12.1f}")
    print(f"{'record CPU ms/frame':<28} {cost * 1e3:>12.1f}   ({cost / base:.2f}x the JSON)")
    print(f"{'record % of a core at 10 s':<28} {pct:>12.2f} {CPU_BUDGET_PCT:>10.1f}"
          f"  {'ok' if pct < CPU_BUDGET_PCT else 'OVER'}")
    print(f"{'replay CPU ms/frame':<28} {statistics.mean(replay_cpu) * 1e3:>12.1f}")
    _levels(bodies)
    _alternatives(rounds)


if __name__ == "__main__":
    main()
