"""Shared by the exporter-family tests of every backend: a rendered scrape, base labels,
and the round trip through the remote parser."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from allsmi_py.details.registry import VENDORS
from allsmi_py.exporter.render import render_prometheus
from allsmi_py.model import DeviceReading, NodeSnapshot
from allsmi_py.remote.parse import parse_node_text

FIXTURES = Path(__file__).parents[1] / "fixtures"
HOST = "node-1"
MIB = 1024**2
GIB = 1024**3


class Scrape:
    """One rendered snapshot, parsed by prometheus-client: samples by name."""

    def __init__(self, devices: Iterable[DeviceReading]) -> None:
        self.snapshot = NodeSnapshot(hostname=HOST, taken_at_s=1_800_000_000.0,
                                     devices=tuple(devices))
        self.text = render_prometheus(self.snapshot)
        self.samples: dict[str, list[Sample]] = {}
        for family in text_string_to_metric_families(self.text):
            for sample in family.samples:
                self.samples.setdefault(sample.name, []).append(sample)

    def rows(self, name: str, **labels: str) -> list[Sample]:
        """Samples of family `name` whose labels include `labels`."""
        return [s for s in self.samples.get(name, [])
                if all(s.labels.get(k) == v for k, v in labels.items())]

    def one(self, name: str, **labels: str) -> Sample:
        """The one sample of `name` with `labels`; fails when there are none or several."""
        rows = self.rows(name, **labels)
        assert len(rows) == 1, (name, labels, rows)
        return rows[0]

    def value(self, name: str, **labels: str) -> float:
        """The value of the one sample of `name` with `labels`."""
        return self.one(name, **labels).value


def npu(device: DeviceReading, index: int) -> dict[str, str]:
    """all-smi's NPU base labels for the device at `index` in the snapshot."""
    return {"npu": device.name, "instance": HOST, "npu_uuid": device.uuid,
            "npu_index": str(index)}


def gpu(device: DeviceReading, index: int) -> dict[str, str]:
    """all-smi's GPU base labels for the device at `index` in the snapshot."""
    return {"gpu": device.name, "instance": HOST, "gpu_uuid": device.uuid,
            "gpu_index": str(index)}


def assert_details_declared(devices: Iterable[DeviceReading]) -> None:
    """Every detail key a vendor's backend writes is in that vendor's declaration."""
    for device in devices:
        for vendor in VENDORS:
            if vendor.matches(device):
                undeclared = [k for k in device.details if not vendor.declares(k)]
                assert not undeclared, f"{vendor.family} writes undeclared keys {undeclared}"


def assert_round_trip(scrape: Scrape) -> None:
    """The remote parser reads the same devices and details back from the text."""
    assert_details_declared(scrape.snapshot.devices)
    back = parse_node_text(scrape.text)
    assert [d.uuid for d in back.devices] == [d.uuid for d in scrape.snapshot.devices]
    for a, b in zip(scrape.snapshot.devices, back.devices, strict=True):
        assert (b.name, b.kind, b.vendor) == (a.name, a.kind, a.vendor)
        for key, value in a.details.items():
            if key.isidentifier() and key.islower():  # detail keys that are label names as-is
                assert b.details.get(key) == value, key
        for field in ("utilization_pct", "memory_used_bytes", "memory_total_bytes",
                      "power_w", "clock_graphics_mhz", "power_limit_max_w"):
            assert getattr(b, field) == pytest.approx(getattr(a, field)), field
        # /metrics writes whole degrees, the nearest (all-smi's view truncates decimals)
        assert b.temperature_c == pytest.approx(a.temperature_c, abs=0.5), "temperature_c"


