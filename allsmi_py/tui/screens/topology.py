"""The local view's topology panel (key o): how this node's devices are joined."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen

from allsmi_py.model import NodeSnapshot
from allsmi_py.tui.widgets.topology import TopologyView


class TopologyScreen(ModalScreen[None]):
    """The graph and the topo -m matrix of the snapshot it opened on, over the view."""

    BINDINGS = [
        Binding("escape,o", "close", "Close topology"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, snapshot: NodeSnapshot | None) -> None:
        super().__init__()
        self.snapshot = snapshot  # topology changes with the device set only: no updates

    def compose(self) -> ComposeResult:
        """One scrolling panel."""
        with VerticalScroll(id="topology-panel"):
            yield TopologyView(id="topology-view")

    def on_mount(self) -> None:
        """Title the panel and draw."""
        self.query_one("#topology-panel").border_title = "Topology  (o / Esc: close)"
        self.query_one("#topology-view", TopologyView).show(self.snapshot)

    def action_close(self) -> None:
        """Back to the view."""
        self.dismiss(None)
