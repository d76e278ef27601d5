"""Hostile and damaged recordings: cut, corrupted, bombs, other versions, not recordings.

A reader keeps every frame it can and says in one line what it could not; only a file
without a readable header is refused. A damaged keyframe or delta frame loses the frames up
to the next keyframe, in one DamagedFrames, and never gives a wrong frame.
"""

from __future__ import annotations

import dataclasses
import math
import struct
from pathlib import Path

import pytest
import zstandard

from allsmi_py.recording.format import (
    DELTA_HEAD,
    KEY_HEAD,
    KIND_DELTA,
    KIND_FRAME,
    KIND_HEADER,
    KIND_KEYFRAME,
    MAGIC,
    MAX_FRAME_JSON_BYTES,
    RECORD_HEAD,
    DamagedFrames,
    DamagedRecord,
    RecordingHeader,
    encode_header,
    encode_record,
)
from allsmi_py.recording.reader import Recording
from allsmi_py.serialize import dumps_json
from tests.allsmi_py.recording.recordings import local_recording
from tests.allsmi_py.tui.factories import T0


def _keyframe(sequence: int, body: bytes, time_s: float = T0) -> bytes:
    return encode_record(KIND_KEYFRAME, time_s, KEY_HEAD.pack(sequence)
                         + zstandard.ZstdCompressor().compress(body))


def _delta(sequence: int, base: int, delta: object, time_s: float = T0) -> bytes:
    body = delta if isinstance(delta, bytes) else dumps_json(delta)
    return encode_record(KIND_DELTA, time_s, DELTA_HEAD.pack(sequence, base)
                         + zstandard.ZstdCompressor().compress(body))


def _frame_payload(kind: bytes, zstd_frame: bytes) -> tuple[bytes, int]:
    """A frame of `kind` holding `zstd_frame`, and the schema version it belongs to."""
    if kind == KIND_FRAME:
        return encode_record(KIND_FRAME, T0, zstd_frame), 1
    if kind == KIND_KEYFRAME:
        return encode_record(KIND_KEYFRAME, T0, KEY_HEAD.pack(0) + zstd_frame), 2
    return (_keyframe(0, b'{"devices": []}')
            + encode_record(KIND_DELTA, T0 + 1, DELTA_HEAD.pack(1, 0) + zstd_frame)), 2


def _header_record(**changes: object) -> bytes:
    header = dataclasses.replace(RecordingHeader("local", 2.0, T0), **changes)  # type: ignore[arg-type]
    return encode_record(KIND_HEADER, T0, zstandard.ZstdCompressor().compress(
        encode_header(header)))


def _frame_starts(path: Path) -> list[int]:
    """Byte offsets of each frame record's head."""
    with Recording(path) as recording:
        return [offset - RECORD_HEAD.size for offset in recording._offsets]


@pytest.fixture
def five(tmp_path: Path) -> Path:
    """Frames K D K D K (a keyframe every 2)."""
    path = tmp_path / "five.rec"
    local_recording(path, count=5, keyframe_every=2)
    return path


def test_a_file_cut_anywhere_in_its_last_frame_reads_the_frames_before(five: Path) -> None:
    data = five.read_bytes()
    last = _frame_starts(five)[-1]
    for cut_at in (last + 1, last + 3, last + RECORD_HEAD.size - 1, last + RECORD_HEAD.size,
                   last + RECORD_HEAD.size + 10, len(data) - 1):
        five.write_bytes(data[:cut_at])
        with Recording(five) as recording:
            assert len(recording) == 4, cut_at
            assert len(recording.problems) == 1
            assert "cut short" in recording.problems[0]
            assert recording.snapshot(3).taken_at_s == recording.times[3]


def test_a_file_cut_between_frames_has_no_problem(five: Path) -> None:
    data = five.read_bytes()
    five.write_bytes(data[:_frame_starts(five)[3]])
    with Recording(five) as recording:
        assert len(recording) == 3
        assert recording.problems == []


