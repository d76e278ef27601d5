"""A prometheus-client custom collector over the same schema: the reference for meaning.

Our renderer must agree with what `generate_latest` writes through this collector (same
families, label sets and values, once both are parsed); see the exporter tests and the
render benchmark. It is stateless: every collect() reads the latest snapshot afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from allsmi_py.exporter.schema import specs
from allsmi_py.exporter.scopes import SCOPES, clean_label_value, node_item
from allsmi_py.model import NodeSnapshot


class SnapshotCollector(Collector):
    """Yields one prometheus-client Metric per schema family that has samples."""

    def __init__(self, get_snapshot: Callable[[], NodeSnapshot | None], *,
                 include_processes: bool = False, ready: bool = True) -> None:
        self._get_snapshot = get_snapshot
        self._include_processes = include_processes
        self._ready = ready

    def collect(self) -> Iterator[Metric]:
        """Families of the latest snapshot, values as floats, labels cleaned as ours are."""
        snapshot = self._get_snapshot()
        node = node_item(snapshot, self._ready)
        items: dict[str, list[tuple[tuple[str, ...], object]]] = {}
        for spec in specs(self._include_processes):
            if spec.scope not in items:
                items[spec.scope] = SCOPES[spec.scope].items(snapshot, node)
            names = SCOPES[spec.scope].labels
            family = spec.name.removesuffix("_total") if spec.type == "counter" else spec.name
            metric = Metric(family, spec.help, spec.type)
            for values, obj in items[spec.scope]:
                labels = {n: clean_label_value(v) for n, v in zip(names, values, strict=True)}
                if spec.extra is not None:
                    pairs = spec.extra(obj)
                    if pairs is None:
                        continue
                    labels.update((k, clean_label_value(v)) for k, v in pairs)
                value = spec.value(obj)
                if value is None or not 0 <= float(value) < float("inf"):
                    continue
                metric.add_sample(spec.name, labels, float(value))
            if metric.samples:
                yield metric
