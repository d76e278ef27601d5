"""The PromQL of the aggregated cluster view: every query Prometheus answers with few series.

Families come from `rules.py` by the model field they fill, so a vendor's utilization
(`all_smi_gpu_utilization`, `all_smi_tpu_utilization_percent`, ...) counts wherever
"utilization" does. The overview is one short query per statistic, all at the same
evaluation time (`time=`, or the server's now for each: a scrape apart at most).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from allsmi_py.remote.rules import rules

STAT_LABEL = "allsmi_stat"
GENERIC_PREFIX = "all_smi_gpu_"
# The labels that name one device in a device family (by scope: gpu, npu, mig_device).
DEVICE_KEY_LABELS = ("gpu_uuid", "npu_uuid")
MATCH_LABELS = ("job", "instance", *DEVICE_KEY_LABELS)  # one device, across its families
# Filter and sort fields (tui.device_fields names) -> the model field they read.
FIELD_OF_KEY = {"util": "utilization_pct", "temp": "temperature_c", "power": "power_w"}
PROMQL_OPS = {">": ">", "<": "<", ">=": ">=", "<=": "<=", "==": "==", "=": "==", "!=": "!="}


def quoted(text: str) -> str:
    """A PromQL string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def regex_of(values: Sequence[str]) -> str:
    """A PromQL regex literal matching exactly these values (RE2, anchored by Prometheus)."""
    specials = set("\\.+*?()|[]{}^$")
    escaped = ("".join("\\" + c if c in specials else c for c in v) for v in sorted(set(values)))
    return quoted("|".join(escaped))


@cache
def families(field: str) -> tuple[str, ...]:
    """The device families that fill `field` of DeviceReading."""
    return tuple(sorted(name for name, rule in rules().items()
                        if rule.scope == "device" and rule.field == field and not rule.label))


@lru_cache(maxsize=1)
def device_families() -> tuple[str, ...]:
    """Every family the parser reads into a device, for fetching whole devices."""
    return tuple(sorted(name for name, rule in rules().items() if rule.scope == "device"))


