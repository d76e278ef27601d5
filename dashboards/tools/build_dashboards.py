"""Write dashboards/grafana/*.json from the panel definitions below.

    python dashboards/tools/build_dashboards.py          # rewrite the JSON files
    python dashboards/tools/build_dashboards.py --check  # exit 1 if they are out of date

The queries assume Prometheus scrapes the exporters with `honor_labels` off (its default,
as in dashboards/prometheus/prometheus.yml): `instance` is then the scrape target
(host:port) on every series, including the energy and process families that carry no
`instance` label of their own, and the exporter's hostname stays visible as
`exported_instance` (device families) or `hostname` (host families).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from grafana import (  # noqa: E402  (a script next to its helper module)
    Json,
    bargauge,
    dashboard,
    dashboard_link,
    datasource_variable,
    heatmap,
    layout,
    piechart,
    query_variable,
    row,
    stat,
    table,
    target,
    textbox_variable,
    timeseries,
)
from workload_panels import memory_by_namespace  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "grafana"
OVERVIEW_UID = "allsmi-cluster-overview"
DETAIL_UID = "allsmi-node-detail"
TAGS = ["allsmi", "gpu", "npu"]
GIB = 1024**3

JOB_VAR = query_variable("job", "Job", "label_values(all_smi_up, job)", multi=False,
                         include_all=False)
PER_DEVICE = "{{gpu_index}}: {{gpu}}"  # legend of a per-device series on the node detail
# Reference series (limits, thresholds, totals) are drawn dashed: their legends say which.
DASHED = {"matcher": {"id": "byRegexp", "options": ".*(limit|slowdown|shutdown|max|total).*"},
          "properties": [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}}]}
UP_DOWN = [{"type": "value", "options": {"0": {"text": "DOWN", "color": "red", "index": 0},
                                         "1": {"text": "UP", "color": "green", "index": 1}}}]


# Energy: all_smi_energy_consumed_joules_total is what allsmi (or all-smi) integrated since
# it first ran on the node; kWh and cost at the price typed in the dashboard header (the TUI
# takes it from the config's energy section).
J_PER_KWH = 3_600_000
PRICE_VARS = [
    textbox_variable("price_per_kwh", "Price per kWh", "0.12",
                     "Price of one kWh, for the cost panels (the TUI: energy.price_per_kwh)."),
    textbox_variable("currency", "Currency", "USD", "Currency of the price, shown in titles."),
]


def kwh(joules_expr: str) -> str:
    """PromQL of `joules_expr` in kWh."""
    return f"{joules_expr} / {J_PER_KWH}"


def cost(joules_expr: str) -> str:
    """PromQL of `joules_expr` at the dashboard's price per kWh."""
    return f"{joules_expr} / {J_PER_KWH} * $price_per_kwh"


def against(title: str, description: str, metric: str, references: list[tuple[str, str]],
            unit: str, selector: str, *, min_: float | None = None) -> Json:
    """A line per device of `metric`, with its `references` (metric, legend) dashed."""
    targets = [target(f"{metric}{{{selector}}}", PER_DEVICE)]
    targets += [target(f"{ref_metric}{{{selector}}}", f"{{{{gpu_index}}}}: {legend}", ref)
                for ref, (ref_metric, legend) in zip("BCDEFGH", references, strict=False)]
    return timeseries(title, description, targets, unit, min_=min_, overrides=[DASHED])


