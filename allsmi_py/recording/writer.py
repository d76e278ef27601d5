"""Appends snapshots to a new recording: a keyframe, then delta frames to the frame before."""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any, BinaryIO

import zstandard

from allsmi_py.model import ClusterSnapshot, NodeSnapshot
from allsmi_py.recording.delta import encode_delta
from allsmi_py.recording.flatten import Unit, collector_paused, units_of
from allsmi_py.recording.format import (
    DELTA_HEAD,
    KEY_HEAD,
    KIND_DELTA,
    KIND_HEADER,
    KIND_KEYFRAME,
    MAGIC,
    RecordingHeader,
    encode_header,
    encode_record,
)
from allsmi_py.serialize import dumps_json, to_plain

# Level 9: measured on a 1024-node x 8-GPU cluster frame (tests/benchmarks/bench_record.py),
# ~15 % smaller than the default level 3 for ~90 ms of CPU a frame.
DEFAULT_LEVEL = 9
DEFAULT_KEYFRAME_EVERY = 30  # 5 minutes at 10 s: how far a seek decodes, what damage loses


def frame_plain(snapshot: NodeSnapshot | ClusterSnapshot) -> Any:
    """The document a frame holds: a node's /snapshot document, or the cluster as to_plain."""
    if isinstance(snapshot, NodeSnapshot):
        return snapshot.to_dict()
    return to_plain(snapshot)


def frame_json(snapshot: NodeSnapshot | ClusterSnapshot) -> bytes:
    """frame_plain as JSON: what a keyframe holds."""
    return dumps_json(frame_plain(snapshot))


class RecordingWriter:
    """A recording being written: the header on open, then a frame per `append`.

    A frame is a keyframe when it is the first, when `keyframe_every` frames have passed since
    the last, or when the document's units changed (delta.py); otherwise a delta frame.

    Opens with O_EXCL: an existing file is never overwritten (FileExistsError). Each frame
    is written in one call and flushed, so a recorder killed at any moment leaves a file
    that replays up to its last whole frame.
    """

    def __init__(self, path: str | os.PathLike[str], header: RecordingHeader,
                 level: int = DEFAULT_LEVEL,
                 keyframe_every: int = DEFAULT_KEYFRAME_EVERY) -> None:
        self.header = header
        self.frames = 0
        self.keyframes = 0
        self.keyframe_every = keyframe_every
        self._base: list[Unit] | None = None
        self._since_keyframe = 0
        self._compressor = zstandard.ZstdCompressor(level=level, write_content_size=True)
        self._file: BinaryIO = open(path, "xb")  # noqa: SIM115 - closed by close()
        self.bytes_written = 0
        self._write(MAGIC + encode_record(KIND_HEADER, header.started_at_s,
                                          self._compressor.compress(encode_header(header))))

    def append(self, snapshot: NodeSnapshot | ClusterSnapshot) -> int:
        """Write one frame; returns its size in bytes on disk."""
        with collector_paused():
            return self.append_plain(snapshot.taken_at_s, frame_plain(snapshot))

    def append_plain(self, taken_at_s: float, document: Any) -> int:
        """Write one frame of a frame_plain document; returns its size on disk.

        The writer keeps `document` as the next frame's base: it must not change afterwards.
        """
        with collector_paused():
            units = units_of(document)
            delta = None
            if self._base is not None and self._since_keyframe < self.keyframe_every:
                delta = encode_delta(self._base, units)
        sequence = self.frames
        if delta is None:
            record = encode_record(KIND_KEYFRAME, taken_at_s, KEY_HEAD.pack(sequence)
                                   + self._compressor.compress(dumps_json(document)))
        else:
            record = encode_record(KIND_DELTA, taken_at_s, DELTA_HEAD.pack(sequence, sequence - 1)
                                   + self._compressor.compress(delta))
        self._write(record)
        self._base = units
        self.frames += 1
        if delta is None:
            self.keyframes += 1
            self._since_keyframe = 1
        else:
            self._since_keyframe += 1
        return len(record)

    def _write(self, data: bytes) -> None:
        self._file.write(data)
        self._file.flush()
        self.bytes_written += len(data)

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