def test_a_corrupt_byte_inside_a_delta_frame_loses_that_frame_only(five: Path) -> None:
    data = bytearray(five.read_bytes())
    starts = _frame_starts(five)
    data[starts[1] + RECORD_HEAD.size + 40] ^= 0xFF
    five.write_bytes(bytes(data))
    with Recording(five) as recording:
        assert len(recording) == 5
        with pytest.raises(DamagedRecord, match="frame 2 .*checksum mismatch"):
            recording.snapshot(1)
        for i in (0, 2, 3, 4):
            assert recording.snapshot(i).taken_at_s == recording.times[i]


def test_a_corrupt_keyframe_loses_the_frames_up_to_the_next_one_in_one_line(five: Path) -> None:
    data = bytearray(five.read_bytes())
    starts = _frame_starts(five)
    data[starts[2] + RECORD_HEAD.size + 40] ^= 0xFF
    five.write_bytes(bytes(data))
    with Recording(five) as recording:
        for i in (2, 3):
            with pytest.raises(DamagedFrames, match="frames 3 to 4 are damaged: frame 3 .*"
                                                    "checksum mismatch") as caught:
                recording.snapshot(i)
            assert (caught.value.first, caught.value.last) == (2, 3)
        for i in (0, 1, 4):
            assert recording.snapshot(i).taken_at_s == recording.times[i]


def test_a_corrupt_delta_loses_the_deltas_after_it(tmp_path: Path) -> None:
    path = tmp_path / "a.rec"
    frames = local_recording(path, count=6, keyframe_every=30)
    data = bytearray(path.read_bytes())
    data[_frame_starts(path)[2] + RECORD_HEAD.size + 30] ^= 0xFF
    path.write_bytes(bytes(data))
    with Recording(path) as recording:
        assert [recording.snapshot(i) for i in (0, 1)] == frames[:2]
        applied: list[int] = []
        apply = recording._apply

        def counted(decoded: object, index: int) -> None:
            applied.append(index)
            apply(decoded, index)  # type: ignore[arg-type]

        recording._apply = counted  # type: ignore[method-assign]
        for i in range(2, 6):
            with pytest.raises(DamagedFrames, match="frames 3 to 6 are damaged"):
                recording.snapshot(i)
        assert applied == [2]  # found once, then known
        assert recording.snapshot(1) == frames[1]  # and from the keyframe again


def test_a_damaged_head_is_skipped_up_to_the_next_frame(five: Path) -> None:
    data = bytearray(five.read_bytes())
    starts = _frame_starts(five)
    data[starts[1]:starts[1] + 4] = b"XXXX"  # the sync word of the delta frame
    five.write_bytes(bytes(data))
    with Recording(five) as recording:
        assert len(recording) == 4
        assert recording.problems == [f"1 damaged stretch(es) skipped, the first at byte "
                                      f"{starts[1]}"]
        assert [recording.snapshot(i).taken_at_s for i in range(4)] == list(recording.times)


def test_a_delta_whose_base_is_lost_is_damage_not_a_wrong_frame(five: Path) -> None:
    data = bytearray(five.read_bytes())
    starts = _frame_starts(five)
    data[starts[2]:starts[2] + 4] = b"XXXX"  # the keyframe the next delta needs
    five.write_bytes(bytes(data))
    with Recording(five) as recording:
        assert len(recording) == 4
        with pytest.raises(DamagedFrames, match="frame 3 .*base is frame number 2, the frame "
                                                "before it is number 1: a frame between is lost"):
            recording.snapshot(2)
        assert [recording.snapshot(i).taken_at_s for i in (0, 1, 3)] == [
            recording.times[i] for i in (0, 1, 3)]


