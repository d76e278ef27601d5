"""The All-devices table and the Users table of the cluster view, both line-API tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.geometry import Size

from allsmi_py.alerts import AlertThresholds
from allsmi_py.model import ClusterNode
from allsmi_py.tui.cluster_rows import DeviceRow, UsersBy, UserUsage, node_state_text
from allsmi_py.tui.format import used_of_total
from allsmi_py.tui.style import ACCENT, LEVEL_STYLE, MUTED, fill_colour, temperature_level
from allsmi_py.tui.widgets.line_table import Cell, Column, LineTable
from allsmi_py.units import NOT_AVAILABLE as NA
from allsmi_py.units import format_bytes, format_duration


def _pct(value: float | None) -> Cell:
    return (NA, MUTED) if value is None else (f"{value:.0f}%", fill_colour(value))


class DeviceTable(LineTable[DeviceRow]):
    """Every device of the cluster; the screen sorts and filters the rows it is given."""

    # Compact (below 100 columns): one line per device with every reading; the model name
    # is left out (the Node tab has it) and the rest narrowed, 73 cells in all.
    COLUMNS = (
        Column("NODE", 18, compact_width=14), Column("#", 3, right=True, compact_width=2),
        Column("DEVICE", 24, compact_width=0),
        Column("UTIL", 5, right=True, compact_width=4),
        Column("MEMORY", 17, right=True, compact_width=13),
        Column("MEM%", 5, right=True, compact_width=4), Column("TEMP", 6, right=True,
                                                             compact_width=5),
        Column("POWER", 10, right=True, compact_width=9), Column("STATE", 15, compact_width=14),
    )

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.thresholds = AlertThresholds()
        self.levels: Mapping[str, str] = {}
        self.nodes: Sequence[ClusterNode] = ()
        self.now_s = 0.0

    def show(self, rows: Sequence[DeviceRow], levels: Mapping[str, str],
             thresholds: AlertThresholds, nodes: Sequence[ClusterNode] = (),
             now_s: float = 0.0) -> None:
        """Draw these rows (already filtered and sorted), marking devices with alerts; a row
        of a node that is not live says why and since when, from `nodes` (by node_pos)."""
        self.levels = levels
        self.thresholds = thresholds
        self.nodes = nodes
        self.now_s = now_s
        self.set_rows(rows)

    def cells(self, row: DeviceRow) -> list[Cell]:
        """One device's cells; a stale node's devices are muted."""
        d = row.device
        if d.temperature_c is None:
            temp: Cell = (NA, MUTED)
        else:
            temp = (f"{d.temperature_c:.0f}°C",
                    LEVEL_STYLE[temperature_level(d, self.thresholds)])
        if d.power_w is None:
            power: Cell = (NA, MUTED)
        elif d.power_limit_w:
            power = (f"{d.power_w:.0f}/{d.power_limit_w:.0f}W", "")
        else:
            power = (f"{d.power_w:.0f}W", "")
        level = self.levels.get(d.uuid, "ok")
        if not row.live:
            nodes = self.nodes
            text = node_state_text(nodes[row.node_pos], self.now_s) \
                if row.node_pos < len(nodes) else "stale"
            state: Cell = (text, MUTED)
        elif level != "ok":
            state = (f"⚠ {level}", LEVEL_STYLE[level])
        elif d.state != "ok":
            state = (d.state, LEVEL_STYLE["warn"])
        else:
            state = ("ok", MUTED)
        cells = [
            (row.node, "" if row.live else MUTED), (str(d.index), MUTED), (d.name, ""),
            _pct(d.utilization_pct), (used_of_total(d.memory_used_bytes, d.memory_total_bytes), ""),
            _pct(d.memory_used_pct), temp, power, state,
        ]
        if not row.live:
            return [(text, MUTED) for text, _ in cells]
        return cells


# The first column of the Users table for each grouping: namespace/pod names run longer.
GROUP_COLUMNS: dict[UsersBy, Column] = {
    "user": Column("USER", 16, compact_width=12),
    "namespace": Column("NAMESPACE", 16, compact_width=12),
    "pod": Column("NAMESPACE/POD", 36, compact_width=24),
}


class UsersTable(LineTable[UserUsage]):
    """Who holds which GPUs across the cluster, most GPU memory first; by user, namespace or
    pod (`group_by`)."""

    COLUMNS = (
        GROUP_COLUMNS["user"], Column("NODES", 6, right=True, compact_width=5),
        Column("GPUS", 6, right=True, compact_width=5),
        Column("PROCS", 6, right=True, compact_width=5),
        Column("GPU MEM", 11, right=True, compact_width=10),
        Column("LONGEST", 13, right=True, compact_width=0),
        Column("TOP COMMAND (by GPU memory)", 48),
    )

    by: UsersBy = "user"

    def group_by(self, by: UsersBy) -> None:
        """Head the first column for this grouping (the screen gives rows grouped so)."""
        if by == self.by:
            return
        self.by = by
        self.COLUMNS = (GROUP_COLUMNS[by], *self.COLUMNS[1:])
        self._layout(self.compact)
        self.virtual_size = Size(self._row_width, len(self.rows) + 1)
        self.refresh()

    def cells(self, row: UserUsage) -> list[Cell]:
        """One user's (namespace's, pod's) totals."""
        return [
            (row.user, ACCENT), (str(len(row.nodes)), ""), (str(len(row.gpus)), ""),
            (str(row.processes), ""), (format_bytes(row.gpu_memory_bytes), ""),
            (format_duration(row.longest_s), "" if row.longest_s is not None else MUTED),
            (row.top_command, MUTED),
        ]
