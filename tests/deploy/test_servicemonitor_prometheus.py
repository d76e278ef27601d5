"""The ServiceMonitor's relabelings, run by a real Prometheus against a real `allsmi api`.

The Prometheus Operator turns each ServiceMonitor endpoint into one scrape job: its
`relabelings` become relabel_configs after the operator's own (which keep the Service's
endpoints and set namespace, service, pod and container), its `metricRelabelings` become
metric_relabel_configs, and honor_labels stays false. Here the same job scrapes the exporter,
with by hand the labels discovery and the operator's relabelings would have given the target
(`__meta_kubernetes_pod_node_name`; namespace, pod and container of the exporter's own pod),
so the claims of servicemonitor.yaml can be seen: instance and hostname are the node's name,
and a process's pod and namespace are its workload's, never the exporter's; and
`allsmi snapshot --prometheus` reads the node back by that name with its pods.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.prometheus_util import REPO, isolated_env, prometheus_server, query_until, run_api

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
NODE = "gpu-node-7"
EXPORTER_POD = {"namespace": "allsmi", "pod": "allsmi-x7k2p", "container": "allsmi"}
PROCESS_FAMILY = "all_smi_process_memory_used_bytes"
# What a process family's labels carry of a workload (/snapshot has the runtime and pod uid too).
WORKLOAD_LABELS = ("pod", "namespace", "container", "container_id")
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


def _holders(snapshot: dict[str, Any]) -> tuple[dict[str, Any], dict[int, Any]]:
    """Device uuid -> its pod containers, and pid -> its workload, of one node's snapshot."""
    devices = {d["uuid"]: d.get("workloads") for d in snapshot["devices"]}
    processes = {p["pid"]: {k: v for k, v in (p.get("workload") or {}).items()
                            if k in WORKLOAD_LABELS}
                 for d in snapshot["devices"] for p in d.get("processes", [])}
    return devices, processes


def _the_prometheus_view_sees_the_node(dump: dict[str, Any], truth: dict[str, Any]) -> None:
    """`allsmi snapshot --prometheus` through the relabelled series: the node by its name,
    each device's pods and each process's container as the exporter's own /snapshot has them.
    """
    (node,) = dump["nodes"]
    assert node["address"] == node["snapshot"]["hostname"] == NODE
    devices, processes = _holders(node["snapshot"])
    true_devices, true_processes = _holders(truth)
    assert devices == true_devices
    both = processes.keys() & true_processes.keys()
    assert both and {pid: processes[pid] for pid in both} == {
        pid: true_processes[pid] for pid in both}


def test_node_names_and_workload_labels_survive_the_scrape(tmp_path: Path) -> None:
    with run_api(["--mock", "h100:4", "--seed", "3", "--interval", "0.5", "--processes"],
                 tmp_path, wait_path="/-/ready") as api, prometheus_server(
            [], tmp_path, extra_config=_scrape_job(f"127.0.0.1:{api.port}")) as prometheus:
        devices = query_until(prometheus, "all_smi_gpu_utilization", 4)
        (node,) = query_until(prometheus, "all_smi_up", 1)
        processes = query_until(prometheus, PROCESS_FAMILY, 1)
        exported = _exported_workloads(httpx.get(api.url + "/metrics", timeout=5).text)
        truth = httpx.get(api.url + "/snapshot", timeout=5).json()
        view = subprocess.run([sys.executable, "-m", "allsmi_py", "snapshot", "--prometheus",
                               prometheus, "--format", "json", "--processes"], cwd=REPO,
                              env=isolated_env(tmp_path), capture_output=True, text=True,
                              timeout=60)
    assert view.returncode == 0, view.stderr
    _the_prometheus_view_sees_the_node(json.loads(view.stdout), truth)
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
