"""What the dashboards and rules ask Prometheus: every expression, its metrics and labels.

Grafana's own syntax is handled here the way Grafana handles it: `label_values(SEL, L)`
variable queries, `$var` substitution (a multi-value or "All" variable becomes a regex,
a single-value one is inserted as is) and `$__range`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DASHBOARDS = REPO / "dashboards"
GRAFANA = DASHBOARDS / "grafana"
PROMETHEUS = DASHBOARDS / "prometheus"
DASHBOARD_FILES = ("cluster-overview.json", "node-detail.json")

# Series Prometheus itself makes, which our queries may name besides the exporter's.
PROMETHEUS_SERIES = {"up": ("job", "instance"),
                     "ALERTS": ("alertname", "alertstate", "severity", "job", "instance")}
# Labels every scraped series gets from its target (prometheus.yml, honor_labels off).
TARGET_LABELS = ("job", "instance")

LABEL_VALUES = re.compile(r"^\s*label_values\((?P<selector>.*),\s*(?P<label>\w+)\s*\)\s*$")
SELECTOR = re.compile(r"(?P<name>[A-Za-z_:][\w:]*)\s*\{(?P<matchers>[^{}]*)\}")
MATCHER = re.compile(r'(?P<label>\w+)\s*(?:=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"')
METRIC_TOKEN = re.compile(r"\ball_?smi_\w+")  # all-smi's families and our own (allsmi_*)
GROUPING = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\((?P<labels>[^)]*)\)")
VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@dataclass(frozen=True)
class PanelQuery:
    """One query of one panel."""

    dashboard: str
    panel: str
    panel_type: str
    ref: str
    expr: str
    instant: bool

    @property
    def id(self) -> str:
        """`dashboard / panel / refId`, for test ids and failure messages."""
        return f"{self.dashboard} / {self.panel} / {self.ref}"


def load_dashboard(name: str) -> dict[str, Any]:
    """One committed dashboard document."""
    return dict(json.loads((GRAFANA / name).read_text(encoding="utf-8")))


def all_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows."""
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def panel_queries(name: str) -> list[PanelQuery]:
    """Every PromQL expression of every panel of one dashboard."""
    out = []
    for panel in all_panels(load_dashboard(name)):
        for target in panel.get("targets", []):
            out.append(PanelQuery(name, panel["title"], panel["type"], target["refId"],
                                  target["expr"], bool(target.get("instant"))))
    return out


def variables(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """The dashboard's template variables, in the order Grafana resolves them."""
    return list(dashboard["templating"]["list"])


def variable_query(variable: dict[str, Any]) -> tuple[str, str]:
    """(selector, label) of a `label_values(selector, label)` query variable."""
    query = variable["query"]
    text = query["query"] if isinstance(query, dict) else query
    match = LABEL_VALUES.match(text)
    if match is None:
        raise ValueError(f"variable {variable['name']}: not label_values(...): {text!r}")
    return match["selector"].strip(), match["label"]


def rule_expressions() -> dict[str, str]:
    """alert name -> expression, from alerts.yml."""
    doc = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text(encoding="utf-8"))
    return {rule["alert"]: rule["expr"] for group in doc["groups"] for rule in group["rules"]}


def every_expression() -> dict[str, str]:
    """Every PromQL text the dashboards and rules hold (variables as written), by where."""
    out: dict[str, str] = {}
    for name in DASHBOARD_FILES:
        for query in panel_queries(name):
            out[query.id] = query.expr
        for variable in variables(load_dashboard(name)):
            if variable["type"] == "query":
                out[f"{name} / variable {variable['name']}"] = variable_query(variable)[0]
    for alert, expr in rule_expressions().items():
        out[f"alerts.yml / {alert}"] = expr
    return out


def metric_names(expr: str) -> set[str]:
    """Every metric name an expression reads (bare or as `name{...}`).

    What is left of an identifier once strings, matchers, ranges and grouping clauses are
    removed is a metric name, unless it calls a function or is an operator keyword.
    """
    text = VARIABLE.sub("1", _strip_strings(expr))  # a dashboard variable is a value here
    text = re.sub(r"\{[^{}]*\}", "{}", text)
    text = re.sub(r"\[[^\]]*\]", "[]", text)
    text = GROUPING.sub(" ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([A-Za-z_:][\w:]*)(?!\w)(\s*\()?", text):
        if match[2] is None and match[1] not in _KEYWORDS:
            names.add(match[1])
    return names


def selector_labels(expr: str) -> list[tuple[str, str]]:
    """(metric, label) for every label matcher inside `metric{...}`."""
    out: list[tuple[str, str]] = []
    for match in SELECTOR.finditer(expr):
        out.extend((match["name"], m["label"]) for m in MATCHER.finditer(match["matchers"]))
    return out


def grouping_labels(expr: str) -> set[str]:
    """Labels named in by/without/on/ignoring/group_left/group_right clauses."""
    labels: set[str] = set()
    for match in GROUPING.finditer(_strip_strings(expr)):
        labels.update(part.strip() for part in match["labels"].split(",") if part.strip())
    return labels


_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
             "and", "or", "unless", "atan2", "inf", "nan", "Inf", "NaN"}


def _strip_strings(expr: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)


def substitute(expr: str, values: dict[str, str]) -> str:
    """`expr` with every `$name` / `${name}` replaced; KeyError for an unknown variable."""
    return VARIABLE.sub(lambda m: values[m[1] or m[2]], expr)


def regex_escape(value: str) -> str:
    """A label value escaped the way Grafana escapes it for a regex matcher in PromQL."""
    return re.sub(r"([\\^$*+?.()|{}\[\]])", r"\\\\\1", value)


def grafana_format(variable: dict[str, Any], selected: list[str], all_values: list[str]) -> str:
    """What Grafana writes for a variable in a Prometheus query, given the selection."""
    if variable.get("includeAll") and selected == all_values:
        return str(variable.get("allValue") or
                   "(" + "|".join(regex_escape(v) for v in all_values) + ")")
    if variable.get("multi") or variable.get("includeAll"):
        escaped = [regex_escape(v) for v in selected]
        return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"
    return selected[0]