@dataclass(frozen=True, slots=True)
class Scope:
    """Matchers every query carries: the job, when one is chosen."""

    job: str | None = None

    def selector(self, names: Sequence[str], *extra: str) -> str:
        """`{__name__=~"a|b", job="j", ...}`."""
        matchers = [f"__name__=~{regex_of(names)}"]
        if self.job is not None:
            matchers.append(f"job={quoted(self.job)}")
        matchers.extend(extra)
        return "{" + ", ".join(matchers) + "}"

    def of(self, field: str, *extra: str) -> str:
        """Each device's value of `field`, once per device.

        Our exporter writes every device in the generic `all_smi_gpu_*` families and an NPU
        again in its vendor's (`all_smi_furiosa_*{npu_uuid=...}`); all-smi may write only the
        vendor's. So the generic series win, and a vendor series counts only for a device
        they lack (matched by uuid, the NPU's relabelled as gpu_uuid).
        """
        generic = [n for n in families(field) if n.startswith(GENERIC_PREFIX)]
        vendor = [n for n in families(field) if not n.startswith(GENERIC_PREFIX)]
        if not vendor:
            return self.selector(generic, *extra)
        relabelled = (f'label_replace({self.selector(vendor, *extra)}, "gpu_uuid", "$1", '
                      '"npu_uuid", "(.+)")')
        if not generic:
            return relabelled
        return (f"({self.selector(generic, *extra)} or on (job, instance, gpu_uuid) "
                f"{relabelled})")

    def memory_pct(self) -> str:
        """Each device's memory used, percent of total (the `mem` sort and filter field)."""
        used, total = self.of("memory_used_bytes"), self.of("memory_total_bytes")
        return f"(100 * {used} / {total})"

    def field_vector(self, key: str) -> str:
        """The per-device vector of a sort/filter key (util, mem, temp, power)."""
        if key == "mem":
            return self.memory_pct()
        return self.of(FIELD_OF_KEY[key])

    def summary(self) -> dict[str, str]:
        """The overview's statistics asked every round, one query each: Prometheus evaluates
        the parts of one query one after another, but separate queries side by side. Each
        selects every device's series (~0.6 s of Prometheus CPU per 80,000 devices, whatever
        the aggregation), so the round asks as few as it can: the mean utilization and the
        device count come from the grid and `node_device_counts`, and what changes slowly
        is in `steady`."""
        return {
            "memory_used": f"sum({self.of('memory_used_bytes')})",
            "temp_max": f"max({self.of('temperature_c')})",
            "power": f"sum({self.of('power_w')})",
            "energy": f"sum({self.selector(('all_smi_energy_consumed_joules_total',))})",
        }

    def steady(self) -> dict[str, str]:
        """The overview's statistics that change slowly: asked every few rounds (a mean
        temperature moves with the heat of a whole cluster; its hottest device stays in
        `summary`)."""
        temp = self.of("temperature_c")
        return {
            "memory_total": f"sum({self.of('memory_total_bytes')})",
            "temp_mean": f"avg({temp})",
            "temp_stdev": f"stddev({temp})",
        }

    def node_device_counts(self) -> str:
        """Each live node's number of devices (asked with `steady`): the cluster's device
        count, and the weights that make the grid's node means the cluster's mean."""
        return f"count by (job, instance) ({self.of('utilization_pct')})"

    def node_utilization(self) -> str:
        """Each live node's mean device utilization (the node grid), with its job."""
        return f"avg by (job, instance) ({self.of('utilization_pct')})"

    def down_targets(self) -> str:
        """Targets whose last scrape failed (the caller keeps those of all_smi jobs)."""
        return "up == 0" if self.job is None else f"up{{job={quoted(self.job)}}} == 0"

    def ranked(self, key: str, descending: bool, count: int, where: str | None) -> str:
        """The top (or bottom) `count` devices by `key`, of those passing `where`."""
        vector = self.field_vector(key)
        if where:
            vector = f"({vector} and on ({', '.join(MATCH_LABELS)}) ({where}))"
        return f"{'topk' if descending else 'bottomk'}({count}, {vector})"

    def devices_of_nodes(self, instances: Sequence[str]) -> str:
        """Every device series of these nodes, and their `up`."""
        return self.selector(("up", *device_families()), f"instance=~{regex_of(instances)}")

    def devices_by_key(self, keys: Sequence[str], instances: Sequence[str]) -> str:
        """Every series of the devices these uuids name (on these nodes), and the nodes' `up`
        (whose labels are the target labels to strip)."""
        on_nodes = f"instance=~{regex_of(instances)}"
        parts = [self.selector(device_families(), on_nodes, f"{label}=~{regex_of(keys)}")
                 for label in DEVICE_KEY_LABELS]
        return " or ".join([*parts, self.selector(("up",), on_nodes)])

    def node(self, instance: str, names: Sequence[str]) -> str:
        """Every series of one node (the Node tab), of the families the parser reads."""
        return self.selector(names, f"instance={quoted(instance)}")

    def users(self) -> str:
        """Per user: GPU memory held (STAT_LABEL "memory") and the processes on each of
        their GPUs ("gpu", by instance and device_uuid: the nodes with processes are theirs,
        no third pass over every process). The per-GPU counts are the one part that grows
        with the cluster: one series per GPU in use, which is why the Users tab is asked only
        while it is open."""
        memory = self.selector(("all_smi_process_memory_used_bytes",))
        stats = {
            "memory": f"sum by (user) ({memory})",
            "gpu": f"count by (user, instance, device_uuid) ({memory})",
        }
        return " or ".join(f'label_replace({expr}, "{STAT_LABEL}", "{name}", "", "")'
                           for name, expr in stats.items())

    def top_process(self) -> str:
        """Each user's process holding the most GPU memory (its command for the Users tab)."""
        return f"topk by (user) (1, {self.selector(('all_smi_process_memory_used_bytes',))})"


def condition(scope: Scope, key: str, op: str, value: float) -> str:
    """One filter condition as a PromQL filter over the devices (`util>50`)."""
    return f"({scope.field_vector(key)} {PROMQL_OPS[op]} {value!r})"
