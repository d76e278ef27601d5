"""Recordings for the tests, written with the real writer from seeded mock snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import zstandard

from allsmi_py.model import ClusterSnapshot, NodeSnapshot
from allsmi_py.recording.format import (
    KIND_FRAME,
    KIND_HEADER,
    MAGIC,
    RecordingHeader,
    encode_header,
    encode_record,
)
from allsmi_py.recording.writer import DEFAULT_KEYFRAME_EVERY, RecordingWriter, frame_json
from tests.allsmi_py.tui.cluster_factories import cluster_rounds
from tests.allsmi_py.tui.factories import mock_snapshots


def write(path: Path, frames: Sequence[NodeSnapshot | ClusterSnapshot], kind: str = "local",
          interval_s: float = 2.0, keyframe_every: int = DEFAULT_KEYFRAME_EVERY) -> Path:
    """`frames` into a new recording at `path`."""
    header = RecordingHeader(kind, interval_s, frames[0].taken_at_s if frames else 0.0,
                             "test", allsmi_version="0.1.0")
    with RecordingWriter(path, header, keyframe_every=keyframe_every) as writer:
        for frame in frames:
            writer.append(frame)
    return path


def local_recording(path: Path, count: int = 5, step_s: float = 2.0,
                    keyframe_every: int = DEFAULT_KEYFRAME_EVERY) -> list[NodeSnapshot]:
    """A local recording of `count` mock H100 x2 frames `step_s` apart; returns the frames."""
    frames = mock_snapshots("h100:2", count=count, step_s=step_s)
    write(path, frames, interval_s=step_s, keyframe_every=keyframe_every)
    return frames


def cluster_recording(path: Path, nodes: int = 3, count: int = 4) -> list[ClusterSnapshot]:
    """A cluster recording of `count` rounds of `nodes` mock nodes; the last round has one down."""
    rounds = list(cluster_rounds(nodes=nodes, spec="h100:2", rounds=count, down={0}))
    write(path, rounds, kind="cluster")
    return rounds


def version_1_recording(path: Path, frames: Sequence[NodeSnapshot | ClusterSnapshot],
                        kind: str = "local") -> Path:
    """`frames` as the first recorder wrote them: a version 1 header, a whole frame each."""
    compressor = zstandard.ZstdCompressor(level=3)
    header = RecordingHeader(kind, 2.0, frames[0].taken_at_s, "v1", schema_version=1)
    path.write_bytes(MAGIC + encode_record(KIND_HEADER, header.started_at_s, compressor.compress(
        encode_header(header))) + b"".join(
        encode_record(KIND_FRAME, frame.taken_at_s, compressor.compress(frame_json(frame)))
        for frame in frames))
    return path
