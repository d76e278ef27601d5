"""Recordings written and read back: every frame equal, keyframes and deltas, seeking, v1."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from allsmi_py.recording.format import KEY_HEAD, MAGIC, RecordingHeader
from allsmi_py.recording.reader import Recording
from allsmi_py.recording.writer import RecordingWriter
from tests.allsmi_py.recording.recordings import (
    cluster_recording,
    local_recording,
    version_1_recording,
    write,
)
from tests.allsmi_py.tui.factories import T0, mock_snapshots


def test_local_frames_round_trip(tmp_path: Path) -> None:
    frames = local_recording(tmp_path / "a.rec", count=5)
    with Recording(tmp_path / "a.rec") as recording:
        assert recording.problems == []
        assert recording.header.kind == "local"
        assert recording.header.interval_s == 2.0
        assert len(recording) == 5
        assert list(recording.times) == [f.taken_at_s for f in frames]
        assert [recording.snapshot(i) for i in range(5)] == frames


def test_cluster_frames_round_trip_with_a_node_down(tmp_path: Path) -> None:
    rounds = cluster_recording(tmp_path / "c.rec")
    with Recording(tmp_path / "c.rec") as recording:
        assert recording.header.kind == "cluster"
        assert [recording.snapshot(i) for i in range(len(rounds))] == rounds
        assert recording.snapshot(len(rounds) - 1).nodes[0].status.state == "unreachable"


def test_index_at_finds_the_frame_shown_at_a_time(tmp_path: Path) -> None:
    local_recording(tmp_path / "a.rec", count=4, step_s=10.0)
    with Recording(tmp_path / "a.rec") as recording:
        assert recording.index_at(T0 - 1) is None
        assert recording.index_at(T0) == 0
        assert recording.index_at(T0 + 15) == 1
        assert recording.index_at(T0 + 1e6) == 3


def test_file_starts_with_the_magic_and_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "a.rec"
    local_recording(path, count=1)
    assert path.read_bytes().startswith(MAGIC)
    with pytest.raises(FileExistsError):
        RecordingWriter(path, RecordingHeader("local", 1.0, T0))


def test_keyframes_are_the_plain_snapshot_json_and_come_every_n_frames(tmp_path: Path) -> None:
    import zstandard

    frames = local_recording(tmp_path / "a.rec", count=7, keyframe_every=3)
    with Recording(tmp_path / "a.rec") as recording:
        assert bytes(recording._kinds) == b"KDDKDDK"
        for i in (0, 3, 6):
            start = recording._offsets[i] + KEY_HEAD.size
            payload = recording._map[start:start + recording._lengths[i] - KEY_HEAD.size]
            # decompressible alone, with a fresh decompressor and nothing else
            assert zstandard.ZstdDecompressor().decompress(payload) == frames[i].to_json()
        assert all(recording._lengths[i] < recording._lengths[0] for i in (1, 2, 4, 5))


def test_a_device_that_changes_shape_keeps_the_frame_a_delta(tmp_path: Path) -> None:
    frames = mock_snapshots("h100:2", count=3)
    device = frames[1].devices[0]
    shaped = dataclasses.replace(device, throttle_reasons=("hw_slowdown", "sw_power_cap"),
                                 processes=())
    frames[1] = dataclasses.replace(frames[1], devices=(shaped, *frames[1].devices[1:]))
    write(tmp_path / "a.rec", frames)
    with Recording(tmp_path / "a.rec") as recording:
        assert bytes(recording._kinds) == b"KDD"
        assert [recording.snapshot(i) for i in range(3)] == frames


def test_a_device_that_comes_or_goes_makes_a_keyframe(tmp_path: Path) -> None:
    frames = mock_snapshots("h100:2", count=4)
    frames[2] = dataclasses.replace(frames[2], devices=frames[2].devices[:1])
    write(tmp_path / "a.rec", frames)
    with Recording(tmp_path / "a.rec") as recording:
        assert bytes(recording._kinds) == b"KDKK"
        assert [recording.snapshot(i) for i in range(4)] == frames


def test_seeking_back_and_forth_gives_each_frame_exactly(tmp_path: Path) -> None:
    frames = local_recording(tmp_path / "a.rec", count=12, keyframe_every=5)
    with Recording(tmp_path / "a.rec") as recording:
        for i in (11, 3, 4, 4, 0, 9, 5, 6, 2, 10, 1):
            assert recording.snapshot(i) == frames[i], i
            assert recording.frame_json(i) == frames[i].to_json()


def test_version_1_recordings_still_replay(tmp_path: Path) -> None:
    frames = mock_snapshots("h100:2", count=3)
    version_1_recording(tmp_path / "v1.rec", frames)
    with Recording(tmp_path / "v1.rec") as recording:
        assert recording.header.schema_version == 1 and recording.problems == []
        assert [recording.snapshot(i) for i in (2, 0, 1)] == [frames[2], frames[0], frames[1]]


def test_a_header_without_frames_reads_as_empty(tmp_path: Path) -> None:
    write(tmp_path / "e.rec", [])
    with Recording(tmp_path / "e.rec") as recording:
        assert len(recording) == 0
        assert recording.problems == []
