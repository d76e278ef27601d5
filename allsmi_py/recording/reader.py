"""Opens a recording: reads the header, indexes the frames by time, decodes one on demand.

Indexing walks the record heads only (a day of a large cluster is gigabytes): no frame is
decompressed until asked for. What is wrong with the file becomes a line in `problems`,
never an exception, once the header has been read: a head that is not one (damage) is
skipped by looking for the next sync word, a file that ends inside a record (a recorder
killed, a copy cut short) ends the index there, and frames older than the one before them
are left out, so times only grow and seeking can bisect. A frame whose checksum, zstd frame
or JSON is bad raises DamagedRecord when it is read; the others still read.

Version 2 (format.py): frame i is its keyframe plus the delta frames after it, applied in
order. The last frame decoded is kept, so playing on costs one delta; a seek decodes from the
keyframe on the parsed document and builds the snapshot only for the frame asked for. A delta
checks that its base is the frame before it, so a frame lost to damage is never papered over:
the frames from it to the next keyframe raise DamagedFrames, one line for all of them.
"""

from __future__ import annotations

import bisect
import mmap
import os
import threading
from array import array
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from allsmi_py.model import ClusterSnapshot, NodeSnapshot
from allsmi_py.recording.delta import apply_delta
from allsmi_py.recording.flatten import Slots, collector_paused, slots_of
from allsmi_py.recording.format import (
    DELTA_HEAD,
    FRAME_KINDS,
    KEY_HEAD,
    KIND_DELTA,
    KIND_FRAME,
    KIND_HEADER,
    KIND_KEYFRAME,
    MAGIC,
    MAX_FRAME_JSON_BYTES,
    MAX_FRAMES,
    MAX_HEADER_JSON_BYTES,
    RECORD_HEAD,
    SYNC,
    DamagedFrames,
    DamagedRecord,
    RecordingHeader,
    check_payload,
    decode_header,
    decompress,
    read_head,
)
from allsmi_py.serialize import decode_json_as, dumps_json, loads_json

Snapshot = NodeSnapshot | ClusterSnapshot


@dataclass(slots=True)
class _Decoded:
    """A version 2 frame decoded as far as its parsed document: where a delta applies."""

    index: int
    sequence: int
    document: Any
    slots: Slots


