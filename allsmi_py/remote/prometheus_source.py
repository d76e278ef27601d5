"""The cluster from a Prometheus server's HTTP API instead of scraping every node ourselves.

One instant query per round, `{__name__=~"up|all_smi_<every family we read>"}`, returns each
node's current samples and each target's `up` in one consistent evaluation: Prometheus
matches the names on its postings index, and naming only the families `rules.py` reads keeps
series we would drop (per-core CPU, unknown families) off the wire. `/api/v1/targets` is asked
only in rounds where a target is down, for its last scrape error. So a healthy round costs
one HTTP request whatever the cluster's size.

Samples are grouped by target (`job`, `instance`) and fed to the same routing as exposition
text (`parse.snapshot_from_samples`), after undoing what Prometheus did to the labels: target
labels (those on the target's `up`) are dropped, and `exported_<label>`, Prometheus' rename of
an exporter label that clashed with a target label (`honor_labels: false`, the dashboards'
config), gets its name back. With `honor_labels: true` the exporter's `instance` (its
hostname) wins, so live nodes are keyed by hostname and only down targets by address.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ssl
import time
from collections.abc import Mapping
from typing import Any

import httpx

from allsmi_py.model import ClusterNode, ClusterSnapshot, NodeStatus
from allsmi_py.remote.exposition import Sample
from allsmi_py.remote.parse import ParseError, snapshot_from_samples
from allsmi_py.remote.prometheus_http import PrometheusApi, PrometheusFailure
from allsmi_py.remote.rules import rules
from allsmi_py.remote.source import RoundSource
from allsmi_py.remote.text import clean_text

__all__ = ["PrometheusFailure", "PrometheusSource", "family_selector"]

SOURCE = "prometheus"
_PREFIX = "exported_"
_DEFAULT_TARGET_LABELS = frozenset({"job", "instance"})
Key = tuple[str, str]  # (job, instance)


def family_selector(job: str | None = None) -> str:
    """The PromQL selector of `up` and every all_smi family the parser reads."""
    names = "|".join(sorted(rules()))
    matchers = f'__name__=~"up|{names}"'
    if job is not None:
        escaped = job.replace("\\", "\\\\").replace('"', '\\"')
        matchers += f', job="{escaped}"'
    return "{" + matchers + "}"


class PrometheusSource(RoundSource):
    """Reads the cluster from Prometheus once per `poll_once`; a drop-in for ClusterPoller."""

    def __init__(self, url: str, *, timeout_s: float = 5.0, auth_token: str | None = None,
                 job: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 ssl_context: ssl.SSLContext | None = None, at_s: float | None = None,
                 max_response_bytes: int | None = None) -> None:
        """Prometheus base URL (http://host:9090); seconds; an optional bearer token and job;
        `at_s`: evaluate at this Unix time instead of now."""
        extra = {} if max_response_bytes is None else {"max_response_bytes": max_response_bytes}
        self.api = PrometheusApi(url, timeout_s=timeout_s, auth_token=auth_token,
                                 transport=transport, ssl_context=ssl_context, at_s=at_s,
                                 **extra)
        self.url = self.api.url
        self.shown_url = self.api.shown_url
        self.timeout_s = timeout_s
        self.job = job
        self._query = family_selector(job)
        self._problems: tuple[str, ...] = ()
        self.failure: str | None = None  # why the latest round got no answer from Prometheus
        self._jobs: set[str] = set()  # jobs that ever held all_smi series
        self._last_good: dict[Key, ClusterNode] = {}
        self._last: ClusterSnapshot | None = None

    @property
    def problems(self) -> tuple[str, ...]:
        """Trouble with Prometheus in the latest round, for the UI to show."""
        return self._problems

    async def poll_once(self) -> ClusterSnapshot:
        """One round; never raises for Prometheus trouble (see `problems`), nodes go stale."""
        try:
            series, eval_s, warnings = await asyncio.wait_for(self.api.query(self._query),
                                                              self.timeout_s)
        except PrometheusFailure as exc:
            return self._failed(exc)
        except asyncio.TimeoutError:
            return self._failed(PrometheusFailure("timeout", f"timed out after {self.timeout_s} s"))
        self.failure = None
        ups, data, target_labels = group_series(series)
        self._jobs.update(job for job, _ in data)
        down = [k for k, v in ups.items() if v == 0 and self._watched(k[0])]
        errors = await self._scrape_errors() if down else {}
        nodes = self._nodes(ups, data, target_labels, eval_s, errors)
        self._problems = tuple(f"prometheus: {w}" for w in warnings)
        if not nodes:
            self._problems += (f"prometheus: no all_smi series at {self.shown_url}",)
        self._last = ClusterSnapshot(taken_at_s=time.time(), nodes=tuple(nodes))
        return self._last

    def _watched(self, job: str) -> bool:
        return self.job is not None or job in self._jobs

    def _nodes(self, ups: Mapping[Key, float], data: Mapping[Key, list[Sample]],
               target_labels: Mapping[str, frozenset[str]], eval_s: float,
               errors: Mapping[Key, str]) -> list[ClusterNode]:
        nodes: list[ClusterNode] = []
        for key in sorted(set(ups) | set(data)):
            job, instance = key
            up = ups.get(key)
            if up is not None and up == 0:
                if self._watched(job):
                    nodes.append(self._down(key, errors.get(key)))
                continue
            samples = data.get(key)
            if not samples:
                continue  # a live target with no all_smi series is not a node we can show
            strip = target_labels.get(job, _DEFAULT_TARGET_LABELS)
            try:
                snapshot = snapshot_from_samples(exporter_samples(samples, strip), instance)
            except ParseError:
                continue
            if not snapshot.devices and snapshot.host is None:
                continue  # only energy counters: the honor_labels twin of a node keyed by name
            snapshot = dataclasses.replace(snapshot, taken_at_s=eval_s)
            node = ClusterNode(NodeStatus(address=clean_text(instance), state="ok",
                                          last_ok_at_s=eval_s,
                                          source=SOURCE), snapshot)
            self._last_good[key] = node
            nodes.append(node)
        return nodes

    def _down(self, key: Key, error: str | None) -> ClusterNode:
        state, http_status = state_of_scrape_error(error)
        previous = self._last_good.get(key)
        return ClusterNode(
            # with honor_labels the instance is the node's own choice, and so is its error text
            NodeStatus(address=clean_text(key[1]), state=state,
                       error=clean_text(error or "Prometheus reports the target down (up == 0)"),
                       http_status=http_status, source=SOURCE,
                       last_ok_at_s=previous.status.last_ok_at_s if previous else None),
            previous.snapshot if previous else None)

    def _failed(self, failure: PrometheusFailure) -> ClusterSnapshot:
        message = f"prometheus at {self.shown_url}: {failure}"
        self.failure = message
        self._problems = (message,)
        nodes: tuple[ClusterNode, ...] = ()
        if self._last is not None:
            nodes = tuple(
                ClusterNode(dataclasses.replace(n.status, state=failure.state, error=message,
                                                http_status=failure.http_status), n.snapshot)
                for n in self._last.nodes)
        self._last = ClusterSnapshot(taken_at_s=time.time(), nodes=nodes)
        return self._last

    async def _scrape_errors(self) -> dict[Key, str]:
        """Last scrape error per target; empty when the targets API does not answer."""
        try:
            targets = await asyncio.wait_for(self.api.targets(), self.timeout_s)
        except (PrometheusFailure, asyncio.TimeoutError):
            return {}  # a query-only API (a proxy, Thanos): the generic message will do
        return scrape_errors(targets or [])

    async def close(self) -> None:
        """Close the HTTP client."""
        await self.api.close()


def scrape_errors(targets: list[dict[str, Any]]) -> dict[Key, str]:
    """The last scrape error of each target that has one, from /api/v1/targets entries."""
    errors: dict[Key, str] = {}
    for target in targets:
        labels = target.get("labels")
        if isinstance(labels, dict) and target.get("lastError"):
            key = (str(labels.get("job", "")), str(labels.get("instance", "")))
            errors[key] = str(target["lastError"])[:500]
    return errors


def group_series(series: list[Any]) -> tuple[dict[Key, float], dict[Key, list[Sample]],
                                             dict[str, frozenset[str]]]:
    """Series to `up` per target, all_smi samples per target, and target label names per job."""
    ups: dict[Key, float] = {}
    data: dict[Key, list[Sample]] = {}
    target_labels: dict[str, set[str]] = {}
    for entry in series:
        if not isinstance(entry, dict):
            continue
        labels, value = entry.get("metric"), entry.get("value")
        if not isinstance(labels, dict) or not isinstance(value, list) or len(value) != 2:
            continue
        try:
            number = float(value[1])  # Prometheus writes "NaN", "+Inf" and decimals as strings
        except (TypeError, ValueError):
            continue
        name = labels.get("__name__", "")
        key = (labels.get("job", ""), labels.get("instance", ""))
        if name == "up":
            ups[key] = number
            target_labels.setdefault(key[0], set()).update(k for k in labels if k != "__name__")
        elif name:
            data.setdefault(key, []).append((name, labels, number))
    return ups, data, {job: frozenset(keys) for job, keys in target_labels.items()}


def exporter_samples(samples: list[Sample], target_labels: frozenset[str]) -> list[Sample]:
    """Samples with the labels their exporter wrote: target labels gone, `exported_*` renamed."""
    drop = target_labels | {"__name__"}
    renames = [(_PREFIX + label, label) for label in target_labels]
    out: list[Sample] = []
    for name, labels, value in samples:
        clean = {k: v for k, v in labels.items() if k not in drop}
        for old, label in renames:
            if old in clean:
                clean[label] = clean.pop(old)
        out.append((name, clean, value))
    return out


def state_of_scrape_error(error: str | None) -> tuple[str, int | None]:
    """A Prometheus lastError to our NodeStatus vocabulary: state and HTTP status if any."""
    text = (error or "").lower()
    if "deadline exceeded" in text or "timeout" in text:
        return "timeout", None
    marker = "server returned http status "
    if marker in text:
        code = text.split(marker, 1)[1][:3]
        return "http_error", int(code) if code.isdigit() else None
    return "unreachable", None

