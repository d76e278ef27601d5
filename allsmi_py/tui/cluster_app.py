"""The app in view mode: an async worker polls the cluster on Textual's loop, latest round wins.

The worker awaits the network and posts one `ClusterUpdated` per round; the handler derives
what the screen needs once per round (summary, device rows, alert levels, history), then the
screen draws only what is visible.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from textual.notifications import SeverityLevel
from textual.reactive import reactive

from allsmi_py.alerts import AlertEvent, AlertThresholds
from allsmi_py.model import ClusterSnapshot, DeviceReading
from allsmi_py.remote.aggregate import ClusterSummary, summarize
from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.cluster_rows import DeviceRow, device_rows
from allsmi_py.tui.messages import ClusterUpdated
from allsmi_py.tui.widgets.devices import utilization_key

MAX_TOASTS_PER_ROUND = 3
SERIES_KEYS = ("cluster:util", "cluster:mem", "cluster:temp", "cluster:power")


class ClusterSource(Protocol):
    """What the view needs from a ClusterPoller or a PrometheusSource."""

    @property
    def problems(self) -> tuple[str, ...]:
        """Trouble with the host list or the server, for the UI to show."""

    async def poll_once(self) -> ClusterSnapshot:
        """One round over the cluster; never raises for network trouble."""

    async def close(self) -> None:
        """Release connections."""


@dataclass(frozen=True, slots=True)
class ClusterState:
    """One round, with everything derived from it that the screen draws from."""

    cluster: ClusterSnapshot
    summary: ClusterSummary
    rows: list[DeviceRow]
    addresses: tuple[str, ...]
    problems: tuple[str, ...] = ()
    levels: Mapping[str, str] = field(default_factory=dict)  # uuid -> alert level, not ok


class ClusterApp(AllSmiApp):
    """allsmi-py's terminal UI for a cluster of nodes."""

    CSS_PATH = ["app.tcss", "cluster.tcss"]  # type: ignore[assignment]
    state: reactive[ClusterState | None] = reactive(None, always_update=True, init=False)

    def __init__(self, source: ClusterSource | None = None, *, interval_s: float = 2.0,
                 label: str = "", thresholds: AlertThresholds | None = None,
                 theme: str = "dark") -> None:
        from allsmi_py.tui.screens.cluster import ClusterScreen

        super().__init__(None, thresholds, theme, screen_factory=ClusterScreen)
        self.cluster_source = source
        self.interval_s = interval_s
        self.label = label
        self.detail_address: str | None = None  # the node whose devices keep a history

    def on_mount(self) -> None:
        """Start polling (AllSmiApp.on_mount, which Textual also calls, opens the screen)."""
        if self.cluster_source is not None:
            self.run_worker(self._poll(self.cluster_source), name="cluster-poller",
                            group="poller", exclusive=True)

    async def _poll(self, source: ClusterSource) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                started = loop.time()
                try:
                    cluster = await source.poll_once()
                except Exception as exc:  # noqa: BLE001 - a source bug must not end the view
                    self.notify(f"cluster round failed: {exc}", severity="error", timeout=10)
                else:
                    self.post_message(ClusterUpdated(cluster, tuple(source.problems)))
                await asyncio.sleep(max(0.05, self.interval_s - (loop.time() - started)))
        finally:
            await source.close()

    def on_cluster_updated(self, message: ClusterUpdated) -> None:
        """Derive this round's state, record history, evaluate alerts; the screen follows."""
        cluster = message.cluster
        summary = summarize(cluster)
        rows = device_rows(cluster)
        live: list[DeviceReading] = [r.device for r in rows if r.live]
        self._record(summary, cluster)
        where: dict[str, str] = {}
        events = self.alerts.update(live, cluster.taken_at_s)
        if events:
            where = {r.device.uuid: r.node for r in rows if r.live}
            self._toasts(events, where)
        levels = {uuid: level for uuid, _rule, level in self.alerts.active()}
        self.state = ClusterState(cluster, summary, rows,
                                  tuple(n.status.address for n in cluster.nodes),
                                  message.problems, levels)

    def _record(self, summary: ClusterSummary, cluster: ClusterSnapshot) -> None:
        history = self.history
        history.push("cluster:util", summary.utilization_mean_pct)
        history.push("cluster:mem", summary.memory_used_pct)
        history.push("cluster:temp", summary.temperature_mean_c)
        history.push("cluster:power", summary.power_total_w if summary.device_count else None)
        # Device history only for the node in the Node tab: 8192 pushes a round would cost
        # the UI ~5 ms for sparklines nobody sees.
        keep = list(SERIES_KEYS)
        for node in cluster.nodes:
            if node.status.address == self.detail_address and node.snapshot is not None:
                for device in node.snapshot.devices:
                    key = utilization_key(device.uuid)
                    history.push(key, device.utilization_pct if node.is_live else None)
                    keep.append(key)
        if len(history) > len(keep):
            history.keep_only(keep)

    def _toasts(self, events: list[AlertEvent], where: dict[str, str]) -> None:
        if len(events) > MAX_TOASTS_PER_ROUND:
            # A cluster can flip dozens of alerts in one round: one toast, not a wall of them.
            raised = sum(1 for e in events if e.raised)
            worst: SeverityLevel = "error" if any(e.level == "critical" for e in events) \
                else "warning"
            self.notify(f"{raised} alerts raised, {len(events) - raised} lowered or cleared "
                        "this round (a: alert history)", title="Alerts", severity=worst,
                        timeout=5.0)
            return
        for event in events:
            node = where.get(event.uuid, "?")
            severity: SeverityLevel = "error" if event.level == "critical" else (
                "warning" if event.level == "warn" else "information")
            self.notify(f"{node}: {event.describe()}",
                        title="Alert" if event.raised else "Alert cleared",
                        severity=severity, timeout=5.0)
