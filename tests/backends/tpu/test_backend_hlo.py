"""TpuBackend with libtpu's metrics service: HLO figures joined to tpu-info's chips off the
tick, exported under all-smi's names, and a backend that still works without the extra."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from backends.tpu.backend import TpuBackend
from tests.backends.families import Scrape, assert_round_trip, npu
from tests.backends.tpu.test_backend import FIXTURE, fake_tool

grpc = pytest.importorskip("grpc")

from backends.tpu.hlo import EXEC_TIMING, QUEUE_SIZE  # noqa: E402
from backends.tpu.runtime_metrics import RuntimeMetricsClient  # noqa: E402
from tests.backends.tpu.metrics_server import serving  # noqa: E402
from tests.backends.tpu.test_runtime_metrics import workload  # noqa: E402

HLO_FAMILIES = ("all_smi_tpu_hlo_queue_size", "all_smi_tpu_hlo_exec_mean_microseconds",
                "all_smi_tpu_hlo_exec_p50_microseconds", "all_smi_tpu_hlo_exec_p90_microseconds",
                "all_smi_tpu_hlo_exec_p95_microseconds", "all_smi_tpu_hlo_exec_p999_microseconds")


def test_hlo_figures_reach_the_chips_and_the_exporter(tmp_path: Path) -> None:
    tool = fake_tool(tmp_path, f'cat "{FIXTURE}"')
    with serving(workload()) as address:
        metrics = RuntimeMetricsClient(address)
        with TpuBackend(tool=tool, first_sample_timeout_s=5.0,
                        runtime_metrics=metrics) as backend:
            chips = backend.read()
            status = backend.status_message()
    assert status == f"tpu-info every 10 s; HLO metrics from {address}"
    assert [c.details["hlo_queue_size"] for c in chips] == ["0", "2", "1", "0"]
    scrape = Scrape(chips)
    base = npu(chips[1], 1)
    assert scrape.value("all_smi_tpu_hlo_queue_size", **base) == 2
    assert scrape.value("all_smi_tpu_hlo_exec_mean_microseconds", **base) == 4210.5
    assert scrape.value("all_smi_tpu_hlo_exec_p50_microseconds", **base) == \
        pytest.approx(2048 + 2048 * 50 / 60)
    assert scrape.value("all_smi_tpu_hlo_exec_p90_microseconds", **base) == 8192
    assert scrape.value("all_smi_tpu_hlo_exec_p95_microseconds", **base) == \
        pytest.approx(8192 + 8192 * 5 / 9)
    assert scrape.value("all_smi_tpu_hlo_exec_p999_microseconds", **base) == 40000
    assert_round_trip(scrape)  # an allsmi-py cluster view reads the HLO details back


def test_without_a_workload_the_families_are_absent(tmp_path: Path) -> None:
    tool = fake_tool(tmp_path, f'cat "{FIXTURE}"')
    with serving({}) as address, TpuBackend(  # every metric NOT_FOUND
            tool=tool, first_sample_timeout_s=5.0,
            runtime_metrics=RuntimeMetricsClient(address)) as backend:
        chips = backend.read()
        assert "NOT_FOUND" in backend.status_message()
    scrape = Scrape(chips)
    for name in HLO_FAMILIES:
        assert name not in scrape.samples, name
    assert "all_smi_tpu_memory_total_bytes" in scrape.samples


def test_a_hanging_metrics_server_never_holds_a_read(tmp_path: Path) -> None:
    """The first answers come; later ones hang. A read while a request hangs returns the
    latest result before the client's deadline cuts that request: it never waited on gRPC."""
    served = workload()
    entered, cut = threading.Event(), threading.Event()
    calls = {QUEUE_SIZE: 0}

    def queue(context: grpc.ServicerContext) -> bytes:
        calls[QUEUE_SIZE] += 1
        if calls[QUEUE_SIZE] == 1:
            return served[QUEUE_SIZE].SerializeToString()
        context.add_callback(cut.set)
        entered.set()
        cut.wait(10.0)
        return b""

    tool = fake_tool(tmp_path, f'cat "{FIXTURE}"')
    with serving({QUEUE_SIZE: queue, EXEC_TIMING: served[EXEC_TIMING]}) as address:
        metrics = RuntimeMetricsClient(address, timeout_s=5.0)
        with TpuBackend(tool=tool, refresh_s=0.05, first_sample_timeout_s=5.0,
                        runtime_metrics=metrics) as backend:
            first = backend.read()
            assert entered.wait(5.0)  # the thread's next request now hangs in the server
            again = backend.read()
            assert not cut.is_set()  # read() returned while that request was still open
    assert first[1].details["hlo_queue_size"] == again[1].details["hlo_queue_size"] == "2"
    hung = backend.status_message()
    assert hung.startswith("tpu-info every 0.05 s; HLO metrics from")


def test_without_grpc_the_backend_reads_tpu_info_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "grpc", None)  # as if the tpu extra were not installed
    tool = fake_tool(tmp_path, f'cat "{FIXTURE}"')
    with TpuBackend(tool=tool, first_sample_timeout_s=5.0) as backend:
        chips = backend.read()
        status = backend.status_message()
    assert len(chips) == 4
    assert status == "tpu-info every 10 s; HLO metrics off: pip install 'allsmi-py[tpu]'"


def test_runtime_metrics_false_never_asks(tmp_path: Path) -> None:
    tool = fake_tool(tmp_path, f'cat "{FIXTURE}"')
    with TpuBackend(tool=tool, first_sample_timeout_s=5.0, runtime_metrics=False) as backend:
        backend.read()
        assert backend.status_message() == "tpu-info every 10 s; HLO metrics: not asked"
