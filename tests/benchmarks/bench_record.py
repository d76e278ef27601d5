"""What `allsmi record` costs on a 1024-node x 8-GPU cluster at 10 s: bytes and CPU a frame.

Run: .venv/bin/python -m tests.benchmarks.bench_record [--nodes N] [--rounds N]
Frames are rounds of seeded mock H100 x8 nodes 10 s apart (the cluster view's factory), so
every reading moves between frames as on a busy cluster, and each round some devices gain or
lose a process or a throttle reason. Per frame, with process CPU time:
  json       encoding the snapshot JSON alone: the baseline (`allsmi snapshot --hosts` pays it)
  v1         schema version 1: every frame the whole JSON, zstd level 9
  v2         schema version 2: a keyframe every --keyframe-every frames, delta frames between;
             record = what the recorder adds beyond the poll (to_plain, cutting into units,
             the delta, zstd, the write and flush to disk)
  replay     sequential: the next frame from the one before (one delta); seek: a frame from
             its keyframe, decoded on the parsed document, the snapshot built once at the end
The issue's budgets: 24 h (8640 frames at 10 s) under 2 GB, and record under 5 % of one core
at 10 s (0.5 s a frame) beyond the poll. Not a pytest module: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import zstandard

from allsmi_py.model import ClusterSnapshot
from allsmi_py.recording.flatten import collector_paused
from allsmi_py.recording.format import RECORD_HEAD, RecordingHeader
from allsmi_py.recording.reader import Recording
from allsmi_py.recording.writer import (
    DEFAULT_KEYFRAME_EVERY,
    DEFAULT_LEVEL,
    RecordingWriter,
    frame_json,
)
from allsmi_py.serialize import decode_json_as
from tests.allsmi_py.tui.cluster_factories import cluster_rounds

INTERVAL_S = 10.0
FRAMES_PER_DAY = int(86400 / INTERVAL_S)
SIZE_BUDGET_BYTES = 2 * 10**9
CPU_BUDGET_PCT = 5.0
LEVELS = (1, 3, DEFAULT_LEVEL, 12, 15)
T = TypeVar("T")


def _cpu(fn: Callable[..., T], *args: object) -> tuple[float, T]:
    start = time.process_time()
    result = fn(*args)
    return time.process_time() - start, result


def _levels(bodies: list[bytes]) -> None:
    print(f"\nzstd level per whole frame (v1 frames, v2 keyframes; JSON "
          f"{statistics.mean(map(len, bodies)) / 1e6:.2f} MB):")
    print(f"{'level':>5} {'bytes/frame':>12} {'ratio':>6} {'zstd CPU ms':>12} {'v1 24 h GB':>11}")
    for level in LEVELS:
        compressor = zstandard.ZstdCompressor(level=level)
        sizes, cpus = [], []
        for body in bodies:
            cpu, out = _cpu(compressor.compress, body)
            sizes.append(len(out))
            cpus.append(cpu)
        size = statistics.mean(sizes)
        mark = "  <- default" if level == DEFAULT_LEVEL else ""
        print(f"{level:>5} {size:>12,.0f} {statistics.mean(map(len, bodies)) / size:>6.1f} "
              f"{statistics.mean(cpus) * 1e3:>12.1f} {size * FRAMES_PER_DAY / 1e9:>11.2f}{mark}")


def _day(keyframe: float, delta: float, every: int) -> float:
    """Bytes of 24 h at 10 s: a keyframe every `every` frames, delta frames between."""
    keyframes = FRAMES_PER_DAY / every
    return keyframes * keyframe + (FRAMES_PER_DAY - keyframes) * delta


def _ok(value: float, budget: float) -> str:
    return "ok" if value < budget else f"OVER by {(value / budget - 1) * 100:.0f} %"


def _record(rounds: Iterable[ClusterSnapshot], path: Path, every: int) -> dict[str, Any]:
    """Record `rounds` into `path` (v2) while measuring the JSON and v1 of the same frames."""
    measured: dict[str, Any] = {"json_cpu": [], "json_bytes": [], "v1_cpu": [], "v1_bytes": [],
                                "v2_cpu": [], "v2_bytes": [], "bodies": []}
    v1 = zstandard.ZstdCompressor(level=DEFAULT_LEVEL)
    writer: RecordingWriter | None = None
    for cluster in rounds:
        if writer is None:
            writer = RecordingWriter(path, RecordingHeader(
                "cluster", INTERVAL_S, cluster.taken_at_s, "bench"), keyframe_every=every)
        cpu, body = _cpu(frame_json, cluster)
        measured["json_cpu"].append(cpu)
        measured["json_bytes"].append(len(body))
        if len(measured["bodies"]) < 3:
            measured["bodies"].append(body)
        cpu, payload = _cpu(lambda c: v1.compress(frame_json(c)), cluster)
        measured["v1_cpu"].append(cpu)
        measured["v1_bytes"].append(RECORD_HEAD.size + len(payload))
        cpu, size = _cpu(writer.append, cluster)
        measured["v2_cpu"].append(cpu)
        measured["v2_bytes"].append(size)
    assert writer is not None
    writer.close()
    with Recording(path) as recording:
        measured["kinds"] = bytes(recording._kinds)
    return measured


def _replay(path: Path) -> tuple[list[float], float, float]:
    """Sequential CPU per frame (snapshot built), seeking to the last frame from nothing
    decoded, and building the last frame's snapshot alone (the part a seek pays once)."""
    with Recording(path) as recording:
        sequential = [_cpu(recording.snapshot, i)[0] for i in range(len(recording))]
        body = recording.frame_json(len(recording) - 1)
        with collector_paused():
            build, _ = _cpu(decode_json_as, ClusterSnapshot, body)
    with Recording(path) as recording:
        seek, _ = _cpu(recording.snapshot, len(recording) - 1)
    return sequential, seek, build


