"""How `allsmi snapshot` turns readings into text: format, parts, query columns, samples.

Each reading becomes one piece of text as soon as it is taken, so `--samples` holds the
output, not the readings, and Ctrl-C can print every piece taken so far. With `--samples`
JSON is an array of the usual documents and CSV gains a first column `timestamp` (UTC, ISO
8601), the header written once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from allsmi_py.commands.snapshot_csv import DEFAULT_SECTIONS, csv_header, csv_rows
from allsmi_py.commands.snapshot_parts import select_cluster_parts, select_parts
from allsmi_py.commands.snapshot_query import Query
from allsmi_py.model import ClusterSnapshot, NodeSnapshot
from allsmi_py.serialize import dumps_json

TIMESTAMP_COLUMN = "timestamp"


def timestamp(unix_s: float) -> str:
    """Unix seconds as UTC ISO 8601 with milliseconds: 2026-01-31T12:00:00.250Z."""
    when = datetime.fromtimestamp(round(unix_s, 3), timezone.utc)  # as taken_at_s is shown
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Output:
    """What the user asked the text to hold and look like."""

    fmt: str  # json, csv or prometheus
    compact: bool = False
    parts: frozenset[str] | None = None  # --include; None: everything
    query: Query | None = None
    samples: bool = False  # --samples given: an array / a timestamp column
    include_processes: bool = False  # Prometheus: all_smi_process_*

    def header(self, cluster: bool) -> list[str]:
        """The CSV columns."""
        if self.query is not None:
            columns = self.query.columns
        elif cluster:
            from allsmi_py.remote.dump import cluster_csv
            columns = next(csv.reader(io.StringIO(cluster_csv(ClusterSnapshot(0.0)))))
        else:
            columns = csv_header(self.parts or DEFAULT_SECTIONS)
        return [TIMESTAMP_COLUMN, *columns] if self.samples else columns

    def node(self, snapshot: NodeSnapshot) -> str:
        """One reading of this node as a piece of the output."""
        if self.parts is not None:
            snapshot = select_parts(snapshot, self.parts)
        if self.fmt == "json":
            return dumps_json(snapshot.to_dict(), pretty=not self.compact).decode()
        if self.fmt == "prometheus":
            from allsmi_py.exporter.render import render_prometheus
            return render_prometheus(snapshot, include_processes=self.include_processes)
        if self.query is not None:
            rows: Iterable[Sequence[str]] = self.query.node_rows(snapshot)
        else:
            columns = csv_header(self.parts or DEFAULT_SECTIONS)
            rows = ([row.get(c, "") for c in columns]
                    for row in csv_rows(snapshot, self.parts or DEFAULT_SECTIONS))
        return self._csv(rows, snapshot.taken_at_s)

    def cluster(self, cluster: ClusterSnapshot) -> str:
        """One round over the cluster as a piece of the output."""
        if self.parts is not None:
            cluster = select_cluster_parts(cluster, self.parts)
        if self.fmt == "json":
            from allsmi_py.remote.dump import cluster_dict
            return dumps_json(cluster_dict(cluster), pretty=not self.compact).decode()
        if self.query is not None:
            rows: Iterable[Sequence[str]] = self.query.cluster_rows(cluster.nodes)
        else:
            from allsmi_py.remote.dump import cluster_csv
            rows = list(csv.reader(io.StringIO(cluster_csv(cluster))))[1:]
        return self._csv(rows, cluster.taken_at_s)

    def _csv(self, rows: Iterable[Sequence[str]], taken_at_s: float) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        if self.samples:
            stamp = timestamp(taken_at_s)
            writer.writerows([stamp, *row] for row in rows)
        else:
            writer.writerows(rows)
        return out.getvalue()

    def document(self, pieces: Sequence[str], cluster: bool) -> str:
        """The whole output from its pieces (one, unless --samples)."""
        if self.fmt == "csv":
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerow(self.header(cluster))
            return out.getvalue() + "".join(pieces)
        if self.fmt == "prometheus":
            return "".join(pieces)
        if not self.samples:
            return "".join(pieces) + "\n" if pieces else ""
        if not pieces:
            return "[]\n"
        return ("[" + ",".join(pieces) + "]\n") if self.compact else \
            ("[\n" + ",\n".join(pieces) + "\n]\n")
