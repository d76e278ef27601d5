"""A sentinel a driver answers never reaches /metrics or /snapshot (issue 19 item 1)."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from allsmi_py.backend import Backend
from allsmi_py.collector import Collector
from allsmi_py.exporter.app import make_app
from allsmi_py.model import DeviceReading, NodeSnapshot
from allsmi_py.plausible import RULES, SENTINELS
from backends.mock.backend import MockBackend

READING_FAMILIES = {"all_smi_gpu_utilization", "all_smi_gpu_temperature_celsius",
                    "all_smi_gpu_power_consumption_watts", "all_smi_gpu_memory_used_bytes",
                    "all_smi_gpu_frequency_mhz", "all_smi_gpu_fan_speed_rpm"}
SENTINEL_TEXTS = ("4294967295", "4.294967295e+09", "65535", "18446744073709551615", "NaN",
                  "Inf")


class AllOnes(Backend, name="allones", vendor="test", requirements="none"):
    """A mock H100 whose driver answers all-ones (or NaN) for every number it reads."""

    def read(self) -> list[DeviceReading]:
        (real,) = MockBackend(spec="h100:1", seed=3).read()
        poisoned: dict[str, Any] = {name: (0xFFFF_FFFF if rule.kind is int else math.nan)
                    for name, (rule, _) in RULES[DeviceReading].items() if rule.kind is not bool}
        poisoned["utilization_pct"] = 4294967295.0
        poisoned["fan_rpm"] = 65535.0
        return [real, dataclasses.replace(real, index=1, uuid="GPU-allones", **poisoned)]


def _numbers(doc: Any) -> Iterator[float]:
    if isinstance(doc, dict):
        for value in doc.values():
            yield from _numbers(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _numbers(value)
    elif isinstance(doc, int | float) and not isinstance(doc, bool):
        yield doc


def _snapshot() -> NodeSnapshot:
    with Collector([AllOnes()], deadline_s=10.0, hostname="node-1") as collector:
        return collector.tick()


async def test_metrics_and_snapshot_carry_no_sentinel() -> None:
    snapshot = _snapshot()
    app = make_app(lambda: snapshot)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        metrics = (await client.get("/metrics")).text
        body = (await client.get("/snapshot")).text
    for text in SENTINEL_TEXTS:
        assert text not in metrics, text
    assert not [n for n in _numbers(json.loads(body)) if n in SENTINELS or not math.isfinite(n)]
    rows = [sample for family in text_string_to_metric_families(metrics)
            for sample in family.samples if "GPU-allones" in sample.labels.values()]
    # what is left of the poisoned GPU are its info and state lines, not one reading
    assert rows and all(s.value == 1 for s in rows), sorted({s.name for s in rows})
    assert not {s.name for s in rows} & READING_FAMILIES
    good = [s for family in text_string_to_metric_families(metrics) for s in family.samples
            if s.name == "all_smi_gpu_utilization"]
    assert len(good) == 1  # the healthy GPU still reports
    (_, poisoned) = snapshot.devices
    assert poisoned.problems and "utilization_pct: 4294967295 is a sentinel" in poisoned.problems
