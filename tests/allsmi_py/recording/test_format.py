"""Recordings written and read back: every frame equal, times indexed, seeking by time."""

from __future__ import annotations

from pathlib import Path

import pytest

from allsmi_py.recording.format import MAGIC, RecordingHeader
from allsmi_py.recording.reader import Recording
from allsmi_py.recording.writer import RecordingWriter
from tests.allsmi_py.recording.recordings import cluster_recording, local_recording, write
from tests.allsmi_py.tui.factories import T0


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


def test_each_frame_is_its_own_zstd_frame(tmp_path: Path) -> None:
    import zstandard

    local_recording(tmp_path / "a.rec", count=3)
    with Recording(tmp_path / "a.rec") as recording:
        for i in range(3):
            start = recording._offsets[i]
            payload = recording._map[start:start + recording._lengths[i]]
            # decompressible alone, with a fresh decompressor and nothing else
            assert zstandard.ZstdDecompressor().decompress(payload).startswith(b"{")


def test_a_header_without_frames_reads_as_empty(tmp_path: Path) -> None:
    write(tmp_path / "e.rec", [])
    with Recording(tmp_path / "e.rec") as recording:
        assert len(recording) == 0
        assert recording.problems == []
