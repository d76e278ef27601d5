"""The bytes of a recording, and the caps a reader holds every one of them to.

    file         MAGIC, then records; the first record is the header
    record       RECORD_HEAD, then `length` bytes of payload
    RECORD_HEAD  sync b"AsRc" | kind | length u32 | taken_at_s f64 | crc32 of the payload u32
                 (big-endian, 21 bytes); kind b"H" header, and per frame:
                   version 1  b"F": one zstd frame of the snapshot JSON
                   version 2  b"K" keyframe: KEY_HEAD (the frame's sequence number), then one
                              zstd frame of the snapshot JSON, as version 1's frames;
                              b"D" delta frame: DELTA_HEAD (its sequence number, its base's),
                              then one zstd frame of the delta (delta.py) to the frame before
    snapshot     a NodeSnapshot's /snapshot JSON, or a ClusterSnapshot as serialize.to_plain

Keyframes are self-contained; a delta frame needs the frames back to its keyframe, so a file
cut anywhere still replays up to the cut and a damaged frame loses at most the frames up to
the next keyframe. The sync word and the checksum let a reader skip a damaged record and find
the next one; the time in the head lets it index and seek without decompressing anything.
"""

from __future__ import annotations

import dataclasses
import math
import mmap
import struct
import zlib
from dataclasses import dataclass
from typing import Union

import zstandard

from allsmi_py.model import SNAPSHOT_FORMAT
from allsmi_py.serialize import decode_json_as, dumps_json

MAGIC = b"\x89ALLSMI-REC\r\n\x1a\n"  # PNG's trick: catches text-mode and 7-bit damage
SYNC = b"AsRc"
RECORD_HEAD = struct.Struct(">4scIdI")
KIND_HEADER = b"H"
KIND_FRAME = b"F"  # version 1's only kind of frame
KIND_KEYFRAME = b"K"
KIND_DELTA = b"D"
FRAME_KINDS = (KIND_FRAME, KIND_KEYFRAME, KIND_DELTA)
KEY_HEAD = struct.Struct(">I")  # sequence number: frames written before this one
DELTA_HEAD = struct.Struct(">II")  # sequence number, the base's sequence number
HEADER_FORMAT = "allsmi-py/recording"
SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)
KINDS = ("local", "cluster")
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

# Caps. A 1024-node x 8-GPU cluster frame is ~12 MB of JSON and ~0.8 MB compressed.
MAX_PAYLOAD_BYTES = 64 * 2**20
MAX_FRAME_JSON_BYTES = 256 * 2**20
MAX_HEADER_JSON_BYTES = 64 * 2**10
MAX_WINDOW_BYTES = 2**27  # zstd's window: a hostile frame cannot ask for more memory
MAX_FRAMES = 4_000_000  # a year at 10 s is 3.2 million
_READ_CHUNK = 2**20

Buffer = Union[bytes, memoryview, mmap.mmap]  # noqa: UP007 - an alias evaluated at run time


class DamagedRecord(ValueError):
    """A record (or the header) that cannot be read; the message says why, in one line."""


class DamagedFrames(DamagedRecord):
    """Frames `first` to `last` (indexes) cannot be read: one is damaged, the rest need it."""

    def __init__(self, message: str, first: int, last: int) -> None:
        super().__init__(message)
        self.first = first
        self.last = last


@dataclass(frozen=True, slots=True)
class RecordingHeader:
    """What the first record says about the whole recording."""

    kind: str  # "local" (NodeSnapshot frames) or "cluster" (ClusterSnapshot frames)
    interval_s: float  # the recorder's interval between frames
    started_at_s: float  # Unix time the recording began
    source: str = ""  # what was recorded, in words: "mock h100:8", "3 hosts"
    format: str = HEADER_FORMAT
    schema_version: int = SCHEMA_VERSION
    snapshot_format: str = SNAPSHOT_FORMAT
    allsmi_version: str = ""


def encode_header(header: RecordingHeader) -> bytes:
    """The header document as JSON bytes."""
    return dumps_json(dataclasses.asdict(header))


def decode_header(body: bytes) -> RecordingHeader:
    """The header document; DamagedRecord when it is not ours, of another version, or wrong."""
    try:
        header = decode_json_as(RecordingHeader, body)
    except ValueError as exc:
        raise DamagedRecord(f"the header is not readable ({exc})") from None
    if header.format != HEADER_FORMAT:
        raise DamagedRecord(f"not an allsmi recording (format {header.format[:40]!r})")
    if header.schema_version not in READABLE_VERSIONS:
        raise DamagedRecord(f"recording schema version {header.schema_version} is not supported"
                            " (this allsmi reads versions 1 and 2)")
    if header.kind not in KINDS:
        raise DamagedRecord(f"unknown recording kind {header.kind[:40]!r}")
    if not (math.isfinite(header.interval_s) and header.interval_s > 0
            and math.isfinite(header.started_at_s)):
        raise DamagedRecord("the header's interval or start time is not a valid number")
    return header


def encode_record(kind: bytes, taken_at_s: float, payload: bytes) -> bytes:
    """One record: head and payload (an already compressed zstd frame)."""
    return RECORD_HEAD.pack(SYNC, kind, len(payload), taken_at_s,
                            zlib.crc32(payload)) + payload


@dataclass(frozen=True, slots=True)
class RecordHead:
    """A record's head as read, not yet trusted."""

    kind: bytes
    length: int
    taken_at_s: float
    crc32: int

    @property
    def plausible(self) -> bool:
        """Sync already matched: a kind we know, a length within the cap, a finite time."""
        return ((self.kind == KIND_HEADER or self.kind in FRAME_KINDS)
                and self.length <= MAX_PAYLOAD_BYTES and math.isfinite(self.taken_at_s))


def read_head(buffer: Buffer, offset: int) -> RecordHead | None:
    """The head at `offset`, or None when the sync word is not there."""
    sync, kind, length, taken_at_s, crc = RECORD_HEAD.unpack_from(buffer, offset)
    if sync != SYNC:
        return None
    return RecordHead(kind, length, taken_at_s, crc)


def check_payload(payload: bytes, crc32: int) -> None:
    """DamagedRecord when the payload's checksum is not the one its head carries."""
    if zlib.crc32(payload) != crc32:
        raise DamagedRecord("checksum mismatch")


def decompress(payload: bytes, max_bytes: int) -> bytes:
    """One zstd frame, decompressed; DamagedRecord when damaged or larger than `max_bytes`."""
    if not payload.startswith(ZSTD_MAGIC):
        raise DamagedRecord("not a zstd frame")
    decompressor = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW_BYTES)
    chunks: list[bytes] = []
    total = 0
    try:
        with decompressor.stream_reader(payload) as reader:
            while True:
                chunk = reader.read(min(_READ_CHUNK, max_bytes + 1 - total))
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise DamagedRecord(f"decompresses to more than {max_bytes} bytes")
                chunks.append(chunk)
    except zstandard.ZstdError as exc:
        raise DamagedRecord(f"zstd: {exc}") from None
    return b"".join(chunks)
