"""A metric family's declaration (`MetricSpec`) and the builders the family tables use."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from allsmi_py.details import DetailKey, VendorDetails
from allsmi_py.exporter.scopes import SCOPES, Scope
from allsmi_py.model import DeviceReading

Value = float | int | None
ExtraLabels = Sequence[tuple[str, str]] | None


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric family: all-smi name, help, type, scope, labels and how to read the value."""

    name: str
    help: str
    type: str  # "gauge" or "counter" (counter names end in _total)
    scope: str  # key of scopes.SCOPES: node, device, npu, mig_device, mig, process, cpu ...
    value: Callable[[Any], Value]
    field: str | None = None  # model attribute on the scope's object the value comes from
    scale: float = 1.0  # sample = field * scale
    age: bool = False  # sample = taken_at_s - field (seconds since)
    extra_labels: tuple[str, ...] = ()  # label names added after the scope's base labels
    extra: Callable[[Any], ExtraLabels] | None = None  # (name, value) pairs, or None: no sample
    dynamic_labels: bool = False  # more labels than extra_labels (gpu_info's detail keys)

    @property
    def labels(self) -> tuple[str, ...]:
        """Every fixed label name, base labels first."""
        return SCOPES[self.scope].labels + self.extra_labels

    @property
    def scope_def(self) -> Scope:
        """The Scope this family's samples belong to."""
        return SCOPES[self.scope]


def _attr(name: str, scale: float = 1.0) -> Callable[[Any], Value]:
    if scale == 1.0:
        return lambda obj: getattr(obj, name)

    def scaled(obj: Any) -> Value:
        v = getattr(obj, name)
        return None if v is None else v * scale
    return scaled


def gauge(name: str, help: str, scope: str, field: str, scale: float = 1.0,
          when: Callable[[Any], bool] | None = None) -> MetricSpec:
    """A gauge read straight from a model field (optionally scaled, optionally filtered)."""
    getter = _attr(field, scale)
    if when is not None:
        base, cond = getter, when
        getter = lambda obj: base(obj) if cond(obj) else None  # noqa: E731
    return MetricSpec(name, help, "gauge", scope, getter, field=field, scale=scale)


def whole_celsius(name: str, help: str, scope: str, field: str) -> MetricSpec:
    """A temperature gauge written in whole degrees C, rounded to the nearest (issue 19 5d).

    all-smi's view reads temperatures as integers (`value as u32`, network/metrics_parser.rs),
    which truncates: 67.9 would show as 67. Written rounded, it shows 68. /snapshot keeps
    the decimals, and our own view reads that first.
    """
    def value(obj: Any) -> Value:
        degrees: float | None = getattr(obj, field)
        if degrees is None or not math.isfinite(degrees):
            return None
        return math.floor(degrees + 0.5)
    return MetricSpec(name, help, "gauge", scope, value, field=field)


def info(name: str, help: str, scope: str, labels: tuple[str, ...],
         extra: Callable[[Any], ExtraLabels]) -> MetricSpec:
    """A gauge of value 1 whose information is in its labels."""
    return MetricSpec(name, help, "gauge", scope, lambda obj: 1, extra_labels=labels, extra=extra)


def _of(vendor: VendorDetails | None) -> Callable[[DeviceReading], bool]:
    return (lambda d: True) if vendor is None else vendor.matches


def detail_info(name: str, help: str, label: str, keys: tuple[DetailKey, ...],
                vendor: VendorDetails | None) -> MetricSpec:
    """An NPU info family whose one label is the first present of detail `keys`."""
    when = _of(vendor)

    def extra(d: DeviceReading) -> ExtraLabels:
        if not when(d):
            return None
        found = next((text for k in keys if (text := k.text(d.details))), None)
        return None if found is None else ((label, found),)
    return info(name, help, "npu", (label,), extra)


def detail_number(name: str, help: str, key: DetailKey, vendor: VendorDetails,
                  scope: str = "npu") -> MetricSpec:
    """A gauge read from the number a backend keeps in detail `key`."""
    when = vendor.matches
    return MetricSpec(name, help, "gauge", scope,
                      lambda d: key.number(d.details) if when(d) else None)


def detail_state(name: str, help: str, key: DetailKey, healthy: str,
                 vendor: VendorDetails) -> MetricSpec:
    """1 when detail `key` says `healthy`, else 0; the state itself is the `status` label."""
    when = vendor.matches

    def extra(d: DeviceReading) -> ExtraLabels:
        state = key.text(d.details) if when(d) else None
        return (("status", state),) if state else None

    def value(d: DeviceReading) -> Value:
        return int((key.text(d.details) or "").lower() == healthy)
    return MetricSpec(name, help, "gauge", "npu", value, extra_labels=("status",), extra=extra)
