"""The Grafana dashboards as documents: importable shape, variables, units, names in the schema."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest

from allsmi_py.exporter.schema import BY_NAME, GPU_INFO_LABELS
from tests.dashboards.promql import (
    DASHBOARD_FILES,
    DASHBOARDS,
    PROMETHEUS_SERIES,
    TARGET_LABELS,
    all_panels,
    every_expression,
    grouping_labels,
    load_dashboard,
    metric_names,
    panel_queries,
    selector_labels,
    variable_query,
    variables,
)

# Units a panel may carry: what the issue asks for, plus clocks, counts and durations.
UNITS = {"percent", "bytes", "celsius", "watt", "joule", "rotmhz", "none", "s", "kwatth"}
# What the issue asks each dashboard to show, by panel title.
OVERVIEW_PANELS = {"Nodes up", "Nodes down", "Devices", "Utilization by node", "Device memory",
                   "Power now", "Energy in range", "Temperature distribution",
                   "Busiest devices", "Idlest devices", "GPU memory by namespace"}
DETAIL_PANELS = {"Utilization", "Memory", "Temperature against thresholds",
                 "Power against limit", "Clocks", "Processes", "CPU", "Host memory",
                 "Disk used", "GPU memory by namespace"}


def prometheus_labels(metric: str) -> set[str]:
    """The labels a series of `metric` has in Prometheus under our prometheus.yml.

    The exporter's `instance` (its hostname) becomes `exported_instance`, and every series
    gets the target's `job` and `instance`.
    """
    if metric in PROMETHEUS_SERIES:
        return set(PROMETHEUS_SERIES[metric])
    spec = BY_NAME[metric]
    labels = set(spec.labels)
    if spec.name == "all_smi_gpu_info":
        labels.update(GPU_INFO_LABELS)
    if "instance" in labels:
        labels.add("exported_instance")
    return labels | set(TARGET_LABELS)


@pytest.mark.parametrize("name", DASHBOARD_FILES)
def test_importable_shape(name: str) -> None:
    board = load_dashboard(name)
    assert board["schemaVersion"] >= 39
    assert board["id"] is None and board["uid"].startswith("allsmi-")
    assert board["title"] and board["panels"]
    ids = [p["id"] for p in all_panels(board)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    titles = [p["title"] for p in all_panels(board)]
    assert len(titles) == len(set(titles)), "panel titles must be unique"
    for panel in all_panels(board):
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
    # no two panels overlap on the grid
    cells: dict[tuple[int, int], str] = {}
    for panel in all_panels(board):
        g = panel["gridPos"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


@pytest.mark.parametrize("name", DASHBOARD_FILES)
def test_datasource_is_a_variable_everywhere(name: str) -> None:
    board = load_dashboard(name)
    ds = [v for v in variables(board) if v["type"] == "datasource"]
    assert len(ds) == 1 and ds[0]["name"] == "datasource" and ds[0]["query"] == "prometheus"
    text = (DASHBOARDS / "grafana" / name).read_text(encoding="utf-8")
    # nothing pins a data source of the machine the dashboard was made on
    assert "__inputs" not in text and "DS_PROMETHEUS" not in text
    for panel in all_panels(board):
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"]
    for variable in variables(board):
        if variable["type"] == "query":
            assert variable["datasource"]["uid"] == "${datasource}"


@pytest.mark.parametrize("name", DASHBOARD_FILES)
def test_instance_and_gpu_variables_use_label_values(name: str) -> None:
    by_name = {v["name"]: v for v in variables(load_dashboard(name))}
    for wanted in ("instance", "gpu"):
        selector, label = variable_query(by_name[wanted])
        assert metric_names(selector) <= set(BY_NAME), selector
        assert label in prometheus_labels(next(iter(metric_names(selector))))


@pytest.mark.parametrize("name", DASHBOARD_FILES)
def test_every_panel_has_a_unit(name: str) -> None:
    for panel in all_panels(load_dashboard(name)):
        if panel["type"] == "row":
            continue
        unit = panel["fieldConfig"]["defaults"].get("unit")
        assert unit in UNITS, f"{panel['title']}: unit {unit!r}"
        for override in panel["fieldConfig"]["overrides"]:
            for prop in override["properties"]:
                if prop["id"] == "unit":
                    assert prop["value"] in UNITS, f"{panel['title']}: {prop}"
        if panel["type"] == "heatmap":
            axis = panel["options"]["yAxis"]["unit"]
            cell = panel["options"]["cellValues"]["unit"]
            assert unit in (axis, cell), f"{panel['title']}: heatmap units {axis}/{cell}"


def _titles(name: str) -> set[str]:
    return {p["title"] for p in all_panels(load_dashboard(name))}


def test_the_panels_the_issue_asks_for() -> None:
    assert _titles("cluster-overview.json") >= OVERVIEW_PANELS
    assert _titles("node-detail.json") >= DETAIL_PANELS
    kinds = {p["title"]: p["type"] for p in all_panels(load_dashboard("cluster-overview.json"))}
    assert kinds["Utilization by node"] == "heatmap"


def test_units_say_what_the_metric_measures() -> None:
    """A panel over a *_bytes metric is in bytes, *_celsius in celsius, and so on."""
    suffix_unit = {"_bytes": "bytes", "_celsius": "celsius", "_watts": "watt",
                   "_joules_total": "joule", "_mhz": "rotmhz"}
    for name in DASHBOARD_FILES:
        board = load_dashboard(name)
        for panel in all_panels(board):
            if panel["type"] in ("row", "table") or panel["title"] in {"Devices by model"}:
                continue
            unit = panel["fieldConfig"]["defaults"]["unit"]
            for target in panel["targets"]:
                expr = target["expr"]
                if expr.lstrip().startswith(("count", "100 *")):
                    continue  # counts and percentages are computed, not the metric's unit
                outer = sorted(metric_names(expr))[0]
                for suffix, wanted in suffix_unit.items():
                    if outer.endswith(suffix):
                        wanted = _converted_energy_unit(expr, wanted)
                        assert unit == wanted, f"{panel['title']}: {outer} shown as {unit}"


def _converted_energy_unit(expr: str, unit: str) -> str:
    """Joules shown as kWh (`/ 3600000`), or as money (`... * $price_per_kwh`, no unit)."""
    if unit != "joule" or not expr.rstrip().endswith(("/ 3600000", "* $price_per_kwh")):
        return unit
    return "none" if expr.rstrip().endswith("$price_per_kwh") else "kwatth"


def test_energy_and_cost_panels() -> None:
    """Issue 18 item 1: energy in kWh and its cost, over the range and since first run."""
    for name in DASHBOARD_FILES:
        titles = _titles(name)
        for title in ("Energy in range (kWh)", "Cost in range ($currency)",
                      "Energy since first run (kWh)", "Cost since first run ($currency)"):
            assert title in titles, (name, title)
        by_name = {v["name"]: v for v in variables(load_dashboard(name))}
        assert by_name["price_per_kwh"]["type"] == "textbox"
        assert by_name["price_per_kwh"]["query"] == "0.12"
        assert by_name["currency"]["query"] == "USD"


def test_every_metric_exists_in_the_exporter_schema() -> None:
    expressions = every_expression()
    assert len(expressions) > 40
    for where, expr in expressions.items():
        names = metric_names(expr)
        assert names, f"{where}: no metric found in {expr!r}"
        unknown = names - set(BY_NAME) - set(PROMETHEUS_SERIES)
        assert not unknown, f"{where}: {sorted(unknown)} not in allsmi_py/exporter/schema.py"


def test_every_label_exists_on_the_metric() -> None:
    for where, expr in every_expression().items():
        for metric, label in selector_labels(expr):
            assert label in prometheus_labels(metric), f"{where}: {metric} has no {label!r}"
        known = set().union(*(prometheus_labels(m) for m in metric_names(expr)))
        assert grouping_labels(expr) <= known, f"{where}: {grouping_labels(expr) - known}"


def test_label_check_catches_a_wrong_label() -> None:
    # energy has no `gpu` label and no exported_instance: a query filtering on them is empty
    assert "gpu" not in prometheus_labels("all_smi_energy_consumed_joules_total")
    assert "exported_instance" not in prometheus_labels("all_smi_energy_consumed_joules_total")
    assert metric_names('sum by (x) (rate(all_smi_nope_total{a="b"}[5m])) and on(x) up') == {
        "all_smi_nope_total", "up"}


def test_queries_filter_by_the_variables() -> None:
    """Device panels follow the instance and gpu pickers; host panels the instance one."""
    for name in DASHBOARD_FILES:
        for query in panel_queries(name):
            names = metric_names(query.expr)
            if names & {"up", "ALERTS"}:
                continue
            assert "$instance" in query.expr, query.id
            if any(BY_NAME[n].scope == "device" for n in names) and query.id not in NODE_WIDE:
                assert "$gpu" in query.expr, query.id


# Device panels that describe the whole node on purpose, whatever devices are picked.
NODE_WIDE = {"node-detail.json / Devices / A"}


def _rendered(name: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, str(DASHBOARDS / "tools" / "build_dashboards.py"),
                          "--check"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    return load_dashboard(name)


def test_committed_json_is_what_the_generator_writes() -> None:
    assert re.search(r'"title": "all-smi / Cluster overview"',
                     (DASHBOARDS / "grafana" / "cluster-overview.json").read_text("utf-8"))
    for name in DASHBOARD_FILES:
        assert _rendered(name)["panels"]
