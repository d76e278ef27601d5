"""Messages into the app from the collector thread, the poller thread (or a remote worker).

Each is latest-wins: a newer message of the same kind still waiting in the queue replaces an
older one, so a slow terminal skips frames instead of falling behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from allsmi_py.model import ClusterSnapshot, NodeSnapshot

if TYPE_CHECKING:
    from allsmi_py.tui.cluster_model import ClusterState


class LatestWins(Message):
    """A message that a newer one of its kind, queued behind it, replaces."""

    def can_replace(self, message: Message) -> bool:
        """Drop this (older) message when another of its kind is already queued behind it."""
        return isinstance(message, type(self))


class SnapshotUpdated(LatestWins):
    """A new snapshot of this node; a newer one waiting in the queue replaces it."""

    def __init__(self, snapshot: NodeSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class ClusterUpdated(LatestWins):
    """A new round over the cluster (and the source's current problems); latest wins."""

    def __init__(self, cluster: ClusterSnapshot, problems: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.cluster = cluster
        self.problems = problems


class ClusterReady(LatestWins):
    """A derived round, ready to draw; a newer one waiting in the queue replaces it."""

    def __init__(self, state: ClusterState) -> None:
        super().__init__()
        self.state = state
