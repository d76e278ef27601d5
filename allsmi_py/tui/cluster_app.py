"""The app in view mode: a poller thread reads the cluster, latest round wins.

The poller (`poll_thread.PollThread`, its own event loop) fetches and decodes each round,
then the derive thread works out what the screen needs (summary, sorted and filtered
device rows, node-grid cells, alert levels) and the ready `ClusterState` is posted; the UI
thread only records history, toasts, and draws the rows that are visible. Alerts go to a
summary line in the header; a toast comes only when the level of the node open in the Node
tab changes, and `m` mutes even those (issue 15: on a busy cluster a toast per round never
left the screen). At 1024 nodes x 8
devices the decoding and the derivation are hundreds of ms the UI's loop no longer queues.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from textual.reactive import var

from allsmi_py.alerts import AlertThresholds, worst_level
from allsmi_py.gc_tuning import RoundGc
from allsmi_py.model import ClusterSnapshot
from allsmi_py.remote.aggregate import ClusterSummary
from allsmi_py.remote.prometheus_round import AggregatedRound, PagedSource, PageRequest
from allsmi_py.tui.app import TOAST_SECONDS, AllSmiApp
from allsmi_py.tui.cluster_model import ClusterDeriver, ClusterState, ViewParams
from allsmi_py.tui.cluster_rows import node_name
from allsmi_py.tui.messages import ClusterReady, ClusterUpdated
from allsmi_py.tui.poll_thread import ClusterSource, PollThread
from allsmi_py.tui.screens.help import HelpScreen
from allsmi_py.tui.style import toast_severity
from allsmi_py.tui.widgets.cluster_overview import SERIES_KEYS, record_cluster
from allsmi_py.tui.widgets.devices import utilization_key

__all__ = ["ClusterApp", "ClusterReady", "ClusterSource", "ClusterState"]

MAX_EVENT_LINES = 3  # of the open node's transitions quoted in its toast


class ClusterApp(AllSmiApp):
    """allsmi-py's terminal UI for a cluster of nodes."""

    CSS_PATH = ["app.tcss", "cluster.tcss"]  # type: ignore[assignment]
    # A var, not a reactive: a reactive on the App repaints the whole screen on every set.
    state: var[ClusterState | None] = var(None, always_update=True, init=False)

    def __init__(self, source: ClusterSource | None = None, *, interval_s: float = 2.0,
                 label: str = "", thresholds: AlertThresholds | None = None,
                 theme: str = "dark", tune_gc: bool = False) -> None:
        from allsmi_py.tui.screens.cluster import ClusterScreen

        super().__init__(None, thresholds, theme, screen_factory=ClusterScreen)
        self.cluster_source = source
        self.interval_s = interval_s
        self.label = label
        self.detail_address: str | None = None  # the node whose devices keep a history
        # One thread derives every round, in order: it alone touches the deriver's alert
        # engine; the UI reads the copies each ClusterState carries.
        self.deriver = ClusterDeriver(self.thresholds)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="allsmi-derive")
        self.alerts_muted = False  # `m`: no alert toasts at all
        # (address, level) of the Node tab's node at the last round drawn: a toast only
        # when the level of the same node changes, not when another node is opened.
        self._open_level: tuple[str | None, str] = (None, "ok")
        self._executor_closed = False
        self._poller: PollThread | None = None
        # The picture waiting for (or in) the derive thread; see _deliver_round.
        self._pending: tuple[ClusterSnapshot, tuple[str, ...]] | None = None
        self._pending_lock = threading.Lock()
        self._gc = RoundGc() if tune_gc else None  # process-wide: `allsmi view` only
        if isinstance(source, PagedSource):
            source.view = self.page_request  # read on the poller thread before each round

    def on_mount(self) -> None:
        """Start polling (AllSmiApp.on_mount, which Textual also calls, opens the screen)."""
        if self.cluster_source is not None:
            self._poller = PollThread(self.cluster_source, self.interval_s,
                                      deliver=self._deliver_round, report=self._report)
            self._poller.start()

    def on_unmount(self) -> None:
        """Stop the poller and the derive thread (a round in progress is dropped)."""
        if self._poller is not None:
            self._poller.stop()
        self._executor_closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _deliver_round(self, cluster: ClusterSnapshot, problems: tuple[str, ...]) -> None:
        """On the poller thread: hand the picture to the derive thread, never waiting for it.

        The poller's loop keeps reading nodes meanwhile; a picture that comes while the one
        before is still being derived waits, and a newer one replaces it (latest wins).
        """
        with self._pending_lock:
            busy = self._pending is not None
            self._pending = (cluster, problems)
        if not busy:
            self._submit_pending()

    def _submit_pending(self) -> None:
        if self._executor_closed:
            return
        try:
            future = self._executor.submit(self._derive_pending)
        except RuntimeError:
            return  # the executor shut down while the app closed
        future.add_done_callback(self._derive_failed)

    def _derive_pending(self) -> None:
        with self._pending_lock:
            pending = self._pending
        if pending is None:
            return
        try:
            self.post_message(ClusterReady(self._derive_round(*pending, self.view_params())))
        finally:
            with self._pending_lock:
                newer = self._pending is not pending
                if not newer:
                    self._pending = None
            if newer:
                self._submit_pending()

    def _derive_failed(self, future: Future[None]) -> None:
        if not future.cancelled() and future.exception() is not None:
            self._report(f"cluster round failed: {future.exception()}")

    def _report(self, text: str) -> None:
        self.notify(text, severity="error", timeout=10)

    def view_params(self) -> ViewParams:
        """What the cluster screen shows now (sort, filter, open tab); defaults before it."""
        from allsmi_py.tui.screens.cluster import ClusterScreen

        for screen in self.screen_stack:
            if isinstance(screen, ClusterScreen):
                return screen.params
        return ViewParams()

    def page_request(self) -> PageRequest:
        """What an aggregated Prometheus round should fetch for the screen as it is now."""
        from allsmi_py.tui.prometheus_view import page_request

        source = self.cluster_source
        assert isinstance(source, PagedSource)
        return page_request(self.view_params(), self.detail_address, source.scope,
                            source.page_rows)

    async def derive(self, cluster: ClusterSnapshot, problems: tuple[str, ...] = ()) -> \
            ClusterState:
        """Derive one round in the derive thread, for the screen's current view params."""
        loop = asyncio.get_running_loop()
        state = await loop.run_in_executor(self._executor, self._derive_round, cluster,
                                           problems, self.view_params())
        return state

    def _derive_round(self, cluster: ClusterSnapshot, problems: tuple[str, ...],
                      params: ViewParams) -> ClusterState:
        if isinstance(cluster, AggregatedRound):
            from allsmi_py.tui.prometheus_view import aggregated_state

            state = aggregated_state(cluster, problems, params)
        else:
            state = self.deriver.derive(cluster, problems, params)
        if self._gc is not None:
            self._gc.after_round()
        return state

    async def ingest(self, cluster: ClusterSnapshot, problems: tuple[str, ...] = ()) -> None:
        """Derive one round off the UI thread, then post it to the UI (latest wins)."""
        self.post_message(ClusterReady(await self.derive(cluster, problems)))

    def on_cluster_updated(self, message: ClusterUpdated) -> None:
        """A round posted from outside the poller (tests, tools): derive it like the poller."""
        self.run_worker(self.ingest(message.cluster, message.problems), group="derive")

    def on_cluster_ready(self, message: ClusterReady) -> None:
        """Record history, toast a change of the open node's level; the screen follows."""
        state = message.state
        self._record(state.summary, state.cluster)
        self._toast_open_node(state)
        previous = [self.state]
        self.state = state
        # The round just replaced is ~50k objects at 1024x8; freeing them costs whichever
        # thread drops the last reference ~10 ms, so the derive thread drops it.
        if not self._executor_closed:
            self._executor.submit(previous.clear)

    def action_help(self) -> None:
        """Open the help screen with the cluster view's keys (or close it when open)."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen(mode="cluster"))

    def _record(self, summary: ClusterSummary, cluster: ClusterSnapshot) -> None:
        history = self.history
        record_cluster(history, summary)
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

    def _toast_open_node(self, state: ClusterState) -> None:
        address = self.detail_address
        node = None
        if address is not None and address in state.addresses:
            node = state.cluster.nodes[state.addresses.index(address)]
        level = "ok"
        if node is not None and node.snapshot is not None:
            level = worst_level(state.levels.get(d.uuid, "ok") for d in node.snapshot.devices)
        previous_address, previous = self._open_level
        self._open_level = (address, level)
        if node is None or address != previous_address or level == previous \
                or self.alerts_muted:
            return
        name = node_name(node)
        lines = [f"{name}: alert level {previous.upper()} → {level.upper()}"]
        lines += [e.describe() for e in state.events if e.host == name][:MAX_EVENT_LINES]
        raised = worst_level((level, previous)) == level
        self.notify("\n".join(lines), title="Alert" if raised else "Alert lowered",
                    severity=toast_severity(level), timeout=TOAST_SECONDS)