def test_deltas_before_the_first_keyframe_are_damage(tmp_path: Path) -> None:
    path = tmp_path / "nokey.rec"
    path.write_bytes(MAGIC + _header_record() + _delta(1, 0, {}) + _delta(2, 1, {}, T0 + 1)
                     + _keyframe(3, b"{}", T0 + 2))
    with Recording(path) as recording:
        with pytest.raises(DamagedFrames, match="frames 1 to 2 .*no keyframe before it"):
            recording.frame_json(1)
        assert recording.frame_json(2) == b"{}"


def test_a_frame_of_the_other_version_is_damage(tmp_path: Path) -> None:
    payload = zstandard.ZstdCompressor().compress(b"{}")
    path = tmp_path / "mixed.rec"
    path.write_bytes(MAGIC + _header_record() + _keyframe(0, b"{}")
                     + encode_record(KIND_FRAME, T0 + 1, payload))
    with Recording(path) as recording, pytest.raises(DamagedRecord, match="kind 'F' where"):
        recording.frame_json(1)
    path.write_bytes(MAGIC + _header_record(schema_version=1) + _keyframe(0, b"{}"))
    with Recording(path) as recording, pytest.raises(DamagedRecord, match="kind 'K' where"):
        recording.frame_json(0)


@pytest.mark.parametrize("kind", [KIND_KEYFRAME, KIND_DELTA])
def test_a_frame_shorter_than_its_head_is_damage(tmp_path: Path, kind: bytes) -> None:
    path = tmp_path / "short.rec"
    frames = (encode_record(KIND_KEYFRAME, T0, b"\x00") if kind == KIND_KEYFRAME else
              _keyframe(0, b"{}") + encode_record(KIND_DELTA, T0 + 1, b"\x00" * 7))
    path.write_bytes(MAGIC + _header_record() + frames)
    with Recording(path) as recording, pytest.raises(DamagedRecord, match="shorter than"):
        recording.frame_json(len(recording) - 1)


@pytest.mark.parametrize("length", [0, 7, 2**31, 2**32 - 1])
def test_a_damaged_length_resynchronises_on_the_next_sync_word(five: Path, length: int) -> None:
    data = bytearray(five.read_bytes())
    starts = _frame_starts(five)
    struct.pack_into(">I", data, starts[1] + 5, length)
    five.write_bytes(bytes(data))
    with Recording(five) as recording:
        readable = []
        for i in range(len(recording)):
            try:
                readable.append(recording.snapshot(i).taken_at_s)
            except DamagedRecord:
                pass
        assert len(readable) == 4  # every frame but the damaged one
        assert recording.problems


@pytest.mark.parametrize("time_s", [math.nan, math.inf])
def test_a_time_that_is_not_a_number_is_damage(five: Path, time_s: float) -> None:
    data = bytearray(five.read_bytes())
    starts = _frame_starts(five)
    struct.pack_into(">d", data, starts[2] + 9, time_s)
    five.write_bytes(bytes(data))
    with Recording(five) as recording:
        assert len(recording) == 4
        assert all(math.isfinite(t) for t in recording.times)


def test_frames_older_than_the_one_before_are_left_out(tmp_path: Path) -> None:
    path = tmp_path / "order.rec"
    path.write_bytes(MAGIC + _header_record() + b"".join(
        _keyframe(n, b"{}", t) for n, t in enumerate((T0, T0 + 2, T0 + 1, T0 + 3))))
    with Recording(path) as recording:
        assert list(recording.times) == [T0, T0 + 2, T0 + 3]
        assert "1 frame(s) older" in recording.problems[0]


KINDS = pytest.mark.parametrize("kind", [KIND_FRAME, KIND_KEYFRAME, KIND_DELTA])


