"""RuntimeMetricsClient against a real gRPC server on 127.0.0.1: libtpu's HLO figures as a
running workload serves them, and a server that hangs, sends garbage, huge or wrongly typed
values, or is not there at all."""

from __future__ import annotations

import socket
import time

import pytest

pytest.importorskip("grpc")

from backends.tpu.hlo import EXEC_TIMING, QUEUE_SIZE, HloTiming  # noqa: E402
from backends.tpu.runtime_metrics import HloFigures, RuntimeMetricsClient  # noqa: E402
from backends.tpu.runtime_metrics_pb2 import (  # noqa: E402
    Gauge,
    Metric,
    MetricResponse,
    TPUMetric,
)
from tests.backends.tpu.metrics_server import (  # noqa: E402
    distributions,
    exponential,
    gauges,
    hang,
    ordinal,
    serving,
)

# 100 HLO runs of a few milliseconds on each chip: buckets [2^(i-1), 2^i) µs
_COUNTS = [0] * 12 + [60, 30, 9, 0, 1] + [0] * 4


def workload() -> dict[str, MetricResponse]:
    """What libtpu serves for four v4 chips while a JAX job runs."""
    timing = exponential(_COUNTS, mean=4210.5, low=2100.0, high=40000.0)
    return {
        QUEUE_SIZE: gauges(QUEUE_SIZE, {0: 0, 1: 2, 2: 1, 3: 0}),
        EXEC_TIMING: distributions(EXEC_TIMING, {0: timing, 1: timing, "2": timing, "3": timing}),
    }


def client(address: str, timeout_s: float = 2.0) -> RuntimeMetricsClient:
    return RuntimeMetricsClient(address, timeout_s=timeout_s)


def test_a_workload_gives_queue_and_percentiles_per_device() -> None:
    with serving(workload()) as address:
        c = client(address)
        try:
            figures = c.fetch()
        finally:
            c.close()
    assert sorted(figures) == [0, 1, 2, 3]
    assert [figures[d].queue_size for d in range(4)] == [0, 2, 1, 0]
    timing = figures[2].timing  # its ordinal came as the string "2"
    assert timing is not None
    assert timing.mean_us == 4210.5
    # p50: 50 of 100 runs, within [2048, 4096) holding 60 -> 2048 + 2048 * 50/60
    assert timing.p50_us == pytest.approx(2048 + 2048 * 50 / 60)
    assert timing.p90_us == pytest.approx(8192.0)  # the top of [4096, 8192)
    assert timing.p95_us == pytest.approx(8192 + 8192 * 5 / 9)
    assert timing.p999_us == 40000.0  # in [32768, 65536), but no run took longer than max
    assert c.last_error is None


def test_no_server_is_empty_at_once() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    c = client(f"127.0.0.1:{port}")
    try:
        start = time.monotonic()
        assert c.fetch() == {}
        elapsed = time.monotonic() - start
    finally:
        c.close()
    assert c.last_error is not None and "UNAVAILABLE" in c.last_error
    assert elapsed < 2.0  # did not wait out a deadline for the second metric


def test_a_hanging_server_is_cut_at_the_deadline() -> None:
    with serving({QUEUE_SIZE: hang(10.0), EXEC_TIMING: hang(10.0)}) as address:
        c = client(address, timeout_s=0.3)
        try:
            start = time.monotonic()
            assert c.fetch() == {}
            elapsed = time.monotonic() - start
        finally:
            c.close()
    assert c.last_error is not None and "DEADLINE_EXCEEDED" in c.last_error
    assert elapsed < 5.0


def test_garbage_on_the_wire_is_no_figure() -> None:
    answers = {QUEUE_SIZE: b"\xff\xfe\x00garbage" * 10, EXEC_TIMING: b"\x0a\xff\xff\xff\xff"}
    with serving(answers) as address:
        c = client(address)
        try:
            assert c.fetch() == {}
        finally:
            c.close()
    assert c.last_error is not None


def test_an_answer_over_the_size_cap_is_refused() -> None:
    huge = MetricResponse(metric=TPUMetric(name=QUEUE_SIZE, description="x" * (2 << 20)))
    with serving({QUEUE_SIZE: huge, EXEC_TIMING: huge}) as address:
        c = client(address)
        try:
            assert c.fetch() == {}
        finally:
            c.close()
    assert c.last_error is not None and "RESOURCE_EXHAUSTED" in c.last_error


def test_one_metric_failing_keeps_the_other() -> None:
    answers = workload()
    del answers[EXEC_TIMING]  # older libtpu: NOT_FOUND for the distribution
    with serving(answers) as address:
        c = client(address)
        try:
            figures = c.fetch()
        finally:
            c.close()
    assert figures[1] == HloFigures(queue_size=2, timing=None)
    assert c.last_error is not None and "NOT_FOUND" in c.last_error


def test_huge_and_wrongly_typed_values_are_dropped_one_by_one() -> None:
    queue = MetricResponse(metric=TPUMetric(name=QUEUE_SIZE, metrics=[
        Metric(attribute=ordinal(0), gauge=Gauge(as_int=2**62)),           # past any queue
        Metric(attribute=ordinal(1), gauge=Gauge(as_double=float("nan"))),
        Metric(attribute=ordinal(2), gauge=Gauge(as_string="12")),          # wrong type
        Metric(attribute=ordinal(3), gauge=Gauge(as_int=-1)),               # a sentinel
        Metric(attribute=ordinal("x"), gauge=Gauge(as_int=1)),              # no ordinal
        Metric(attribute=ordinal(4), gauge=Gauge(as_double=3.0)),           # fine
    ]))
    wild = exponential(_COUNTS, mean=1e300, low=2100.0, high=40000.0)
    negative = exponential([5, -3, 2], mean=10.0, low=1.0, high=3.0)
    timing = distributions(EXEC_TIMING, {0: wild, 1: negative})
    with serving({QUEUE_SIZE: queue, EXEC_TIMING: timing}) as address:
        c = client(address)
        try:
            figures = c.fetch()
        finally:
            c.close()
    assert {d: f.queue_size for d, f in figures.items()} == {0: None, 1: None, 4: 3}
    zero = figures[0].timing
    assert zero is not None and zero.mean_us is None and zero.p50_us is not None
    assert figures[1].timing == HloTiming(10.0, None, None, None, None)