def _split(values: list[float] | list[int], kinds: bytes) -> tuple[float, float]:
    keys = [v for v, k in zip(values, kinds, strict=True) if k == ord("K")]
    deltas = [v for v, k in zip(values, kinds, strict=True) if k == ord("D")]
    return statistics.mean(keys), statistics.mean(deltas) if deltas else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=DEFAULT_KEYFRAME_EVERY,
                        help="frames to record (default: a keyframe and its deltas)")
    parser.add_argument("--keyframe-every", type=int, default=DEFAULT_KEYFRAME_EVERY)
    args = parser.parse_args()
    every = args.keyframe_every
    print(f"recording {args.rounds} rounds of {args.nodes} nodes x 8 GPUs ...", flush=True)
    rounds = cluster_rounds(nodes=args.nodes, spec="h100:8", rounds=args.rounds,
                            step_s=INTERVAL_S, lazy=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.rec"
        measured = _record(rounds, path, every)
        sequential, seek, build = _replay(path)
    kinds: bytes = measured["kinds"]
    key_bytes, delta_bytes = _split(measured["v2_bytes"], kinds)
    key_cpu, delta_cpu = _split(measured["v2_cpu"], kinds)
    replay_key, replay_delta = _split(sequential, kinds)
    base = statistics.mean(measured["json_cpu"])
    v1_day = statistics.mean(measured["v1_bytes"]) * FRAMES_PER_DAY
    v2_day = _day(key_bytes, delta_bytes, every)
    v2_cpu = (key_cpu + (every - 1) * delta_cpu) / every
    pct = v2_cpu / INTERVAL_S * 100
    deltas = kinds.count(b"D")
    print(f"\n{args.nodes} nodes x 8 GPUs, {len(kinds)} frames ({kinds.decode()}), zstd level "
          f"{DEFAULT_LEVEL}, a keyframe every {every}:")
    print(f"{'':<36} {'value':>12} {'budget':>10}")
    print(f"{'JSON bytes/frame':<36} {statistics.mean(measured['json_bytes']):>12,.0f}")
    print(f"{'v1 bytes/frame':<36} {statistics.mean(measured['v1_bytes']):>12,.0f}")
    print(f"{'v2 keyframe bytes':<36} {key_bytes:>12,.0f}")
    print(f"{'v2 delta frame bytes':<36} {delta_bytes:>12,.0f}")
    print(f"{'v2 bytes/frame, averaged':<36} {v2_day / FRAMES_PER_DAY:>12,.0f}")
    print(f"{'v1 24 h at 10 s, GB':<36} {v1_day / 1e9:>12.2f} {SIZE_BUDGET_BYTES / 1e9:>10.1f}"
          f"  {_ok(v1_day, SIZE_BUDGET_BYTES)}")
    print(f"{'v2 24 h at 10 s, GB':<36} {v2_day / 1e9:>12.2f} {SIZE_BUDGET_BYTES / 1e9:>10.1f}"
          f"  {_ok(v2_day, SIZE_BUDGET_BYTES)}")
    print(f"{'json CPU ms/frame (baseline)':<36} {base * 1e3:>12.1f}")
    print(f"{'v1 record CPU ms/frame':<36} {statistics.mean(measured['v1_cpu']) * 1e3:>12.1f}")
    print(f"{'v2 record CPU ms, keyframe':<36} {key_cpu * 1e3:>12.1f}")
    print(f"{'v2 record CPU ms, delta frame':<36} {delta_cpu * 1e3:>12.1f}")
    print(f"{'v2 record CPU ms/frame, averaged':<36} {v2_cpu * 1e3:>12.1f}   "
          f"({v2_cpu / base:.2f}x the JSON)")
    print(f"{'v2 record % of a core at 10 s':<36} {pct:>12.2f} {CPU_BUDGET_PCT:>10.1f}"
          f"  {_ok(pct, CPU_BUDGET_PCT)}")
    print(f"{'replay ms, sequential keyframe':<36} {replay_key * 1e3:>12.1f}")
    print(f"{'replay ms, sequential delta frame':<36} {replay_delta * 1e3:>12.1f}")
    print(f"{'  of which building the snapshot':<36} {build * 1e3:>12.1f}")
    print(f"{f'replay ms, seek over {deltas} deltas':<36} {seek * 1e3:>12.1f}")
    if deltas < every - 1:
        worst = seek + (every - 1 - deltas) * max(replay_delta - build, 0.0)
        print(f"{f'replay ms, seek over {every - 1} (projected)':<36} {worst * 1e3:>12.1f}")
    _levels(measured["bodies"])


if __name__ == "__main__":
    main()