def cluster_overview() -> Json:
    """Cluster overview: many nodes at a glance."""
    node = 'job=~"$job", instance=~"$instance"'
    dev = f'{node}, gpu=~"$gpu"'
    # energy has no `gpu` (model) label: keep the devices of the chosen models by uuid
    devices_of = f" and on(job, instance, gpu_uuid) all_smi_gpu_info{{{dev}}}"
    energy = f"increase(all_smi_energy_consumed_joules_total{{{node}}}[$__range]){devices_of}"
    lifetime = f"all_smi_energy_consumed_joules_total{{{node}}}{devices_of}"
    to_node = [{"title": "Node detail", "targetBlank": False,
                "url": f"/d/{DETAIL_UID}?var-job=$job&var-instance=${{__data.fields.instance}}"
                       "&${__url_time_range}"}]
    link_override = [{"matcher": {"id": "byName", "options": "instance"},
                      "properties": [{"id": "links", "value": to_node}]}]
    variables = [
        datasource_variable(),
        JOB_VAR,
        query_variable("instance", "Node", 'label_values(all_smi_up{job=~"$job"}, instance)',
                       multi=True, include_all=True),
        query_variable("gpu", "Device model",
                       f"label_values(all_smi_gpu_info{{{node}}}, gpu)",
                       multi=True, include_all=True),
        *PRICE_VARS,
    ]
    items: list[tuple[Json, int, int]] = [
        (row("Cluster"), 24, 1),
        (stat("Nodes up", "Exporters that answer and have completed a collection "
              "(all_smi_up == 1).",
              [target(f"count(all_smi_up{{{node}}} == 1) or vector(0)", "up")], "none",
              decimals=0), 3, 4),
        (stat("Nodes down", "Scrape targets of this job that Prometheus cannot scrape "
              "(up == 0). The table 'Unreachable nodes' names them.",
              [target('count(up{job=~"$job"} == 0) or vector(0)', "down")], "none",
              thresholds=[(None, "green"), (1, "red")], decimals=0), 3, 4),
        (stat("Devices", "GPUs and NPUs reported by the selected nodes.",
              [target(f"count(all_smi_gpu_info{{{dev}}})", "devices")], "none",
              decimals=0), 3, 4),
        (stat("Mean utilization", "Mean utilization over all selected devices.",
              [target(f"avg(all_smi_gpu_utilization{{{dev}}})", "utilization")], "percent",
              thresholds=[(None, "blue"), (30, "green"), (90, "orange")], graph=True), 3, 4),
        (stat("Device memory used", "Device memory in use, summed over selected devices.",
              [target(f"sum(all_smi_gpu_memory_used_bytes{{{dev}}})", "used")], "bytes",
              graph=True), 4, 4),
        (stat("Power now", "Power drawn by the selected devices now.",
              [target(f"sum(all_smi_gpu_power_consumption_watts{{{dev}}})", "power")],
              "watt", graph=True), 4, 4),
        (stat("Energy in range", "Energy the selected devices used over the dashboard's "
              "time range (increase of all_smi_energy_consumed_joules_total).",
              [target(f"sum({energy})", "energy")], "joule"), 4, 4),
        (stat("Energy in range (kWh)", "The same energy in kilowatt-hours.",
              [target(kwh(f"sum({energy})"), "energy")], "kwatth", decimals=3), 6, 4),
        (stat("Cost in range ($currency)", "What that energy cost at the price per kWh "
              "typed in the dashboard header.",
              [target(cost(f"sum({energy})"), "cost")], "none", decimals=2), 6, 4),
        (stat("Energy since first run (kWh)", "Energy the selected devices used since the "
              "exporter first ran on each node (all_smi_energy_consumed_joules_total, kept "
              "across exporter restarts).",
              [target(kwh(f"sum({lifetime})"), "energy")], "kwatth", decimals=3), 6, 4),
        (stat("Cost since first run ($currency)", "What the energy since first run cost "
              "at the price per kWh typed in the dashboard header.",
              [target(cost(f"sum({lifetime})"), "cost")], "none", decimals=2), 6, 4),
        (heatmap("Utilization by node", "Mean device utilization of each node over time: "
                 "one row per node.",
                 [target(f"avg by (instance) (all_smi_gpu_utilization{{{dev}}})",
                         "{{instance}}")], "percent", calculate=False), 12, 10),
        (heatmap("Temperature distribution", "How many devices are at each temperature "
                 "(5 °C buckets) over time.",
                 [target(f"all_smi_gpu_temperature_celsius{{{dev}}}",
                         "{{instance}} {{gpu_index}}")], "celsius", calculate=True,
                 bucket_size=5), 12, 10),
        (timeseries("Device memory", "Device memory used and installed, summed over the "
                    "selected devices.",
                    [target(f"sum(all_smi_gpu_memory_used_bytes{{{dev}}})", "used"),
                     target(f"sum(all_smi_gpu_memory_total_bytes{{{dev}}})", "total", "B")],
                    "bytes", min_=0), 8, 8),
        (timeseries("Device memory used by node", "Share of each node's device memory "
                    "in use.",
                    [target(f"100 * sum by (instance) (all_smi_gpu_memory_used_bytes{{{dev}}})"
                            f" / sum by (instance) (all_smi_gpu_memory_total_bytes{{{dev}}})",
                            "{{instance}}")], "percent", min_=0, max_=100), 8, 8),
        (timeseries("Power by node", "Device power of each node, stacked: the top line is "
                    "the cluster total.",
                    [target(f"sum by (instance) (all_smi_gpu_power_consumption_watts{{{dev}}})",
                            "{{instance}}")], "watt", min_=0, stack=True), 8, 8),
        (bargauge("Energy by node in range", "Energy each node's devices used over the "
                  "dashboard's time range.",
                  [target(f"sum by (instance) ({energy})", "{{instance}}", instant=True)],
                  "joule"), 8, 8),
        (bargauge("Cost by node in range ($currency)", "What each node's devices' energy "
                  "over the time range cost at the price per kWh in the header.",
                  [target(cost(f"sum by (instance) ({energy})"), "{{instance}}",
                          instant=True)], "none"), 8, 8),
        (piechart("Devices by model", "How many devices of each model the selected nodes "
                  "report.",
                  [target(f"count by (gpu) (all_smi_gpu_info{{{dev}}})", "{{gpu}}",
                          instant=True)], "none"), 8, 8),
        (timeseries("Hottest device per node", "Highest device temperature on each node.",
                    [target(f"max by (instance) (all_smi_gpu_temperature_celsius{{{dev}}})",
                            "{{instance}}")], "celsius"), 8, 8),
        (memory_by_namespace(node, dev), 24, 8),
        (row("Per device"), 24, 1),
        (table("Busiest devices", "The 10 devices with the highest mean utilization over "
               "the time range. Click a node to open its detail.",
               [target(f"topk(10, avg_over_time(all_smi_gpu_utilization{{{dev}}}"
                       "[$__range]))", instant=True, table=True)],
               "percent", rename={"Value": "mean utilization"}, sort_by="mean utilization",
               overrides=link_override), 12, 9),
        (table("Idlest devices", "The 10 devices with the lowest mean utilization over the "
               "time range.",
               [target(f"bottomk(10, avg_over_time(all_smi_gpu_utilization{{{dev}}}"
                       "[$__range]))", instant=True, table=True)],
               "percent", rename={"Value": "mean utilization"}, overrides=link_override),
         12, 9),
        (table("Allocated but idle", "Devices holding more than 1 GiB of memory while "
               "below 1 % utilization: a job that reserved a GPU and does not use it. "
               "Empty when all is well.",
               [target(f"all_smi_gpu_memory_used_bytes{{{dev}}} > {GIB}"
                       f" and on(job, instance, gpu_uuid) all_smi_gpu_utilization{{{dev}}} < 1",
                       instant=True, table=True)],
               "bytes", rename={"Value": "memory used"}, overrides=link_override), 12, 8),
        (table("Unreachable nodes", "The nodes down: targets Prometheus cannot scrape right "
               "now. Empty when all is well.",
               [target('up{job=~"$job"} == 0', instant=True, table=True)], "none",
               rename={"Value": "up"}), 12, 8),
        (table("Active alerts", "all-smi alerts (dashboards/prometheus/alerts.yml) that are "
               "pending or firing. Empty when all is well.",
               [target('ALERTS{alertname=~"AllSmi.*"}', instant=True, table=True)], "none",
               hide=("Time", "__name__", "Value")), 24, 8),
    ]
    return dashboard(OVERVIEW_UID, "all-smi / Cluster overview",
                     "Every node and device the all-smi exporters report: health, load, "
                     "memory, power, energy and temperature.",
                     variables, layout(items),
                     [dashboard_link("Node detail", DETAIL_UID)], TAGS)


