"""Messages into the app from the collector thread (or a remote worker)."""

from __future__ import annotations

from textual.message import Message

from allsmi_py.model import NodeSnapshot


class SnapshotUpdated(Message):
    """A new snapshot of this node; a newer one waiting in the queue replaces it."""

    def __init__(self, snapshot: NodeSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        """Drop this (older) frame when another snapshot is already queued behind it."""
        return isinstance(message, SnapshotUpdated)
