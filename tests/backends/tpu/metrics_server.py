"""A real libtpu-style runtime metrics server on 127.0.0.1, port 0, for the gRPC client tests.

`answers` maps a metric name to what the server does with it: a MetricResponse, raw bytes
(sent as they are: garbage on the wire), or a callable run in the handler (to hang or fail).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent import futures
from contextlib import contextmanager

import grpc

from backends.tpu.runtime_metrics_pb2 import (
    Attribute,
    AttrValue,
    Distribution,
    Gauge,
    KeyValueList,
    Metric,
    MetricRequest,
    MetricResponse,
    TPUMetric,
)

Answer = MetricResponse | bytes | Callable[[grpc.ServicerContext], bytes]


def ordinal(value: int | str) -> Attribute:
    """The attribute libtpu puts on HLO metrics: a kvlist holding device_ordinal."""
    inner = AttrValue(int_attr=value) if isinstance(value, int) else AttrValue(string_attr=value)
    pair = Attribute(key="device_ordinal", value=inner)
    return Attribute(key="device", value=AttrValue(kvlist_attr=KeyValueList(attributes=[pair])))


def gauges(name: str, values: Mapping[int, int]) -> MetricResponse:
    """One int gauge per device ordinal."""
    return MetricResponse(metric=TPUMetric(name=name, metrics=[
        Metric(attribute=ordinal(d), gauge=Gauge(as_int=v)) for d, v in values.items()]))


def exponential(counts: list[int], *, mean: float, low: float, high: float,
                scale: float = 1.0, growth: float = 2.0) -> Distribution:
    """A distribution over exponential buckets: bucket i>0 is [scale*g^(i-1), scale*g^i)."""
    options = Distribution.BucketOptions(exponential_buckets=Distribution.BucketOptions.Exponential(
        num_finite_buckets=len(counts) - 2, growth_factor=growth, scale=scale))
    return Distribution(count=sum(counts), mean=mean, min=low, max=high,
                        bucket_options=options, bucket_counts=counts)


def distributions(name: str, values: Mapping[int | str, Distribution]) -> MetricResponse:
    """One distribution per device ordinal."""
    return MetricResponse(metric=TPUMetric(name=name, metrics=[
        Metric(attribute=ordinal(d), distribution=v) for d, v in values.items()]))


@contextmanager
def serving(answers: Mapping[str, Answer]) -> Iterator[str]:
    """Serve `answers` as tpu.monitoring.runtime.RuntimeMetricService; yields 'host:port'."""
    def get_runtime_metric(request: MetricRequest, context: grpc.ServicerContext) -> bytes:
        answer = answers.get(request.metric_name)
        if answer is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"unknown metric {request.metric_name}")
        if callable(answer):
            return answer(context)
        if isinstance(answer, bytes):
            return answer
        return answer.SerializeToString()

    handler = grpc.method_handlers_generic_handler(
        "tpu.monitoring.runtime.RuntimeMetricService",
        {"GetRuntimeMetric": grpc.unary_unary_rpc_method_handler(
            get_runtime_metric, request_deserializer=MetricRequest.FromString,
            response_serializer=lambda raw: raw)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(grace=0)


def hang(seconds: float) -> Callable[[grpc.ServicerContext], bytes]:
    """An answer that never comes in time: waits `seconds` or until the client gives up."""
    def answer(context: grpc.ServicerContext) -> bytes:
        done = threading.Event()
        context.add_callback(done.set)
        done.wait(seconds)
        return b""
    return answer
