"""Our output checked by the real Prometheus tools: promtool, and a Prometheus server."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import NodeSnapshot
from tests.prometheus_util import PROMETHEUS_MISSING, prometheus_server, query_until, run_api

# all-smi's own names that promtool's naming lint dislikes; renaming them would break
# every all-smi dashboard, so these (and only these) lint lines are accepted.
ALL_SMI_NAMING = {
    f'{name} non-histogram and non-summary metrics should not have "_count" suffix'
    for name in ("all_smi_cpu_core_count", "all_smi_cpu_socket_count", "all_smi_cpu_thread_count",
                 "all_smi_cpu_gpu_core_count", "all_smi_tpu_core_count",
                 "all_smi_tpu_tensorcore_count", "all_smi_cpu_s_core_count",
                 "all_smi_cpu_p_core_count", "all_smi_cpu_e_core_count")
}


def _promtool(text: str) -> tuple[int, set[str]]:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip(PROMETHEUS_MISSING.replace("prometheus is", "promtool is"))
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                            text=True, timeout=30)
    problems = {line.strip() for line in (result.stdout + result.stderr).splitlines()
                if line.strip()}
    return result.returncode, problems


def test_promtool_accepts_our_output(platform_snapshot: NodeSnapshot) -> None:
    for processes in (False, True):
        code, problems = _promtool(render_prometheus(platform_snapshot,
                                                     include_processes=processes))
        assert problems <= ALL_SMI_NAMING, problems - ALL_SMI_NAMING
        assert code in (0, 3) and (code == 0) == (not problems)  # 3: lint findings only


def test_promtool_rejects_what_it_should() -> None:
    code, problems = _promtool("all_smi_x{a=\"1\"} 1\nall_smi_x{a=\"1\"} 2\n# TYPE bad gauge\n")
    assert code != 0 and problems


def test_promtool_accepts_not_ready_output() -> None:
    # promtool reads only the classic text format; OpenMetrics output is checked by
    # prometheus-client's OpenMetrics parser in test_render.
    code, problems = _promtool(render_prometheus(None))
    assert code == 0 and not problems


@pytest.mark.prometheus
@pytest.mark.slow
def test_real_prometheus_scrapes_eight_gpus(tmp_path: Path) -> None:
    if shutil.which("prometheus") is None:
        pytest.skip(PROMETHEUS_MISSING)
    with run_api(["--mock", "h100:8", "--seed", "1", "--interval", "1"], tmp_path,
                 wait_path="/-/ready") as api:
        hostname = httpx.get(api.url + "/snapshot").json()["hostname"]
        uuids = {d["uuid"] for d in httpx.get(api.url + "/snapshot").json()["devices"]}
        with prometheus_server([f"127.0.0.1:{api.port}"], tmp_path) as prometheus:
            series = query_until(prometheus, "all_smi_gpu_utilization", 8)
            up = query_until(prometheus, 'up{job="allsmi"}', 1)
    assert len(series) == 8, series
    labels = [s["metric"] for s in series]
    assert sorted(int(m["gpu_index"]) for m in labels) == list(range(8))  # type: ignore[index]
    assert {m["gpu_uuid"] for m in labels} == uuids  # type: ignore[index]
    for item in series:
        metric = item["metric"]
        assert metric["__name__"] == "all_smi_gpu_utilization"  # type: ignore[index]
        assert metric["gpu"] == "NVIDIA H100 80GB HBM3"  # type: ignore[index]
        assert metric["instance"] == hostname  # type: ignore[index]
        assert metric["job"] == "allsmi"  # type: ignore[index]
        assert 0 <= float(item["value"][1]) <= 100  # type: ignore[index]
    assert up and up[0]["value"][1] == "1"  # type: ignore[index]
