"""Every dashboard query and alert rule run by a real Prometheus that scraped a mock cluster.

The cluster: `allsmi-mock` with three platforms (H100, Apple M3 Max, Furiosa RNGD), one node
down, processes exported, found through file_sd from its hostfile by our converter; plus
one real `allsmi api --mock` as the static target. Prometheus runs with the shipped
prometheus.yml and alerts.yml, only made faster (1 s scrapes and rule evaluations).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.dashboards.promql import (
    DASHBOARD_FILES,
    DASHBOARDS,
    PROMETHEUS,
    grafana_format,
    load_dashboard,
    panel_queries,
    rule_expressions,
    substitute,
    variable_query,
    variables,
)
from tests.prometheus_util import (
    PROMETHEUS_MISSING,
    free_port,
    isolated_env,
    query_until,
    run_api,
    stop_child,
    wait_http,
)

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

MOCK_NODES = 8  # 4 x h100:8, 2 x m3max, 2 x rngd:4 by the mix; one of them down
MIX = "h100:8=50%,m3max=20%,rngd:4=30%"
SAMPLES_WANTED = 6  # scrapes of every live target before the queries run

# Panels that show nothing while all is well; each may be empty here, and says why.
MAY_BE_EMPTY = {
    "cluster-overview.json / Allocated but idle / A":
        "lists devices holding memory at under 1 % utilization; the mock's devices are busy",
    "node-detail.json / Energy in range (kWh) / B":
        "the CPU's energy: only nodes whose CPU reports its power; none of the mock's does",
    "cluster-overview.json / Active alerts / A":
        "lists pending or firing alerts; whether one is pending yet depends on timing",
}


@dataclass
class Live:
    """The running cluster and Prometheus."""

    url: str
    started_at: float
    mock_targets: list[str]
    api_target: str
    stats: dict[str, int] = field(default_factory=dict)

    def query(self, promql: str, instant: bool = True) -> list[dict[str, Any]]:
        """Result of an instant query, or of a range query over the whole run; AssertionError
        with Prometheus' message when it does not parse or evaluate."""
        now = time.time()
        if instant:
            params: dict[str, str | float] = {"query": promql, "time": now}
            path = "/api/v1/query"
        else:
            params = {"query": promql, "start": self.started_at, "end": now, "step": 1}
            path = "/api/v1/query_range"
        body = httpx.get(self.url + path, params=params, timeout=10.0).json()
        assert body["status"] == "success", f"{promql}\n-> {body.get('error')}"
        return list(body["data"]["result"])

    def label_values(self, selector: str, label: str) -> list[str]:
        """What Grafana's `label_values(selector, label)` lists over the run."""
        params: dict[str, str | float] = {"match[]": selector, "start": self.started_at,
                                          "end": time.time()}
        body = httpx.get(f"{self.url}/api/v1/label/{label}/values", params=params,
                         timeout=10.0).json()
        assert body["status"] == "success", f"label_values({selector}, {label}): {body}"
        return sorted(body["data"])

    @property
    def range(self) -> str:
        """`$__range` for a dashboard showing the whole run."""
        return f"{int(time.time() - self.started_at) + 1}s"


def _wait_for_hostfile(path: Path, lines: int, proc: subprocess.Popen[bytes]) -> list[str]:
    deadline = time.monotonic() + 20.0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"allsmi-mock exited with {proc.returncode}: "
                                 f"{proc.stderr.read().decode() if proc.stderr else ''}")
        if path.exists():
            hosts = path.read_text(encoding="utf-8").split()
            if len(hosts) == lines:
                return hosts
        time.sleep(0.1)
    raise AssertionError(f"allsmi-mock wrote no hostfile of {lines} lines in 20 s")


