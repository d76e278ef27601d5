"""Prometheus text (and OpenMetrics) from a NodeSnapshot, written straight from the schema.

prometheus-client is the reference for meaning (see exporter/collector.py and its tests), but
it writes 85899345920 as `8.589934592e+10`, which all-smi's view silently drops, and it costs
about 7 us a sample. Here values are plain decimals and each label block is built once per
device and reused across families and scrapes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from allsmi_py.exporter.schema import MetricSpec, specs
from allsmi_py.exporter.scopes import SCOPES, clean_label_value, node_item
from allsmi_py.model import NodeSnapshot

TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"

_INF = math.inf
_LABEL_CACHE: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}
_LABEL_CACHE_MAX = 16384


def format_value(value: float | int | bool) -> str | None:
    """A sample value as all-smi's view reads it: plain non-negative decimal, or None to omit."""
    if value.__class__ is int:
        return str(value) if value >= 0 else None
    if isinstance(value, bool):
        return "1" if value else "0"
    v = float(value)
    if not 0.0 <= v < _INF:  # NaN fails both comparisons
        return None
    if v.is_integer():
        return str(int(v))
    text = repr(v)
    if "e" in text:
        text = format(Decimal(text), "f")
    return text


def escape_label_value(value: str) -> str:
    """A label value cleaned for all-smi's view and escaped for the exposition format."""
    value = clean_label_value(value)
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if '"' in value:
        value = value.replace('"', '\\"')
    return value


def label_block(names: Sequence[str], values: Sequence[str]) -> str:
    """`a="1",b="2"` for the given names and values (without braces)."""
    return ",".join(f'{n}="{escape_label_value(v)}"' for n, v in zip(names, values, strict=True))


def _cached_block(names: tuple[str, ...], values: tuple[str, ...]) -> str:
    key = (names, values)
    block = _LABEL_CACHE.get(key)
    if block is None:
        if len(_LABEL_CACHE) >= _LABEL_CACHE_MAX:
            _LABEL_CACHE.clear()  # devices come and go; never grow without bound
        block = _LABEL_CACHE[key] = label_block(names, values)
    return block


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _header(spec: MetricSpec, openmetrics: bool) -> str:
    family = spec.name
    if openmetrics and spec.type == "counter":
        family = family.removesuffix("_total")
    return f"# HELP {family} {_escape_help(spec.help)}\n# TYPE {family} {spec.type}\n"


_HEADERS = {(s.name, om): _header(s, om) for s in specs(True) for om in (False, True)}


def render_prometheus(snapshot: NodeSnapshot | None, *, include_processes: bool = False,
                      ready: bool = True, openmetrics: bool = False) -> str:
    """The snapshot as Prometheus text 0.0.4 (or OpenMetrics 1.0); None gives all_smi_up 0."""
    node = node_item(snapshot, ready)
    out: list[str] = []
    blocks: dict[str, list[tuple[str, object]]] = {}
    for spec in specs(include_processes):
        items = blocks.get(spec.scope)
        if items is None:
            scope = SCOPES[spec.scope]
            items = blocks[spec.scope] = [
                (_cached_block(scope.labels, values), obj)
                for values, obj in scope.items(snapshot, node)
            ]
        if not items:
            continue
        lines = _family_lines(spec, items)
        if lines:
            out.append(_HEADERS[(spec.name, openmetrics)])
            out.extend(lines)
    if openmetrics:
        out.append("# EOF\n")
    return "".join(out)


def _family_lines(spec: MetricSpec, items: list[tuple[str, object]]) -> list[str]:
    name, getter, extra = spec.name, spec.value, spec.extra
    lines: list[str] = []
    for labels, obj in items:
        if extra is None:
            block = labels
        else:
            pairs = extra(obj)
            if pairs is None:
                continue
            block = labels + "".join(f',{k}="{escape_label_value(v)}"' for k, v in pairs)
        value = getter(obj)
        if value is None:
            continue
        text = format_value(value)
        if text is not None:
            lines.append(f"{name}{{{block}}} {text}\n")
    return lines
