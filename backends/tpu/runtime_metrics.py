"""A gRPC client for libtpu's runtime metrics service: the HLO figures of each device.

libtpu serves `tpu.monitoring.runtime.RuntimeMetricService` on localhost:8431 while a JAX or
TensorFlow workload runs; with no workload nothing listens and `fetch` gives {} at once. This
module needs the optional `tpu` extra (grpcio, protobuf); backends.tpu.backend imports it only
when that is installed. It is called from TpuBackend's own thread, never
from a tick; each request has a deadline and each answer a size cap.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from backends.tpu import hlo
from backends.tpu.runtime_metrics_pb2 import MetricRequest, MetricResponse

ADDRESS = "localhost:8431"
METHOD = "/tpu.monitoring.runtime.RuntimeMetricService/GetRuntimeMetric"
TIMEOUT_S = 2.0  # all-smi's request timeout
MAX_MESSAGE_BYTES = 1024 * 1024  # a distribution per device is a few hundred bytes


@dataclass(frozen=True, slots=True)
class HloFigures:
    """One device's HLO queue and execution times; None where libtpu did not tell."""

    queue_size: int | None = None
    timing: hlo.HloTiming | None = None


class RuntimeMetricsClient:
    """Asks one libtpu metrics server; keeps one channel, which gRPC reconnects by itself."""

    def __init__(self, address: str = ADDRESS, timeout_s: float = TIMEOUT_S) -> None:
        self.address = address
        self.timeout_s = timeout_s
        self._channel = grpc.insecure_channel(address, options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.enable_retries", 0),
            ("grpc.initial_reconnect_backoff_ms", 1000),
            # a workload started later is seen within a refresh or two, not gRPC's 120 s
            ("grpc.max_reconnect_backoff_ms", 10_000),
        ])
        self._call = self._channel.unary_unary(
            METHOD, request_serializer=MetricRequest.SerializeToString,
            response_deserializer=MetricResponse.FromString)
        self.last_error: str | None = None

    def _ask(self, name: str) -> MetricResponse | None:
        try:
            response: MetricResponse = self._call(
                MetricRequest(metric_name=name), timeout=self.timeout_s)
        except grpc.RpcError as exc:
            code = exc.code() if isinstance(exc, grpc.Call) else None
            self.last_error = f"{name}: {getattr(code, 'name', 'error')}"
            return None
        except ValueError:  # the channel was closed: the backend is closing
            self.last_error = f"{name}: channel closed"
            return None
        return response

    def fetch(self) -> dict[int, HloFigures]:
        """HLO figures per device ordinal; {} when nothing answers (no workload running)."""
        self.last_error = None
        queue = self._ask(hlo.QUEUE_SIZE)
        if queue is None and self.last_error and "UNAVAILABLE" in self.last_error:
            return {}  # nothing listens: do not wait out a second deadline
        timing = self._ask(hlo.EXEC_TIMING)
        sizes = hlo.queue_sizes(queue) if queue is not None else {}
        times = hlo.timings(timing) if timing is not None else {}
        return {ordinal: HloFigures(sizes.get(ordinal), times.get(ordinal))
                for ordinal in sorted(sizes.keys() | times.keys())}

    def close(self) -> None:
        """Close the channel."""
        self._channel.close()
