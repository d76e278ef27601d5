"""Small builders for Grafana dashboard JSON (schemaVersion 39, Grafana 10/11).

Only what our two dashboards use: a Prometheus datasource variable, label_values query
variables, textbox variables (the energy price), and timeseries, stat, table, bar gauge,
pie chart and heatmap panels. Every panel takes a unit, so no panel is written without one.
"""

from __future__ import annotations

from typing import Any

SCHEMA_VERSION = 39
DS = {"type": "prometheus", "uid": "${datasource}"}
Json = dict[str, Any]


def target(expr: str, legend: str = "", ref: str = "A", *, instant: bool = False,
           table: bool = False) -> Json:
    """One PromQL query of a panel."""
    out: Json = {"datasource": DS, "editorMode": "code", "expr": expr, "refId": ref,
                 "legendFormat": legend or "__auto", "range": not instant, "instant": instant}
    if table:
        out["format"] = "table"
    return out


def datasource_variable() -> Json:
    """`${datasource}`: any Prometheus data source the user picks on import or later."""
    return {"name": "datasource", "label": "Data source", "type": "datasource",
            "query": "prometheus", "current": {}, "hide": 0, "includeAll": False,
            "multi": False, "options": [], "refresh": 1, "regex": ""}


def query_variable(name: str, label: str, query: str, *, multi: bool, include_all: bool,
                   sort: int = 1) -> Json:
    """A variable filled from `label_values(...)`; refreshed when the time range changes."""
    out: Json = {"name": name, "label": label, "type": "query", "datasource": DS,
                 "definition": query, "query": query, "current": {}, "hide": 0,
                 "includeAll": include_all, "multi": multi, "options": [], "refresh": 2,
                 "regex": "", "sort": sort}
    if include_all:
        out["allValue"] = ".*"
    return out


def textbox_variable(name: str, label: str, default: str, description: str) -> Json:
    """A value the user types in the dashboard header (a price, a currency), `default` first."""
    return {"name": name, "label": label, "type": "textbox", "query": default,
            "current": {"selected": False, "text": default, "value": default},
            "options": [{"selected": True, "text": default, "value": default}], "hide": 0,
            "description": description}


def _thresholds(steps: list[tuple[float | None, str]] | None) -> Json:
    steps = steps or [(None, "green")]
    return {"mode": "absolute",
            "steps": [{"color": color, "value": value} for value, color in steps]}


def _field_config(unit: str, *, min_: float | None = None, max_: float | None = None,
                  decimals: int | None = None, thresholds: list[tuple[float | None, str]]
                  | None = None, custom: Json | None = None, color: Json | None = None,
                  mappings: list[Json] | None = None, overrides: list[Json] | None = None) -> Json:
    defaults: Json = {"unit": unit, "thresholds": _thresholds(thresholds),
                      "color": color or {"mode": "palette-classic"}, "mappings": mappings or []}
    if min_ is not None:
        defaults["min"] = min_
    if max_ is not None:
        defaults["max"] = max_
    if decimals is not None:
        defaults["decimals"] = decimals
    if custom is not None:
        defaults["custom"] = custom
    return {"defaults": defaults, "overrides": overrides or []}


def _panel(kind: str, title: str, description: str, targets: list[Json], field_config: Json,
           options: Json, **extra: Any) -> Json:
    panel: Json = {"type": kind, "title": title, "description": description, "datasource": DS,
                   "targets": targets, "fieldConfig": field_config, "options": options}
    panel.update(extra)
    return panel


def timeseries(title: str, description: str, targets: list[Json], unit: str, *,
               min_: float | None = None, max_: float | None = None, stack: bool = False,
               overrides: list[Json] | None = None) -> Json:
    """Lines over time, legend as a table with last and max."""
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 20 if stack else 5,
              "showPoints": "never", "spanNulls": False, "axisPlacement": "auto",
              "stacking": {"mode": "normal" if stack else "none", "group": "A"}}
    return _panel("timeseries", title, description, targets,
                  _field_config(unit, min_=min_, max_=max_, custom=custom, overrides=overrides),
                  {"legend": {"displayMode": "table", "placement": "right", "showLegend": True,
                              "calcs": ["lastNotNull", "max"]},
                   "tooltip": {"mode": "multi", "sort": "desc"}})


def stat(title: str, description: str, targets: list[Json], unit: str, *,
         thresholds: list[tuple[float | None, str]] | None = None, decimals: int | None = None,
         mappings: list[Json] | None = None, graph: bool = False) -> Json:
    """One number (the last value), coloured by thresholds."""
    return _panel("stat", title, description, targets,
                  _field_config(unit, thresholds=thresholds, decimals=decimals,
                                color={"mode": "thresholds"}, mappings=mappings),
                  {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                   "colorMode": "value", "graphMode": "area" if graph else "none",
                   "justifyMode": "auto", "orientation": "auto", "textMode": "auto"})