def _test_config(workdir: Path, api_target: str) -> Path:
    """The shipped prometheus.yml, with 1 s intervals and paths into `workdir`."""
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(PROMETHEUS / name) for name in config["rule_files"]]
    (job,) = config["scrape_configs"]
    job.update(scrape_interval="1s", scrape_timeout="1s")
    job["static_configs"][0]["targets"] = [api_target]
    for sd in job["file_sd_configs"]:
        sd["files"] = [str(workdir / pattern) for pattern in sd["files"]]
        sd["refresh_interval"] = "1s"
    path = workdir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """Mock cluster + `allsmi api` + Prometheus, scraped SAMPLES_WANTED times; torn down after."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip(PROMETHEUS_MISSING)
    work = tmp_path_factory.mktemp("live")
    (work / "targets").mkdir()
    hostfile = work / "hosts.txt"
    with ExitStack() as stack:
        mock = subprocess.Popen(
            [sys.executable, "-m", "mock_server", "--nodes", str(MOCK_NODES), "--start-port",
             "0", "--mix", MIX, "--fail-down", "1", "--seed", "11", "--interval", "1",
             "--processes", "--hostfile", str(hostfile)],
            cwd=work, env=isolated_env(work), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stack.callback(stop_child, mock)
        api = stack.enter_context(run_api(["--mock", "h100:2", "--seed", "3", "--interval", "1",
                                           "--processes"], work))
        hosts = _wait_for_hostfile(hostfile, MOCK_NODES, mock)
        converted = subprocess.run(
            [sys.executable, str(DASHBOARDS / "tools" / "hostfile_to_file_sd.py"),
             str(hostfile), "-o", str(work / "targets" / "allsmi.json")],
            capture_output=True, text=True, timeout=60)
        assert converted.returncode == 0, converted.stderr
        api_target = f"127.0.0.1:{api.port}"
        config = _test_config(work, api_target)
        port = free_port()
        prom = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={work / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stack.callback(stop_child, prom)
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/-/ready", timeout_s=30.0, proc=prom)
        started = time.time()
        targets = MOCK_NODES + 1
        ready = query_until(url, f'count_over_time(up{{job="allsmi"}}[1m]) >= {SAMPLES_WANTED}',
                            targets, timeout_s=30.0)
        assert len(ready) == targets, f"only {len(ready)} of {targets} targets scraped: {ready}"
        yield Live(url, started, hosts, api_target)


def test_the_cluster_prometheus_sees(live: Live) -> None:
    up = {s["metric"]["instance"]: s["value"][1] for s in live.query('up{job="allsmi"}')}
    assert set(up) == {*live.mock_targets, live.api_target}
    assert sorted(up.values()).count("0") == 1 and up[live.api_target] == "1"
    models = {s["metric"]["gpu"] for s in live.query("count by (gpu) (all_smi_gpu_info)")}
    assert len(models) >= 3, f"want several platforms, got {models}"
    # the panels that count nodes say what the cluster is
    overview = {q.panel: q for q in panel_queries("cluster-overview.json")}
    values = _values("cluster-overview.json", live)
    for panel, expected in (("Nodes up", MOCK_NODES), ("Nodes down", 1)):
        (series,) = live.query(substitute(overview[panel].expr, values))
        assert float(series["value"][1]) == expected, panel


def _values(name: str, live: Live, instance: str | None = None) -> dict[str, str]:
    """Variable values as Grafana fills them by default: the first job, All (or `instance`)."""
    values = {"__range": live.range}
    for variable in variables(load_dashboard(name)):
        if variable["type"] == "textbox":  # the energy price: its default, as typed
            values[variable["name"]] = variable["query"]
            continue
        if variable["type"] != "query":
            continue
        selector, label = variable_query(variable)
        options = live.label_values(substitute(selector, values), label)
        assert options, f"{name}: variable {variable['name']} has no values"
        if variable.get("includeAll"):
            chosen = options
        elif variable["name"] == "instance" and instance is not None:
            assert instance in options
            chosen = [instance]
        else:
            chosen = options[:1]
        values[variable["name"]] = grafana_format(variable, chosen, options)
    return values


def test_variables_list_the_cluster(live: Live) -> None:
    for name in DASHBOARD_FILES:
        board = load_dashboard(name)
        values = {"__range": live.range}
        listed = {}
        for variable in variables(board):
            if variable["type"] != "query":
                continue
            selector, label = variable_query(variable)
            listed[variable["name"]] = live.label_values(substitute(selector, values), label)
            values[variable["name"]] = grafana_format(variable, listed[variable["name"]],
                                                      listed[variable["name"]])
        assert listed["job"] == ["allsmi"]
        # every answering node, and not the one that is down
        down = {s["metric"]["instance"] for s in live.query('up{job="allsmi"} == 0')}
        assert set(listed["instance"]) == {*live.mock_targets, live.api_target} - down
        if name == "cluster-overview.json":  # device models: several platforms
            assert len(listed["gpu"]) >= 3, listed["gpu"]
        else:  # device indexes of the first node: 0 .. n-1
            assert {int(i) for i in listed["gpu"]} == set(range(len(listed["gpu"])))


def _evaluate(live: Live, name: str, instances: list[str | None]) -> list[str]:
    """Run every query of dashboard `name` once per instance value; the problems found."""
    problems = []
    values = {instance: _values(name, live, instance) for instance in instances}
    for query in panel_queries(name):
        series_seen = 0
        for instance in instances:
            expr = substitute(query.expr, values[instance])
            assert "$" not in expr, f"{query.id}: unreplaced variable in {expr}"
            try:
                result = live.query(expr, instant=query.instant)
            except AssertionError as exc:
                problems.append(f"{query.id}: {exc}")
                continue
            live.stats["evaluations"] = live.stats.get("evaluations", 0) + 1
            series_seen += len(result)
        live.stats["expressions"] = live.stats.get("expressions", 0) + 1
        live.stats["series"] = live.stats.get("series", 0) + series_seen
        if series_seen == 0 and query.id not in MAY_BE_EMPTY:
            problems.append(f"{query.id}: no series ({query.expr})")
    return problems


def test_every_panel_query_returns_series(live: Live) -> None:
    problems = _evaluate(live, "cluster-overview.json", [None])
    # node detail shows one node: each query must work for every node and show data for
    # at least one (temperature thresholds exist on NVIDIA nodes only, for example)
    board = load_dashboard("node-detail.json")
    (instance_var,) = [v for v in variables(board) if v["name"] == "instance"]
    selector, label = variable_query(instance_var)
    nodes = live.label_values(substitute(selector, _values("node-detail.json", live)), label)
    assert len(nodes) == MOCK_NODES
    problems += _evaluate(live, "node-detail.json", list(nodes))
    print(f"\nlive dashboards: {live.stats}")
    assert not problems, "\n".join(problems)
    assert set(MAY_BE_EMPTY) <= {q.id for n in DASHBOARD_FILES for q in panel_queries(n)}


def test_gpu_memory_by_namespace_is_the_pods_processes_memory(live: Live) -> None:
    """Issue 16: the mock's pods reach Prometheus as process labels, and the panel adds them."""
    in_pods = live.query('all_smi_process_memory_used_bytes{job="allsmi", namespace!=""}')
    outside = live.query('all_smi_process_memory_used_bytes{job="allsmi", namespace=""}')
    assert in_pods and outside, "the mock runs some processes in pods and some outside"
    assert all(s["metric"].get("pod") for s in in_pods)
    pod_nodes = sorted({s["metric"]["instance"] for s in in_pods})
    pods_of_devices = live.query('allsmi_device_pod_info{job="allsmi"}')
    assert pods_of_devices and all(s["metric"].get("namespace") for s in pods_of_devices)
    for name in DASHBOARD_FILES:
        (query,) = [q for q in panel_queries(name) if q.panel == "GPU memory by namespace"]
        instance = None if name == "cluster-overview.json" else pod_nodes[0]
        panel = substitute(query.expr, _values(name, live, instance))
        chosen = f', instance="{instance}"' if instance else ""
        reference = ('sum by (namespace) (all_smi_process_memory_used_bytes'
                     f'{{job="allsmi"{chosen}, namespace!=""}})')
        namespaces = {s["metric"]["namespace"] for s in live.query(reference)}
        assert namespaces and "" not in namespaces, name
        # one evaluation of both: the panel minus the reference is 0 for every namespace
        diff = live.query(f"({panel}) - on(namespace) ({reference})")
        assert {s["metric"]["namespace"] for s in diff} == namespaces, name
        assert all(float(s["value"][1]) == 0 for s in diff), (name, diff)
        # and the panel shows no "" namespace: processes outside pods are not a namespace
        assert {s["metric"].get("namespace", "") for s in live.query(panel)} == namespaces


def test_alert_rules_evaluate_on_real_data(live: Live) -> None:
    deadline = time.monotonic() + 15.0
    while True:
        body = httpx.get(live.url + "/api/v1/rules", timeout=10.0).json()
        rules = {r["name"]: r for g in body["data"]["groups"] for r in g["rules"]}
        evaluated = all(not r["lastEvaluation"].startswith("0001") for r in rules.values())
        node_down = rules.get("AllSmiNodeDown", {}).get("alerts", [])
        if (evaluated and node_down) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert set(rules) == set(rule_expressions())
    for name, rule in rules.items():
        assert rule["health"] == "ok", f"{name}: {rule.get('lastError')}"
    down = {s["metric"]["instance"] for s in live.query('up{job="allsmi"} == 0')}
    assert {a["labels"]["instance"] for a in node_down} == down
    assert all(a["state"] == "pending" for a in node_down)  # `for: 2m` has not passed
    assert not rules["AllSmiExporterNotReady"]["alerts"]
    assert not rules["AllSmiExporterStale"]["alerts"]
