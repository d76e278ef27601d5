"""Recordings for the tests, written with the real writer from seeded mock snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from allsmi_py.model import ClusterSnapshot, NodeSnapshot
from allsmi_py.recording.format import RecordingHeader
from allsmi_py.recording.writer import RecordingWriter
from tests.allsmi_py.tui.cluster_factories import cluster_rounds
from tests.allsmi_py.tui.factories import mock_snapshots


def write(path: Path, frames: Sequence[NodeSnapshot | ClusterSnapshot], kind: str = "local",
          interval_s: float = 2.0) -> Path:
    """`frames` into a new recording at `path`."""
    header = RecordingHeader(kind, interval_s, frames[0].taken_at_s if frames else 0.0,
                             "test", allsmi_version="0.1.0")
    with RecordingWriter(path, header) as writer:
        for frame in frames:
            writer.append(frame)
    return path


def local_recording(path: Path, count: int = 5, step_s: float = 2.0) -> list[NodeSnapshot]:
    """A local recording of `count` mock H100 x2 frames `step_s` apart; returns the frames."""
    frames = mock_snapshots("h100:2", count=count, step_s=step_s)
    write(path, frames, interval_s=step_s)
    return frames


def cluster_recording(path: Path, nodes: int = 3, count: int = 4) -> list[ClusterSnapshot]:
    """A cluster recording of `count` rounds of `nodes` mock nodes; the last round has one down."""
    rounds = list(cluster_rounds(nodes=nodes, spec="h100:2", rounds=count, down={0}))
    write(path, rounds, kind="cluster")
    return rounds
