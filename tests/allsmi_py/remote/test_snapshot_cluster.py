"""`allsmi snapshot --hosts/--hostfile`: the whole cluster once, for scripts."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from allsmi_py.cli import main
from tests.allsmi_py.remote.faults import FaultServer
from tests.threaded_server import serving_in_thread


@pytest.fixture
def served() -> Iterator[FaultServer]:
    """A fault server on its own loop in a thread, since the command runs asyncio.run itself."""
    server = FaultServer({"a": "json", "b": "text", "c": "500", "d": "down"})
    with serving_in_thread(server) as running:
        yield running


def test_hostfile_json_has_every_node_with_status_and_devices(
        served: FaultServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hostfile = tmp_path / "hosts.txt"
    hostfile.write_text("# cluster\n" + "\n".join(served.target(n) for n in "abcd")
                        + "\nnot a host!\n")
    assert main(["snapshot", "--hostfile", str(hostfile), "--timeout", "2"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    states = [n["state"] for n in doc["nodes"]]
    assert states == ["ok", "ok", "http_error", "unreachable"]
    assert [len(n["snapshot"]["devices"]) for n in doc["nodes"][:2]] == [8, 8]
    assert doc["nodes"][2]["http_status"] == 500
    assert all(n["latency_s"] >= 0 for n in doc["nodes"])
    assert doc["summary"]["nodes_live"] == 2 and doc["summary"]["device_count"] == 16
    assert "line 6" in captured.err


def test_hosts_csv_has_a_row_per_device_and_one_per_dead_node(
        served: FaultServer, capsys: pytest.CaptureFixture[str]) -> None:
    hosts = ",".join(served.target(n) for n in "ad")
    assert main(["snapshot", "--hosts", hosts, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 9
    assert {r["node_state"] for r in rows[:8]} == {"ok"} and rows[8]["node_state"] == "unreachable"
    assert rows[0]["uuid"].startswith("GPU-") and rows[8]["uuid"] == ""


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "hosts.txt"
    empty.write_text("# nobody\n\n")
    assert main(["snapshot", "--hostfile", str(empty)]) == 2
    assert "no valid host" in capsys.readouterr().err
    assert main(["snapshot", "--hostfile", str(tmp_path / "missing.txt")]) == 2
    assert main(["snapshot", "--hosts", "a", "--format", "prometheus"]) == 2
