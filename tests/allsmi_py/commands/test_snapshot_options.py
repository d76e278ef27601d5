"""`allsmi snapshot --include/--query/--samples/--interval/-o` (issue 21 item 5), via cli.main."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path

import pytest

from allsmi_py.cli import main
from allsmi_py.commands.snapshot_samples import take_samples

MOCK = ["snapshot", "--mock", "h100:2", "--seed", "4"]


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    assert main([*MOCK, *args]) == 0
    return json.loads(capsys.readouterr().out)


def _csv(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, str]]:
    assert main([*MOCK, *args]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def _refused(capsys: pytest.CaptureFixture[str], args: list[str], words: str) -> None:
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own refusals (cli._Parser: one line, exit 2)
        code = int(exc.code or 0)
    assert code == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err


def test_include_gpu_keeps_devices_without_processes_or_host(
        capsys: pytest.CaptureFixture[str]) -> None:
    doc = _json(capsys, "--include", "gpu")
    assert isinstance(doc, dict) and "host" not in doc and len(doc["devices"]) == 2
    assert all("processes" not in d and "power_w" in d for d in doc["devices"])
    assert doc["backends"][0]["name"] == "mock"


def test_include_cpu_memory_keeps_only_those(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _json(capsys, "--include", "cpu", "--include", "MEMORY")
    assert isinstance(doc, dict) and doc["devices"] == []
    assert doc["host"]["cpu"]["thread_count"] >= 1 and doc["host"]["memory"]["total_bytes"] > 0
    assert "disks" not in doc["host"]


def test_include_process_alone_keeps_each_device_identity(
        capsys: pytest.CaptureFixture[str]) -> None:
    doc = _json(capsys, "--include", "process")
    assert isinstance(doc, dict) and "host" not in doc
    device = doc["devices"][0]
    assert device["uuid"].startswith("GPU-") and device["processes"]
    assert "power_w" not in device and "details" not in device
    rows = _csv(capsys, "--include", "process", "--format", "csv")
    processes = [r for r in rows if r["section"] == "process"]
    assert processes and all(r["process_pid"] and r["uuid"] for r in processes)
    assert not [r for r in rows if r["section"] in ("device", "host")]


def test_include_storage_adds_disk_rows_and_the_default_table_stays(
        capsys: pytest.CaptureFixture[str]) -> None:
    default = _csv(capsys, "--format", "csv")
    assert {r["section"] for r in default} == {"device", "host", "backend"}
    assert "process_pid" not in default[0] and "disk_mount_point" not in default[0]
    rows = _csv(capsys, "--include", "storage", "--format", "csv")
    assert {r["section"] for r in rows} <= {"disk", "backend"}
    for row in rows:
        if row["section"] == "disk":
            assert row["disk_mount_point"].startswith("/")
    assert "host" not in {r["section"] for r in rows}  # its row holds cpu and memory only


def test_unknown_include_part_names_the_valid_ones(capsys: pytest.CaptureFixture[str]) -> None:
    _refused(capsys, [*MOCK, "--include", "gpu,disk"],
             "unknown part 'disk'; valid parts: gpu, cpu, memory, process, storage")
    _refused(capsys, [*MOCK, "--include", ","], "names no part")


def test_query_columns_and_rows_per_process(capsys: pytest.CaptureFixture[str]) -> None:
    query = "hostname,devices.index,devices.details.driver_version,devices.processes.pid"
    out_rows = _csv(capsys, "--query", query)
    assert list(out_rows[0]) == query.split(",")
    doc = _json(capsys)
    assert isinstance(doc, dict)
    processes = sum(len(d.get("processes", [])) for d in doc["devices"])
    assert len(out_rows) == processes
    assert {r["devices.index"] for r in out_rows} == {"0", "1"}
    assert all(r["devices.details.driver_version"] and r["devices.processes.pid"].isdigit()
               for r in out_rows)
    one = _csv(capsys, "--query", "hostname,host.cpu.thread_count")
    assert len(one) == 1 and int(one[0]["host.cpu.thread_count"]) >= 1


@pytest.mark.parametrize(("query", "words"), [
    ("devices.temp_c", "unknown path 'devices.temp_c'; did you mean 'devices.temperature_c'?"),
    ("host.cpu", "'host.cpu' is a group of fields; name one, such as host.cpu."),
    ("devices.power_w,host.disks.mount_point", "lie in different lists"),
    ("node.state", "node.* paths are a cluster node's status"),
    ("devices.__class__", "unknown path"),
    ("devices..name", "unknown path"),
])
def test_bad_query_paths_are_one_line(capsys: pytest.CaptureFixture[str], query: str,
                                      words: str) -> None:
    _refused(capsys, [*MOCK, "--query", query], words)


def test_query_is_csv_only(capsys: pytest.CaptureFixture[str]) -> None:
    _refused(capsys, [*MOCK, "--query", "hostname", "--format", "json"], "picks CSV columns")


def test_samples_make_a_json_array_in_time_order(capsys: pytest.CaptureFixture[str]) -> None:
    docs = _json(capsys, "--samples", "3", "--interval", "0.05", "--compact")
    assert isinstance(docs, list) and len(docs) == 3
    times = [d["taken_at_s"] for d in docs]
    assert times == sorted(times) and len(set(times)) == 3
    assert all(len(d["devices"]) == 2 for d in docs)


def test_samples_in_csv_have_one_header_and_a_timestamp_column(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*MOCK, "--samples", "2", "--interval", "0.05", "--query",
                 "devices.uuid,devices.power_w"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "timestamp,devices.uuid,devices.power_w" and len(lines) == 5
    stamps = [line.split(",")[0] for line in lines[1:]]
    assert stamps[0] == stamps[1] < stamps[2] == stamps[3]
    assert stamps[0].endswith("Z") and "T" in stamps[0]


@pytest.mark.parametrize(("args", "words"), [
    (["--samples", "0"], "--samples: expected an integer between 1 and 100000, got '0'"),
    (["--samples", "100001"], "between 1 and 100000"),
    (["--samples", "2.5"], "invalid int value"),
    (["--samples", "2", "--interval", "0"], "--interval: expected a number between 0.05"),
    (["--samples", "2", "--interval", "nan"], "--interval: expected"),
    (["--samples", "2", "--interval", "1e999"], "--interval: expected"),
    (["--interval", "1"], "add --samples N"),
    (["--samples", "2", "--format", "prometheus"], "--samples needs --format json or csv"),
])
def test_samples_and_interval_are_range_checked(capsys: pytest.CaptureFixture[str],
                                                args: list[str], words: str) -> None:
    _refused(capsys, [*MOCK, *args], words)


def test_ctrl_c_keeps_the_readings_already_taken() -> None:
    taken = iter(range(100))
    calls = []

    def sleep(seconds: float) -> None:
        calls.append(seconds)
        if len(calls) == 3:
            raise KeyboardInterrupt

    samples = take_samples(lambda: f"reading {next(taken)}", 10, 0.01, sleep=sleep)
    assert samples.interrupted and samples.pieces == ["reading 0", "reading 1", "reading 2"]


def test_output_file_is_written_and_keeps_its_mode(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.json"
    target.write_text("old\n")
    target.chmod(0o640)
    assert main([*MOCK, "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert len(json.loads(target.read_text())["devices"]) == 2
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]  # no temporary left
    fresh = tmp_path / "new.csv"
    before = os.umask(0o027)
    try:
        assert main([*MOCK, "--query", "hostname", "--output", str(fresh)]) == 0
    finally:
        os.umask(before)
    assert fresh.read_text().splitlines()[0] == "hostname"
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640


def test_output_file_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(capsys, [*MOCK, "-o", str(tmp_path / "missing" / "out.json")], "cannot write")
    assert not (tmp_path / "missing").exists()
    _refused(capsys, [*MOCK, "-o", str(tmp_path)], "it is a directory")