@KINDS
def test_a_zip_bomb_frame_is_cut_off_at_the_cap(tmp_path: Path, kind: bytes) -> None:
    compressor = zstandard.ZstdCompressor(level=1).compressobj()
    zeros = bytes(2**20)
    bomb = b"".join(compressor.compress(zeros) for _ in range(MAX_FRAME_JSON_BYTES // 2**20 + 8))
    bomb += compressor.flush()
    assert len(bomb) < 100_000  # tiny on disk
    path = tmp_path / "bomb.rec"
    frames, version = _frame_payload(kind, bomb)
    path.write_bytes(MAGIC + _header_record(schema_version=version) + frames)
    with Recording(path) as recording, pytest.raises(DamagedRecord, match="more than"):
        recording.frame_json(len(recording) - 1)


@KINDS
def test_a_frame_that_declares_a_huge_window_is_refused(tmp_path: Path, kind: bytes) -> None:
    params = zstandard.ZstdCompressionParameters(window_log=31, enable_ldm=True,
                                                 write_content_size=False)
    stream = zstandard.ZstdCompressor(compression_params=params).compressobj()
    frame = stream.compress(b"{}" * 100) + stream.flush()
    assert zstandard.get_frame_parameters(frame).window_size == 2**31
    path = tmp_path / "window.rec"
    frames, version = _frame_payload(kind, frame)
    path.write_bytes(MAGIC + _header_record(schema_version=version) + frames)
    with Recording(path) as recording, pytest.raises(DamagedRecord, match="too much memory"):
        recording.frame_json(len(recording) - 1)


@pytest.mark.parametrize("kind", [KIND_FRAME, KIND_KEYFRAME])
@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b'{"format": "other"}',
                                  b'{"format": "allsmi-py/snapshot/1", "hostname": 5}',
                                  b"[" * 5000 + b"]" * 5000])
def test_a_frame_that_is_not_a_snapshot_is_damage(tmp_path: Path, body: bytes,
                                                  kind: bytes) -> None:
    path = tmp_path / "bad.rec"
    frames, version = _frame_payload(kind, zstandard.ZstdCompressor().compress(body))
    path.write_bytes(MAGIC + _header_record(schema_version=version) + frames)
    with Recording(path) as recording, pytest.raises(DamagedRecord, match="frame 1"):
        recording.snapshot(0)


@KINDS
def test_a_payload_that_is_not_zstd_is_damage(tmp_path: Path, kind: bytes) -> None:
    path = tmp_path / "raw.rec"
    frames, version = _frame_payload(kind, b"{}")
    path.write_bytes(MAGIC + _header_record(schema_version=version) + frames)
    with Recording(path) as recording, pytest.raises(DamagedRecord, match="not a zstd frame"):
        recording.frame_json(len(recording) - 1)


def test_a_header_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "v3.rec"
    path.write_bytes(MAGIC + _header_record(schema_version=3))
    with pytest.raises(DamagedRecord, match="schema version 3 is not supported"):
        Recording(path)


@pytest.mark.parametrize("changes", [{"kind": "toaster"}, {"format": "something/else"},
                                     {"interval_s": math.inf}, {"interval_s": 0.0}])
def test_a_header_that_is_not_ours_is_refused(tmp_path: Path, changes: dict[str, object]) -> None:
    path = tmp_path / "h.rec"
    path.write_bytes(MAGIC + _header_record(**changes))
    with pytest.raises(DamagedRecord):
        Recording(path)


@pytest.mark.parametrize("content", [b"", b"hello\n", MAGIC, MAGIC + b"AsRc",
                                     MAGIC + b"\x00" * 64, b"\x00" * 1000])
def test_files_that_are_not_recordings_are_refused_in_one_line(tmp_path: Path,
                                                                content: bytes) -> None:
    path = tmp_path / "x.rec"
    path.write_bytes(content)
    with pytest.raises(DamagedRecord) as caught:
        Recording(path)
    assert "\n" not in str(caught.value)


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(DamagedRecord, match="cannot read"):
        Recording(tmp_path / "nope.rec")


def test_a_header_bomb_is_capped(tmp_path: Path) -> None:
    bomb = zstandard.ZstdCompressor().compress(b" " * 2**20)
    path = tmp_path / "hb.rec"
    path.write_bytes(MAGIC + encode_record(KIND_HEADER, T0, bomb))
    with pytest.raises(DamagedRecord, match="more than"):
        Recording(path)
