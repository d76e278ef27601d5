"""Pod-resources benchmark: what the kubelet's socket costs a tick, hung or answering.

Run: .venv/bin/python tests/benchmarks/bench_pod_resources.py [--ticks N] [--calls N]
1. A kubelet that hangs past every deadline, with the watcher's thread stuck in List: the
   nanoseconds of each tick's `device_workloads()` (what the collector calls) against a plain
   dict read measured in the same run, and what one direct List call would cost a tick.
2. A kubelet answering 100 pods x 8 GPUs: List round trip (gRPC, parse, map) against the raw
   round trip of the same bytes (no parse) and the decoding alone, in microseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import grpc  # noqa: E402

from allsmi_py.workloads import pod_resources  # noqa: E402
from allsmi_py.workloads.pod_resources import PodResourcesClient, PodResourcesError  # noqa: E402
from allsmi_py.workloads.pod_resources_pb2 import ListPodResourcesResponse  # noqa: E402
from allsmi_py.workloads.pod_resources_watch import PodResourcesWatcher  # noqa: E402
from tests.allsmi_py.workloads.pod_resources_server import devices, pod, serving  # noqa: E402

DEADLINE_S = 1.0


def _ns_each(fn: Callable[[], object], ticks: int) -> list[int]:
    costs = []
    for _ in range(ticks):
        started = time.perf_counter_ns()
        fn()
        costs.append(time.perf_counter_ns() - started)
    return costs


def hung(ticks: int) -> None:
    entered = threading.Event()

    def stuck(context: grpc.ServicerContext) -> bytes:
        entered.set()
        done = threading.Event()
        context.add_callback(done.set)
        done.wait(60)
        return b""

    with tempfile.TemporaryDirectory(prefix="asmi") as tmp, \
            serving(Path(tmp) / "kubelet.sock", stuck) as path:
        watcher = PodResourcesWatcher(str(path), interval_s=0.01, deadline_s=DEADLINE_S)
        watcher.start()
        entered.wait(10)
        plain: dict[str, tuple[()]] = {}
        baseline = _ns_each(lambda: plain, ticks)
        reads = _ns_each(watcher.device_workloads, ticks)
        client = PodResourcesClient(str(path), deadline_s=DEADLINE_S)
        started = time.perf_counter()
        try:
            client.list_devices()
        except PodResourcesError:
            pass
        direct_s = time.perf_counter() - started
        client.close()
        status = watcher.status
        watcher.close()
    print(f"hung kubelet, {ticks} ticks, watcher thread stuck in List (deadline {DEADLINE_S:g} s)")
    print(f"{'read':<28} {'median ns':>10} {'max ns':>10} {'max/dict max':>13}")
    for name, costs in (("dict read (baseline)", baseline), ("device_workloads()", reads)):
        print(f"{name:<28} {statistics.median(costs):>10.0f} {max(costs):>10} "
              f"{max(costs) / max(baseline):>13.2f}")
    print(f"{'one direct List per tick':<28} {direct_s * 1e9:>10.0f} {'':>10} "
          f"{direct_s * 1e9 / max(baseline):>13.0f}")
    print(f"watcher status: {status}\n")


def node_of(pods: int, gpus: int) -> ListPodResourcesResponse:
    return ListPodResourcesResponse(pod_resources=[
        pod(f"job-{p}", f"team-{p % 10}",
            main=[devices("nvidia.com/gpu", *(f"GPU-{p:04d}{g:04d}-1111-2222-3333-444455556666"
                                              for g in range(gpus)))],
            sidecar=[])
        for p in range(pods)])


def round_trip(calls: int, pods: int = 100, gpus: int = 8) -> None:
    response = node_of(pods, gpus)
    raw = response.SerializeToString()
    with tempfile.TemporaryDirectory(prefix="asmi") as tmp, \
            serving(Path(tmp) / "kubelet.sock", response) as path:
        client = PodResourcesClient(str(path), deadline_s=DEADLINE_S)
        channel = grpc.insecure_channel(f"unix:{path}")
        raw_call = channel.unary_unary(pod_resources.LIST_METHOD,
                                       request_serializer=lambda r: r,
                                       response_deserializer=lambda b: b)
        raw_call(b"", timeout=DEADLINE_S)  # connect once, outside the timing
        mapped = client.list_devices()
        rows = (
            ("raw round trip (baseline)", lambda: raw_call(b"", timeout=DEADLINE_S)),
            ("decode + map only", lambda: pod_resources.device_map(
                ListPodResourcesResponse.FromString(raw))),
            ("List: round trip + map", client.list_devices),
        )
        timed = [(name, [ns / 1000 for ns in _ns_each(fn, calls)]) for name, fn in rows]
        channel.close()
        client.close()
    base = statistics.median(timed[0][1])
    print(f"List of {pods} pods x {gpus} GPUs: {len(raw)} bytes, {len(mapped)} devices mapped, "
          f"{calls} calls")
    print(f"{'call':<28} {'median us':>10} {'p95 us':>10} {'median/raw':>11}")
    for name, costs in timed:
        p95 = statistics.quantiles(costs, n=20)[-1]
        print(f"{name:<28} {statistics.median(costs):>10.0f} {p95:>10.0f} "
              f"{statistics.median(costs) / base:>11.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    hung(args.ticks)
    round_trip(args.calls)


if __name__ == "__main__":
    main()
