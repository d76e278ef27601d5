"""`allsmi replay FILE --format ...`: every frame, or the one at --at, as snapshot prints it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from allsmi_py.cli import main
from allsmi_py.commands.snapshot import format_snapshot
from allsmi_py.recording.format import RECORD_HEAD
from allsmi_py.recording.reader import Recording
from allsmi_py.remote.dump import format_cluster
from tests.allsmi_py.recording.recordings import cluster_recording, local_recording
from tests.allsmi_py.tui.factories import T0


def _replay(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["replay", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_prints_every_frame_one_a_line(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    frames = local_recording(tmp_path / "a.rec", count=4)
    code, out, err = _replay(capsys, str(tmp_path / "a.rec"), "--format", "json")
    assert code == 0 and err == ""
    docs = [json.loads(line) for line in out.splitlines()]
    assert [d["taken_at_s"] for d in docs] == [f.taken_at_s for f in frames]
    assert docs[0] == json.loads(format_snapshot(frames[0], "json"))


def test_at_prints_the_frame_shown_then_as_snapshot_does(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frames = local_recording(tmp_path / "a.rec", count=4, step_s=10.0)
    for at in ("+15s", str(T0 + 19.5)):
        code, out, _ = _replay(capsys, str(tmp_path / "a.rec"), "--format", "json", "--at", at)
        assert code == 0
        # equal as JSON: a float field the mock filled with an int reads back as a float
        assert json.loads(out) == json.loads(format_snapshot(frames[1], "json"))


def test_csv_has_one_header_then_every_frame(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    frames = local_recording(tmp_path / "a.rec", count=3)
    code, out, _ = _replay(capsys, str(tmp_path / "a.rec"), "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.count("section,hostname") == 1
    assert len([r for r in rows if r["section"] == "device"]) == 3 * 2
    assert {r["taken_at_s"] for r in rows} == {f"{f.taken_at_s:.3f}" for f in frames}


def test_prometheus_frames_are_named_and_at_gives_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frames = local_recording(tmp_path / "a.rec", count=3)
    code, out, _ = _replay(capsys, str(tmp_path / "a.rec"), "--format", "prometheus")
    assert code == 0
    assert out.count("# allsmi replay: frame ") == 3
    assert out.count("all_smi_gpu_utilization{") == 3 * 2
    code, out, _ = _replay(capsys, str(tmp_path / "a.rec"), "--format", "prometheus",
                           "--at", "+2s")
    assert out == format_snapshot(frames[1], "prometheus")


def test_a_cluster_recording_prints_as_snapshot_hosts(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    rounds = cluster_recording(tmp_path / "c.rec", nodes=3, count=3)
    code, out, _ = _replay(capsys, str(tmp_path / "c.rec"), "--format", "json", "--at", "+100s")
    assert code == 0 and json.loads(out) == json.loads(format_cluster(rounds[-1], "json"))
    code, out, _ = _replay(capsys, str(tmp_path / "c.rec"), "--format", "csv")
    assert code == 0 and out.count("hostname,node_address") == 1
    code, _, err = _replay(capsys, str(tmp_path / "c.rec"), "--format", "prometheus")
    assert code == 2 and "one node" in err


def test_at_before_the_first_frame_or_not_a_time_is_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    local_recording(tmp_path / "a.rec", count=2)
    code, _, err = _replay(capsys, str(tmp_path / "a.rec"), "--format", "json", "--at",
                           str(T0 - 60))
    assert code == 2 and "before the recording's first frame" in err
    code, _, err = _replay(capsys, str(tmp_path / "a.rec"), "--format", "json", "--at", "soon")
    assert code == 2 and err.count("\n") == 1


def test_a_cut_file_prints_up_to_the_cut_with_one_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.rec"
    local_recording(path, count=4)
    path.write_bytes(path.read_bytes()[:-100])
    code, out, err = _replay(capsys, str(path), "--format", "json")
    assert code == 0 and len(out.splitlines()) == 3
    assert err.count("\n") == 1 and "cut short" in err


def test_a_corrupt_frame_is_skipped_with_a_warning(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.rec"
    local_recording(path, count=4, keyframe_every=2)
    with Recording(path) as recording:
        offset = recording._offsets[1] + 50
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x55
    path.write_bytes(bytes(data))
    code, out, err = _replay(capsys, str(path), "--format", "json")
    assert code == 0 and len(out.splitlines()) == 3
    assert "frame 2" in err and "checksum mismatch" in err


def test_the_frames_a_damaged_frame_takes_with_it_are_one_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.rec"
    local_recording(path, count=7, keyframe_every=5)  # K D D D D K D
    with Recording(path) as recording:
        offset = recording._offsets[1] + 50
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x55
    path.write_bytes(bytes(data))
    code, out, err = _replay(capsys, str(path), "--format", "json")
    assert code == 0 and len(out.splitlines()) == 3  # frames 1, 6 and 7
    assert err.count("\n") == 1 and "frames 2 to 5 are damaged" in err


def test_nothing_readable_is_exit_2_in_one_line(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.rec"
    local_recording(path, count=1)
    with Recording(path) as recording:
        offset = recording._offsets[0] + 20
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x55
    path.write_bytes(bytes(data))
    code, _, err = _replay(capsys, str(path), "--format", "json")
    assert code == 2 and "no frame could be read" in err
    (tmp_path / "junk").write_bytes(b"junk" * 100)
    code, _, err = _replay(capsys, str(tmp_path / "junk"), "--format", "csv")
    assert code == 2 and err.count("\n") == 1 and "not an allsmi recording" in err
    code, _, err = _replay(capsys, str(tmp_path / "missing.rec"))
    assert code == 2 and "cannot read" in err


def test_a_cut_inside_the_only_frame_is_exit_2(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.rec"
    local_recording(path, count=1)
    with Recording(path) as recording:
        cut = recording._offsets[0] - RECORD_HEAD.size + 5
    path.write_bytes(path.read_bytes()[:cut])
    code, _, err = _replay(capsys, str(path), "--format", "json")
    assert code == 2 and "no readable frame" in err


def test_without_format_the_tui_of_the_recordings_kind_opens_at_at(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from allsmi_py.tui import replay

    opened: list[tuple[str, int]] = []

    def run(self: replay.LocalReplayApp | replay.ClusterReplayApp) -> None:
        opened.append((type(self).__name__, self.replay.playhead.index))

    monkeypatch.setattr(replay.LocalReplayApp, "run", run)
    monkeypatch.setattr(replay.ClusterReplayApp, "run", run)
    local_recording(tmp_path / "a.rec", count=4, step_s=10.0)
    cluster_recording(tmp_path / "c.rec", nodes=2, count=3)
    assert main(["replay", str(tmp_path / "a.rec"), "--at", "+25s"]) == 0
    assert main(["replay", str(tmp_path / "c.rec"), "--theme", "light"]) == 0
    assert opened == [("LocalReplayApp", 2), ("ClusterReplayApp", 0)]
