"""Appends snapshots to a new recording, one self-contained zstd frame each."""

from __future__ import annotations

import os
from types import TracebackType
from typing import BinaryIO

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
from allsmi_py.serialize import dumps_json, to_plain

# Level 9: measured on a 1024-node x 8-GPU cluster frame (tests/benchmarks/bench_record.py),
# ~15 % smaller than the default level 3 for ~90 ms of CPU a frame.
DEFAULT_LEVEL = 9


def frame_json(snapshot: NodeSnapshot | ClusterSnapshot) -> bytes:
    """The JSON a frame holds: a node's /snapshot document, or the cluster as to_plain."""
    if isinstance(snapshot, NodeSnapshot):
        return snapshot.to_json()
    return dumps_json(to_plain(snapshot))


class RecordingWriter:
    """A recording being written: the header on open, then a frame per `append`.

    Opens with O_EXCL: an existing file is never overwritten (FileExistsError). Each frame
    is written in one call and flushed, so a recorder killed at any moment leaves a file
    that replays up to its last whole frame.
    """

    def __init__(self, path: str | os.PathLike[str], header: RecordingHeader,
                 level: int = DEFAULT_LEVEL) -> None:
        self.header = header
        self.frames = 0
        self._compressor = zstandard.ZstdCompressor(level=level, write_content_size=True)
        self._file: BinaryIO = open(path, "xb")  # noqa: SIM115 - closed by close()
        self.bytes_written = 0
        self._write(MAGIC + encode_record(KIND_HEADER, header.started_at_s,
                                          self._compressor.compress(encode_header(header))))

    def append(self, snapshot: NodeSnapshot | ClusterSnapshot) -> int:
        """Write one frame; returns its size in bytes on disk."""
        return self.append_json(snapshot.taken_at_s, frame_json(snapshot))

    def append_json(self, taken_at_s: float, body: bytes) -> int:
        """Write one frame of already encoded snapshot JSON; returns its size on disk."""
        record = encode_record(KIND_FRAME, taken_at_s, self._compressor.compress(body))
        self._write(record)
        self.frames += 1
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