def table(title: str, description: str, targets: list[Json], unit: str, *,
          hide: tuple[str, ...] = ("Time", "__name__", "job"), rename: Json | None = None,
          sort_by: str | None = None, overrides: list[Json] | None = None,
          merge: bool = False) -> Json:
    """Instant query results as rows: one per series, labels as columns."""
    transformations: list[Json] = []
    if merge:
        transformations.append({"id": "merge", "options": {}})
    transformations.append({"id": "organize", "options": {
        "excludeByName": {name: True for name in hide}, "renameByName": rename or {},
        "indexByName": {}}})
    options: Json = {"showHeader": True, "cellHeight": "sm",
                     "footer": {"show": False, "reducer": ["sum"], "fields": ""}}
    if sort_by:
        options["sortBy"] = [{"displayName": sort_by, "desc": True}]
    return _panel("table", title, description, targets,
                  _field_config(unit, custom={"align": "auto", "cellOptions": {"type": "auto"}},
                                overrides=overrides),
                  options, transformations=transformations)


def bargauge(title: str, description: str, targets: list[Json], unit: str, *,
             min_: float | None = 0, max_: float | None = None,
             thresholds: list[tuple[float | None, str]] | None = None) -> Json:
    """Horizontal bars, one per series (last value)."""
    return _panel("bargauge", title, description, targets,
                  _field_config(unit, min_=min_, max_=max_, thresholds=thresholds,
                                color={"mode": "thresholds"} if thresholds else None),
                  {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                   "orientation": "horizontal", "displayMode": "gradient",
                   "showUnfilled": True, "valueMode": "color", "namePlacement": "auto",
                   "sizing": "auto", "minVizHeight": 16, "minVizWidth": 8, "maxVizHeight": 300})


def piechart(title: str, description: str, targets: list[Json], unit: str) -> Json:
    """Shares of a whole (last value of each series)."""
    return _panel("piechart", title, description, targets, _field_config(unit),
                  {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                   "pieType": "donut", "displayLabels": ["value"],
                   "legend": {"displayMode": "table", "placement": "right", "showLegend": True,
                              "values": ["value", "percent"]},
                   "tooltip": {"mode": "single", "sort": "none"}})


def heatmap(title: str, description: str, targets: list[Json], unit: str, *,
            calculate: bool, bucket_size: float | None = None) -> Json:
    """A heatmap of values in `unit`.

    calculate=False: one row per series (e.g. per node), the cell colour is the value.
    calculate=True: Grafana buckets the values; rows are value ranges in `unit`, the cell
    colour is how many series fell in the range (a distribution over time).
    """
    options: Json = {
        "calculate": calculate,
        "cellGap": 1,
        "color": {"mode": "scheme", "scheme": "Oranges", "fill": "dark", "scale": "exponential",
                  "exponent": 0.5, "steps": 64, "reverse": False},
        "yAxis": {"axisPlacement": "left", "reverse": False,
                  "unit": unit if calculate else "none"},
        "cellValues": {"unit": "none" if calculate else unit},
        "rowsFrame": {"layout": "auto"},
        "legend": {"show": True},
        "tooltip": {"mode": "single", "yHistogram": False, "showColorScale": False},
        "exemplars": {"color": "rgba(255,0,255,0.7)"},
    }
    if calculate:
        options["calculation"] = {"xBuckets": {"mode": "size", "value": ""},
                                  "yBuckets": {"mode": "size", "value": str(bucket_size or ""),
                                               "scale": {"type": "linear"}}}
    custom = {"scaleDistribution": {"type": "linear"},
              "hideFrom": {"legend": False, "tooltip": False, "viz": False}}
    return _panel("heatmap", title, description, targets, _field_config(unit, custom=custom),
                  options)


def row(title: str) -> Json:
    """A collapsible row header (panels follow it at top level, expanded)."""
    return {"type": "row", "title": title, "collapsed": False, "panels": []}


def layout(items: list[tuple[Json, int, int]]) -> list[Json]:
    """Place (panel, width, height) left to right, wrapping at 24 columns; number the ids."""
    out: list[Json] = []
    x = y = line_height = 0
    for number, (panel, width, height) in enumerate(items, start=1):
        if panel["type"] == "row":
            if x:
                y += line_height
            x, line_height = 0, 0
            width, height = 24, 1
        elif x + width > 24:
            y += line_height
            x, line_height = 0, 0
        placed = dict(panel, id=number, gridPos={"h": height, "w": width, "x": x, "y": y})
        out.append(placed)
        x += width
        line_height = max(line_height, height)
        if x >= 24:
            y += line_height
            x, line_height = 0, 0
    return out


def dashboard(uid: str, title: str, description: str, variables: list[Json],
              panels: list[Json], links: list[Json], tags: list[str]) -> Json:
    """The dashboard document, importable as is (the datasource is picked in a variable)."""
    return {
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts", "type": "dashboard"}]},
        "description": description,
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": links,
        "panels": panels,
        "refresh": "10s",
        "schemaVersion": SCHEMA_VERSION,
        "tags": tags,
        "templating": {"list": variables},
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": title,
        "uid": uid,
        "version": 1,
        "weekStart": "",
    }


def dashboard_link(title: str, uid: str, keep_vars: bool = True) -> Json:
    """A link in the dashboard header to another of our dashboards."""
    return {"title": title, "type": "link", "url": f"/d/{uid}", "icon": "dashboard",
            "includeVars": keep_vars, "keepTime": True, "targetBlank": False, "tooltip": "",
            "asDropdown": False, "tags": []}