class Recording:
    """An open recording: `header`, frame times, `problems`, and each frame on demand."""

    def __init__(self, path: str | os.PathLike[str],
                 max_frame_json_bytes: int = MAX_FRAME_JSON_BYTES) -> None:
        """Open and index `path`; DamagedRecord (one line) when it has no readable header."""
        self.path = os.fspath(path)
        self.max_frame_json_bytes = max_frame_json_bytes
        self.problems: list[str] = []
        self._offsets = array("q")
        self._lengths = array("L")
        self._crcs = array("L")
        self._times = array("d")
        self._kinds = bytearray()
        self._keyframes = array("q")  # indexes of the frames a version 2 decode starts from
        self._last: _Decoded | None = None
        self._found_damaged: dict[int, DamagedFrames] = {}  # by keyframe: each stretch once
        self._lock = threading.Lock()  # the replay TUI decodes in worker threads
        try:
            with open(self.path, "rb") as file:
                size = os.fstat(file.fileno()).st_size
                if size <= len(MAGIC):
                    raise DamagedRecord("empty or not an allsmi recording")
                self._map: mmap.mmap = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError as exc:
            raise DamagedRecord(f"cannot read: {exc.strerror or exc}") from None
        try:
            self.header, start = self._read_header()
            self._index(start)
        except BaseException:
            self._map.close()
            raise

    def _read_header(self) -> tuple[RecordingHeader, int]:
        data = self._map
        if data[:len(MAGIC)] != MAGIC:
            raise DamagedRecord("not an allsmi recording (no recording magic at the start)")
        offset = len(MAGIC)
        if len(data) < offset + RECORD_HEAD.size:
            raise DamagedRecord("the file ends inside its header")
        head = read_head(data, offset)
        if head is None or head.kind != KIND_HEADER or not head.plausible:
            raise DamagedRecord("the header record is damaged")
        start = offset + RECORD_HEAD.size
        if start + head.length > len(data):
            raise DamagedRecord("the file ends inside its header")
        payload = data[start:start + head.length]
        check_payload(payload, head.crc32)
        return decode_header(decompress(payload, MAX_HEADER_JSON_BYTES)), start + head.length

    def _index(self, offset: int) -> None:
        data = self._map
        size = len(data)
        damaged_at: list[int] = []
        out_of_order = 0
        last_time = float("-inf")
        while offset < size:
            tail = size - offset
            head = read_head(data, offset) if tail >= RECORD_HEAD.size else None
            cut = head is None and data[offset:offset + len(SYNC)] == SYNC[:tail]
            if head is not None and head.plausible and RECORD_HEAD.size + head.length > tail:
                # Runs past the end: the last record of a cut file, unless more records
                # follow (then its length is what is damaged).
                cut = data.find(SYNC, offset + 1) < 0
                head = None
            if cut:
                self.problems.append(f"the file ends inside the frame at byte {offset} "
                                     "(cut short?): read up to the frame before it")
                break
            if head is None or not head.plausible:
                damaged_at.append(offset)
                offset = data.find(SYNC, offset + 1)
                if offset < 0:
                    break
                continue
            start = offset + RECORD_HEAD.size
            offset = start + head.length
            if head.kind not in FRAME_KINDS:
                continue  # a second header (files joined end to end): nothing to show
            if head.taken_at_s < last_time:
                out_of_order += 1
                continue
            if len(self._times) >= MAX_FRAMES:
                self.problems.append(f"more than {MAX_FRAMES} frames: read the first "
                                     f"{MAX_FRAMES}")
                break
            last_time = head.taken_at_s
            self._offsets.append(start)
            self._lengths.append(head.length)
            self._crcs.append(head.crc32)
            self._times.append(head.taken_at_s)
            self._kinds += head.kind
            if head.kind == KIND_KEYFRAME:
                self._keyframes.append(len(self._times) - 1)
        if damaged_at:
            self.problems.append(f"{len(damaged_at)} damaged stretch(es) skipped, the first at "
                                 f"byte {damaged_at[0]}")
        if out_of_order:
            self.problems.append(f"{out_of_order} frame(s) older than the frame before them "
                                 "left out")

    def __len__(self) -> int:
        return len(self._times)

    @property
    def times(self) -> array[float]:
        """Each frame's taken_at_s (Unix time), in order."""
        return self._times

    def index_at(self, time_s: float) -> int | None:
        """The last frame taken at or before `time_s`; None when the recording starts later."""
        index = bisect.bisect_right(self._times, time_s) - 1
        return index if index >= 0 else None

    def frame_json(self, index: int) -> bytes:
        """Frame `index` as JSON; DamagedRecord when its bytes (or a base's) are damaged."""
        if self.header.schema_version == 1:
            return self._version_1_json(index)
        with self._lock, collector_paused():
            decoded, body = self._decode(index)
            return body if body is not None else dumps_json(decoded.document)

    def snapshot(self, index: int) -> Snapshot:
        """Frame `index` decoded; DamagedRecord (naming the frames) when it cannot be."""
        try:
            body = self.frame_json(index)
        except DamagedFrames:
            raise
        except ValueError as exc:  # DamagedRecord is one
            raise self._damaged(index, index, exc) from None
        try:
            with collector_paused():
                if self.header.kind == "local":
                    return NodeSnapshot.from_json(body)
                return decode_json_as(ClusterSnapshot, body)
        except ValueError as exc:
            raise self._damaged(index, index, exc) from None

    def _damaged(self, first: int, last: int, exc: Exception) -> DamagedFrames:
        at = f"byte {self._offsets[first]}"
        if first == last:
            return DamagedFrames(f"frame {first + 1} ({at}) is damaged: {exc}", first, last)
        return DamagedFrames(f"frames {first + 1} to {last + 1} are damaged: frame {first + 1}"
                             f" ({at}): {exc}; the others need it", first, last)

    def _payload(self, index: int, kind: bytes) -> bytes:
        if self._kinds[index] != kind[0]:
            shown = chr(self._kinds[index])
            raise DamagedRecord(f"a frame of kind {shown!r} where version "
                                f"{self.header.schema_version} has {kind.decode()!r}")
        start = self._offsets[index]
        payload = self._map[start:start + self._lengths[index]]
        check_payload(payload, self._crcs[index])
        return payload

    def _version_1_json(self, index: int) -> bytes:
        return decompress(self._payload(index, KIND_FRAME), self.max_frame_json_bytes)

    def _decode(self, index: int) -> tuple[_Decoded, bytes | None]:
        """Frame `index` from its keyframe or the last frame decoded; the keyframe's JSON
        when `index` is one. DamagedFrames when it, or a frame it needs, is damaged."""
        after = bisect.bisect_right(self._keyframes, index)
        last = self._keyframes[after] - 1 if after < len(self._keyframes) else len(self) - 1
        if after == 0:
            raise self._damaged(0, last, DamagedRecord("no keyframe before it"))
        known = self._found_damaged.get(after)
        if known is not None and known.first <= index:
            # Decoding again would fail again at the same frame (the TUI asks frame by frame).
            raise DamagedFrames(str(known), known.first, known.last)
        decoded, self._last = self._last, None  # half applied when a delta fails
        body = None
        try:
            if decoded is None or not self._keyframes[after - 1] <= decoded.index <= index:
                key = self._keyframes[after - 1]
                try:
                    decoded, body = self._keyframe(key)
                except ValueError as exc:
                    raise self._damaged(key, last, exc) from None
            for delta in range(decoded.index + 1, index + 1):
                try:
                    self._apply(decoded, delta)
                except ValueError as exc:
                    raise self._damaged(delta, last, exc) from None
                body = None
        except DamagedFrames as damage:
            self._found_damaged[after] = damage
            raise
        self._last = decoded
        return decoded, body

    def _keyframe(self, index: int) -> tuple[_Decoded, bytes]:
        payload = self._payload(index, KIND_KEYFRAME)
        if len(payload) < KEY_HEAD.size:
            raise DamagedRecord("shorter than a keyframe's head")
        (sequence,) = KEY_HEAD.unpack_from(payload)
        body = decompress(payload[KEY_HEAD.size:], self.max_frame_json_bytes)
        document = loads_json(body)
        try:
            slots = slots_of(document)
        except RecursionError:
            raise DamagedRecord("nested too deeply") from None
        return _Decoded(index, sequence, document, slots), body

    def _apply(self, decoded: _Decoded, index: int) -> None:
        payload = self._payload(index, KIND_DELTA)
        if len(payload) < DELTA_HEAD.size:
            raise DamagedRecord("shorter than a delta frame's head")
        sequence, base = DELTA_HEAD.unpack_from(payload)
        if base != decoded.sequence:
            raise DamagedRecord(f"its base is frame number {base}, the frame before it is "
                                f"number {decoded.sequence}: a frame between is lost")
        body = decompress(payload[DELTA_HEAD.size:], self.max_frame_json_bytes)
        decoded.slots = apply_delta(decoded.document, decoded.slots, body)
        decoded.index, decoded.sequence = index, sequence

    def close(self) -> None:
        """Release the file."""
        self._map.close()

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