def node_detail() -> Json:
    """Node detail: one node, each device on its own line."""
    node = 'job=~"$job", instance="$instance"'
    dev = f'{node}, gpu_index=~"$gpu"'
    # the CPU's energy series has an empty gpu_index, which the "All" regex .* also matches
    dev_energy = f'all_smi_energy_consumed_joules_total{{{dev}, scope="gpu"}}'
    cpu_energy = f'all_smi_energy_consumed_joules_total{{{node}, scope="cpu"}}'
    variables = [
        datasource_variable(),
        JOB_VAR,
        query_variable("instance", "Node", 'label_values(all_smi_up{job=~"$job"}, instance)',
                       multi=False, include_all=False),
        query_variable("gpu", "Device", f"label_values(all_smi_gpu_info{{{node}}}, gpu_index)",
                       multi=True, include_all=True, sort=3),
        *PRICE_VARS,
    ]
    process_units = [
        {"matcher": {"id": "byName", "options": "Value #A"},
         "properties": [{"id": "unit", "value": "bytes"},
                        {"id": "displayName", "value": "device memory"}]},
        {"matcher": {"id": "byName", "options": "Value #B"},
         "properties": [{"id": "unit", "value": "percent"},
                        {"id": "displayName", "value": "CPU"}]},
        {"matcher": {"id": "byName", "options": "Value #C"},
         "properties": [{"id": "unit", "value": "s"}, {"id": "displayName", "value": "age"}]},
    ]
    items: list[tuple[Json, int, int]] = [
        (row("Node"), 24, 1),
        (stat("Exporter", "Whether Prometheus can scrape this node's exporter.",
              [target('up{job=~"$job", instance="$instance"}', "up")], "none",
              thresholds=[(None, "red"), (1, "green")], mappings=UP_DOWN), 3, 4),
        (stat("Devices", "GPUs and NPUs on this node.",
              [target(f"count(all_smi_gpu_info{{{node}}})", "devices")], "none",
              decimals=0), 3, 4),
        (stat("Device power", "Power the devices of this node draw now.",
              [target(f"sum(all_smi_gpu_power_consumption_watts{{{dev}}})", "power")],
              "watt", graph=True), 4, 4),
        (stat("Energy in range", "Energy the devices used over the time range.",
              [target(f"sum(increase({dev_energy}[$__range]))", "energy")], "joule"), 4, 4),
        (table("Devices on this node", "Identity of each device (all_smi_gpu_info).",
               [target(f"all_smi_gpu_info{{{dev}}}", instant=True, table=True)], "none",
               hide=("Time", "__name__", "job", "Value", "instance", "gpu_uuid")), 10, 4),
        (stat("Energy in range (kWh)", "Energy of the devices and, where the node reports "
              "it, its CPU over the time range, in kilowatt-hours.",
              [target(kwh(f"sum(increase({dev_energy}[$__range]))"), "devices"),
               target(kwh(f"sum(increase({cpu_energy}[$__range]))"), "CPU", "B")],
              "kwatth", decimals=3), 6, 4),
        (stat("Cost in range ($currency)", "What the devices' energy over the time range "
              "cost at the price per kWh typed in the dashboard header.",
              [target(cost(f"sum(increase({dev_energy}[$__range]))"), "cost")], "none",
              decimals=2), 6, 4),
        (stat("Energy since first run (kWh)", "Energy of the devices since the exporter "
              "first ran on this node (all_smi_energy_consumed_joules_total, kept across "
              "restarts).", [target(kwh(f"sum({dev_energy})"), "devices")], "kwatth",
              decimals=3), 6, 4),
        (stat("Cost since first run ($currency)", "What the devices' energy since first "
              "run cost at the price per kWh typed in the dashboard header.",
              [target(cost(f"sum({dev_energy})"), "cost")], "none", decimals=2), 6, 4),
        # allsmi-py's own families (an all-smi node has none of them: these three stay empty)
        (stat("Collection age", "Seconds since the exporter's latest collection "
              "(allsmi_last_collection_timestamp_seconds); a few seconds is normal, over a "
              "minute means its collector is stuck (alert AllSmiCollectionStale).",
              [target(f"time() - allsmi_last_collection_timestamp_seconds{{{node}}}", "age")],
              "s", thresholds=[(None, "green"), (30, "orange"), (60, "red")], decimals=0),
         4, 6),
        (table("Device state", "Each device's state (allsmi_device_state): ok, or lost "
               "when it stopped answering its driver (alert AllSmiDeviceLost).",
               [target(f"allsmi_device_state{{{dev}}}", instant=True, table=True)], "none",
               hide=("Time", "__name__", "job", "Value", "instance", "exported_instance")),
         10, 6),
        (table("Backend state", "Each backend's state (allsmi_backend_state): ok, "
               "unavailable (its hardware is not here), error or lost (alert "
               "AllSmiBackendFailing), and seconds since its last good read.",
               [target(f"allsmi_backend_state{{{node}}}", instant=True, table=True),
                target(f"time() - allsmi_backend_last_success_timestamp_seconds{{{node}}}",
                       ref="B", instant=True, table=True)],
               "none", hide=("Time", "__name__", "job", "instance", "exported_instance",
                             "hostname", "Value #A"),
               rename={"Value #B": "seconds since last read"}, merge=True), 10, 6),
        (row("Per device"), 24, 1),
        (timeseries("Utilization", "Utilization of each device.",
                    [target(f"all_smi_gpu_utilization{{{dev}}}", PER_DEVICE)], "percent",
                    min_=0, max_=100), 12, 8),
        (against("Memory", "Device memory used (solid) and installed (dashed).",
                 "all_smi_gpu_memory_used_bytes", [("all_smi_gpu_memory_total_bytes", "total")],
                 "bytes", dev, min_=0), 12, 8),
        (against("Temperature against thresholds", "Device temperature, with the "
                 "slowdown and shutdown thresholds where the device reports them (NVIDIA).",
                 "all_smi_gpu_temperature_celsius",
                 [("all_smi_gpu_temperature_threshold_slowdown_celsius", "slowdown"),
                  ("all_smi_gpu_temperature_threshold_shutdown_celsius", "shutdown")],
                 "celsius", dev), 12, 8),
        (against("Power against limit", "Device power, with the enforced power limit "
                 "where the device reports it.",
                 "all_smi_gpu_power_consumption_watts",
                 [("all_smi_gpu_power_limit_current_watts", "limit")], "watt", dev, min_=0),
         12, 8),
        (against("Clocks", "Graphics (or AI core) clock, with its maximum where reported.",
                 "all_smi_gpu_frequency_mhz", [("all_smi_gpu_clock_graphics_max_mhz", "max")],
                 "rotmhz", dev, min_=0), 12, 8),
        (bargauge("Energy by device in range", "Energy each device used over the time "
                  "range.",
                  [target(f"increase({dev_energy}[$__range])", "{{gpu_index}}",
                          instant=True)], "joule"), 12, 8),
        (table("Processes", "Processes using the devices, as exported with "
               "`allsmi api --processes` (empty without it).",
               [target(f"all_smi_process_memory_used_bytes{{{dev}}}", instant=True,
                       table=True),
                target(f"all_smi_process_cpu_percent{{{dev}}}", ref="B", instant=True,
                       table=True),
                target(f"all_smi_process_start_time_seconds{{{dev}}}", ref="C",
                       instant=True, table=True)],
               "none", hide=("Time", "__name__", "job", "instance", "device_id",
                             "device_uuid"),
               overrides=process_units, merge=True), 24, 8),
        (memory_by_namespace(dev), 24, 8),
        (row("Host"), 24, 1),
        (timeseries("CPU", "Host CPU utilization.",
                    [target(f"all_smi_cpu_utilization{{{node}}}", "{{cpu_model}}")],
                    "percent", min_=0, max_=100), 8, 8),
        (timeseries("Host memory", "Host memory used and installed.",
                    [target(f"all_smi_memory_used_bytes{{{node}}}", "used"),
                     target(f"all_smi_memory_total_bytes{{{node}}}", "total", "B")],
                    "bytes", min_=0, overrides=[DASHED]), 8, 8),
        (bargauge("Disk used", "Share of each file system in use.",
                  [target(f"100 * (1 - all_smi_disk_available_bytes{{{node}}}"
                          f" / all_smi_disk_total_bytes{{{node}}})", "{{mount_point}}",
                          instant=True)], "percent", max_=100,
                  thresholds=[(None, "green"), (80, "orange"), (90, "red")]), 8, 8),
    ]
    return dashboard(DETAIL_UID, "all-smi / Node detail",
                     "One node: each device's utilization, memory, temperature against "
                     "thresholds, power against limit, clocks and processes, and the host.",
                     variables, layout(items),
                     [dashboard_link("Cluster overview", OVERVIEW_UID)], TAGS)


DASHBOARDS = {"cluster-overview.json": cluster_overview, "node-detail.json": node_detail}


def render(build: object) -> str:
    """The JSON text of one dashboard, as committed."""
    assert callable(build)
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the dashboards, or with --check report which ones differ from the files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for name, build in DASHBOARDS.items():
        path = OUT / name
        text = render(build)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run dashboards/tools/build_dashboards.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
