"""A fake Prometheus HTTP API for PrometheusSource tests: vectors built from real exporter text.

`scraped(...)` turns an exposition into the series Prometheus would store for one target,
renaming clashing labels the way its `honor_labels` setting does; `FakePrometheus` answers
`/api/v1/query` and `/api/v1/targets` with Prometheus' JSON shapes and records the calls.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx

from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import NodeSnapshot
from allsmi_py.remote.exposition import parse_samples

EVAL_S = 1_800_000_123.456


def prom_value(value: float) -> str:
    """A float as Prometheus writes it in JSON: a string, NaN and +Inf/-Inf spelled out."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    return format(value, ".17g")


def scraped(snapshot: NodeSnapshot, instance: str, job: str = "allsmi", *,
            honor_labels: bool = False,
            extra_target_labels: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The all_smi series and `up` Prometheus stores after scraping `snapshot` at `instance`."""
    targets = {"job": job, "instance": instance, **(extra_target_labels or {})}
    out = [series("up", 1.0, targets)]
    for name, labels, value in parse_samples(render_prometheus(snapshot)):
        metric = dict(labels)
        for key, text in targets.items():
            if key not in metric:
                metric[key] = text
            elif not honor_labels:
                metric["exported_" + key] = metric[key]
                metric[key] = text
        out.append(series(name, value, metric))
    return out


def series(name: str, value: float, labels: Mapping[str, str]) -> dict[str, Any]:
    """One element of an instant vector's `result`."""
    return {"metric": {"__name__": name, **labels}, "value": [EVAL_S, prom_value(value)]}


def vector(result: list[dict[str, Any]]) -> dict[str, Any]:
    """A successful instant-query answer."""
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def active_target(job: str, instance: str, health: str, error: str = "") -> dict[str, Any]:
    """One `activeTargets` entry of /api/v1/targets."""
    return {"discoveredLabels": {"__address__": instance, "job": job},
            "labels": {"instance": instance, "job": job}, "scrapePool": job,
            "scrapeUrl": f"http://{instance}/metrics", "globalUrl": f"http://{instance}/metrics",
            "lastError": error, "lastScrape": "2027-01-15T08:00:00.123Z",
            "lastScrapeDuration": 0.0021, "health": health,
            "scrapeInterval": "5s", "scrapeTimeout": "4s"}


@dataclass
class FakePrometheus:
    """Answers with `query` (a JSON document, or a response) and `targets`; records requests."""

    query: dict[str, Any] | httpx.Response
    targets: list[dict[str, Any]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        """The MockTransport handler."""
        self.requests.append(request)
        if request.url.path == "/api/v1/query":
            if isinstance(self.query, httpx.Response):
                return self.query
            return httpx.Response(200, json=self.query)
        if request.url.path == "/api/v1/targets":
            return httpx.Response(200, json={"status": "success", "data": {
                "activeTargets": self.targets, "droppedTargets": []}})
        return httpx.Response(404, text="404 page not found")

    def transport(self) -> httpx.MockTransport:
        """A transport for PrometheusSource(transport=...)."""
        return httpx.MockTransport(self.handler)

    def promql(self, index: int = 0) -> str:
        """The query text of the index-th request."""
        return parse_qs(self.requests[index].content.decode())["query"][0]


def error_body(error_type: str, message: str) -> bytes:
    """Prometheus' JSON error document."""
    return json.dumps({"status": "error", "errorType": error_type, "error": message}).encode()
