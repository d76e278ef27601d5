"""`allsmi record` as a user runs it: a mock node, a mock cluster, and the flags' refusals."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from allsmi_py.cli import main
from allsmi_py.model import ClusterSnapshot, NodeSnapshot
from allsmi_py.recording.reader import Recording
from mock_server.cluster import Cluster
from mock_server.plan import build_plan
from tests.threaded_server import serving_in_thread


class _Served:
    """A mock_server cluster of two H100 x2 nodes on OS-chosen loopback ports."""

    def __init__(self) -> None:
        self.cluster = Cluster(build_plan(["h100:2"] * 2, 0, 1, {}), seed=7, interval_s=0.1,
                               epoch_s=1_750_000_000.0, bind="127.0.0.1")

    async def start(self) -> None:
        self.cluster.bind_all(None)
        await self.cluster.start(None)

    async def stop(self) -> None:
        await self.cluster.close()

    @property
    def hosts(self) -> list[str]:
        return [f"127.0.0.1:{node.port}" for node in self.cluster.nodes]


@pytest.fixture
def served() -> Iterator[_Served]:
    with serving_in_thread(_Served()) as server:
        yield server


def test_records_a_mock_node_until_the_duration(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "node.rec"
    assert main(["record", "-o", str(path), "--mock", "h100:2", "--seed", "3",
                 "--interval", "0.1", "--duration", "0.45"]) == 0
    assert "recorded" in capsys.readouterr().err
    with Recording(path) as recording:
        assert recording.header.kind == "local"
        assert recording.header.source == "mock h100:2"
        assert recording.header.interval_s == 0.1
        assert 2 <= len(recording) <= 5
        frames = [recording.snapshot(i) for i in range(len(recording))]
    assert all(isinstance(f, NodeSnapshot) and len(f.devices) == 2 for f in frames)
    assert [f.taken_at_s for f in frames] == sorted(f.taken_at_s for f in frames)


def test_keyframe_every_sets_how_often_a_whole_frame_is_written(tmp_path: Path) -> None:
    path = tmp_path / "node.rec"
    assert main(["record", "-o", str(path), "--mock", "h100:2", "--interval", "0.05",
                 "--duration", "1.0", "--keyframe-every", "2"]) == 0
    with Recording(path) as recording:
        kinds = bytes(recording._kinds)
        # Frame count depends on a loaded machine's timing; the pattern must not.
        assert len(kinds) >= 3
        assert kinds == (b"KD" * len(kinds))[:len(kinds)]
        assert all(isinstance(recording.snapshot(i), NodeSnapshot) for i in range(len(kinds)))


def test_records_a_cluster_served_by_the_mock_server(tmp_path: Path, served: _Served) -> None:
    path = tmp_path / "cluster.rec"
    assert main(["record", "-o", str(path), "--hosts", *served.hosts, "--interval", "0.2",
                 "--duration", "1.0", "--timeout", "5"]) == 0
    with Recording(path) as recording:
        assert recording.header.kind == "cluster"
        assert len(recording) >= 2
        cluster = recording.snapshot(0)
    assert isinstance(cluster, ClusterSnapshot)
    assert [n.status.state for n in cluster.nodes] == ["ok", "ok"]
    assert all(n.snapshot is not None and len(n.snapshot.devices) == 2 for n in cluster.nodes)


def test_until_in_the_past_is_refused_before_the_file_is_made(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "past.rec"
    assert main(["record", "-o", str(path), "--mock", "h100:1",
                 "--until", "2020-01-01T00:00"]) == 2
    assert "is in the past" in capsys.readouterr().err
    assert not path.exists()


@pytest.mark.parametrize(("flags", "message"), [
    (["--duration", "soon"], "--duration"),
    (["--until", "tomorrow"], "--until"),
    (["--hosts", "127.0.0.1:1"], "--mock/--backend"),
    (["--interval", "0"], "--interval"),
    (["--level", "30"], "--level"),
    (["--keyframe-every", "0"], "--keyframe-every"),
    (["--keyframe-every", "1001"], "--keyframe-every"),
])
def test_bad_flags_are_one_line_and_exit_2(tmp_path: Path, flags: list[str], message: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(["record", "-o", str(tmp_path / "x.rec"), "--mock", "h100:1", *flags])
    except SystemExit as exc:  # argparse's refusal of a flag's type
        code = int(exc.code or 0)
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "x.rec").exists()


def test_an_existing_file_is_never_overwritten(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "keep.rec"
    path.write_bytes(b"precious")
    assert main(["record", "-o", str(path), "--mock", "h100:1", "--duration", "1"]) == 2
    assert "exists" in capsys.readouterr().err
    assert path.read_bytes() == b"precious"


def test_sigterm_ends_the_recording_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "term.rec"
    root = Path(__file__).resolve().parents[3]
    process = subprocess.Popen(
        [sys.executable, "-m", "allsmi_py", "record", "-o", str(path), "--mock", "h100:1",
         "--interval", "0.05"], cwd=root, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60  # waits for the first frames, not a speed check
        while time.monotonic() < deadline and (not path.exists() or path.stat().st_size < 2000):
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "recorded" in err
    with Recording(path) as recording:
        assert len(recording) >= 2 and recording.problems == []


def test_a_cluster_record_onto_an_existing_file_is_refused(
        tmp_path: Path, served: _Served, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "keep.rec"
    path.write_bytes(b"precious")
    assert main(["record", "-o", str(path), "--hosts", *served.hosts, "--duration", "1"]) == 2
    assert "exists" in capsys.readouterr().err
    assert path.read_bytes() == b"precious"
