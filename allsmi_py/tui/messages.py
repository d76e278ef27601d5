"""Messages into the app from the collector thread (or a remote worker)."""

from __future__ import annotations

from textual.message import Message

from allsmi_py.model import ClusterSnapshot, NodeSnapshot


class SnapshotUpdated(Message):
    """A new snapshot of this node; a newer one waiting in the queue replaces it."""

    def __init__(self, snapshot: NodeSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        """Drop this (older) frame when another snapshot is already queued behind it."""
        return isinstance(message, SnapshotUpdated)


class ClusterUpdated(Message):
    """A new round over the cluster (and the source's current problems); latest wins."""

    def __init__(self, cluster: ClusterSnapshot, problems: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.cluster = cluster
        self.problems = problems

    def can_replace(self, message: Message) -> bool:
        """Drop this (older) round when another is already queued behind it."""
        return isinstance(message, ClusterUpdated)
