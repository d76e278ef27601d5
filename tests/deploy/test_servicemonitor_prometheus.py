"""The ServiceMonitor's relabelings, run by a real Prometheus against a real `allsmi api`.

The Prometheus Operator turns each ServiceMonitor endpoint into one scrape job: its
`relabelings` become relabel_configs after the operator's own (which keep the Service's
endpoints and set namespace, service, pod and container), its `metricRelabelings` become
metric_relabel_configs, and honor_labels stays false. Here the same job scrapes the exporter,
with by hand the labels discovery and the operator's relabelings would have given the target
(`__meta_kubernetes_pod_node_name`; namespace, pod and container of the exporter's own pod),
so the claims of servicemonitor.yaml can be seen: instance and hostname are the node's name,
and a process's pod and namespace are its workload's, never the exporter's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.prometheus_util import prometheus_server, query_until, run_api

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
NODE = "gpu-node-7"
EXPORTER_POD = {"namespace": "allsmi", "pod": "allsmi-x7k2p", "container": "allsmi"}
PROCESS_FAMILY = "all_smi_process_memory_used_bytes"
RELABEL_KEYS = {"sourceLabels": "source_labels", "targetLabel": "target_label",
                "separator": "separator", "regex": "regex", "replacement": "replacement",
                "action": "action", "modulus": "modulus"}


def _endpoint() -> dict[str, Any]:
    monitor = yaml.safe_load((DEPLOY / "servicemonitor.yaml").read_text(encoding="utf-8"))
    endpoint: dict[str, Any] = monitor["spec"]["endpoints"][0]
    return endpoint


def _prometheus_relabel(configs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The operator's rendering of RelabelConfig: the same fields in snake_case."""
    return [{RELABEL_KEYS[key]: value for key, value in config.items()} for config in configs]


def _scrape_job(target: str) -> str:
    endpoint = _endpoint()
    job = {
        "job_name": "servicemonitor/allsmi/allsmi/0",
        "honor_labels": endpoint.get("honorLabels", False),
        "metrics_path": endpoint["path"],
        "static_configs": [{"targets": [target],
                            "labels": {"__meta_kubernetes_pod_node_name": NODE,
                                       **EXPORTER_POD}}],
        "relabel_configs": _prometheus_relabel(endpoint["relabelings"]),
        "metric_relabel_configs": _prometheus_relabel(endpoint["metricRelabelings"]),
    }
    # One more item of prometheus_server's scrape_configs list (the text it appends follows it).
    return "  - " + json.dumps(job) + "\n"


def _exported_workloads(metrics_text: str) -> dict[str, tuple[str, str]]:
    """pid -> (pod, namespace) of each process sample as the exporter wrote it."""
    return {s.labels["pid"]: (s.labels.get("pod", ""), s.labels.get("namespace", ""))
            for family in text_string_to_metric_families(metrics_text)
            for s in family.samples if s.name == PROCESS_FAMILY}


def test_node_names_and_workload_labels_survive_the_scrape(tmp_path: Path) -> None:
    with run_api(["--mock", "h100:4", "--seed", "3", "--interval", "0.5", "--processes"],
                 tmp_path, wait_path="/-/ready") as api, prometheus_server(
            [], tmp_path, extra_config=_scrape_job(f"127.0.0.1:{api.port}")) as prometheus:
        devices = query_until(prometheus, "all_smi_gpu_utilization", 4)
        (node,) = query_until(prometheus, "all_smi_up", 1)
        processes = query_until(prometheus, PROCESS_FAMILY, 1)
        exported = _exported_workloads(httpx.get(api.url + "/metrics", timeout=5).text)
    assert len(devices) == 4, devices
    for one in [node, *devices, *processes]:
        labels = one["metric"]
        assert isinstance(labels, dict)
        assert labels["instance"] == NODE, labels
        assert not any(name.startswith(("exported_", "__")) for name in labels
                       if name != "__name__"), labels
        assert labels.get("pod") != EXPORTER_POD["pod"], labels
        assert labels.get("namespace") != EXPORTER_POD["namespace"], labels
    assert node["metric"]["hostname"] == NODE  # type: ignore[index]
    assert all("hostname" not in d["metric"] for d in devices)  # type: ignore[operator]
    scraped: dict[str, tuple[str, str]] = {}
    for process in processes:
        labels = process["metric"]
        assert isinstance(labels, dict)
        scraped[labels["pid"]] = (labels.get("pod", ""), labels.get("namespace", ""))
    both = scraped.keys() & exported.keys()  # a process may start or end between the two reads
    assert both and {pid: scraped[pid] for pid in both} == {pid: exported[pid] for pid in both}
