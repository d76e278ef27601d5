"""`allsmi snapshot --hosts` with --include, --query, --samples, -o and Ctrl-C (issue 21 item 5)."""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from allsmi_py.cli import main
from tests.allsmi_py.remote.faults import FaultServer
from tests.prometheus_util import REPO, isolated_env
from tests.threaded_server import serving_in_thread


@pytest.fixture
def served() -> Iterator[FaultServer]:
    server = FaultServer({"a": "json", "b": "text", "d": "down"})
    with serving_in_thread(server) as running:
        yield running


def _hosts(server: FaultServer, names: str) -> list[str]:
    return ["--hosts", *(server.target(n) for n in names), "--timeout", "2"]


def test_include_applies_to_every_node(served: FaultServer,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", *_hosts(served, "ab"), "--include", "process"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for node in doc["nodes"]:
        devices = node["snapshot"]["devices"]
        assert len(devices) == 8 and all("power_w" not in d for d in devices)


def test_query_with_node_status_columns(served: FaultServer,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", *_hosts(served, "ad"), "--query",
                 "node.address,node.state,hostname,devices.uuid"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 9  # 8 devices of a, one empty row for the dead node
    assert {r["node.state"] for r in rows[:8]} == {"ok"} and rows[0]["hostname"] == "a"
    assert rows[8]["node.state"] == "unreachable" and rows[8]["devices.uuid"] == ""
    assert rows[8]["node.address"] == served.target("d")


def test_cluster_samples_in_csv_and_json(served: FaultServer, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rounds.csv"
    assert main(["snapshot", *_hosts(served, "a"), "--format", "csv", "--samples", "2",
                 "--interval", "0.05", "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 16 and list(rows[0])[:2] == ["timestamp", "hostname"]
    assert len({r["timestamp"] for r in rows}) == 2
    assert main(["snapshot", *_hosts(served, "ab"), "--samples", "2", "--interval", "0.05",
                 "--compact"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert [len(d["nodes"]) for d in docs] == [2, 2]


def test_ctrl_c_prints_the_rounds_already_taken(served: FaultServer, tmp_path: Path) -> None:
    node = served.nodes["a"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "allsmi_py", "snapshot", "--hosts", served.target("a"),
         "--samples", "100000", "--interval", "0.05", "--compact"],
        cwd=REPO, env=isolated_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while node.hits < 3 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert node.hits >= 3  # two rounds are complete
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    docs = json.loads(out)
    assert len(docs) >= 2 and all(d["nodes"][0]["state"] == "ok" for d in docs)
    assert f"interrupted after {len(docs)} of 100000 readings" in err.decode()
    assert b"Traceback" not in err


def test_samples_are_refused_with_prometheus_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", "--prometheus", "http://127.0.0.1:1", "--samples", "2"]) == 2
    assert "not --prometheus" in capsys.readouterr().err
