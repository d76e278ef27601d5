"""`allsmi-mock history`: the simulator's past as OpenMetrics that promtool and Prometheus load."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from allsmi_py.exporter.render import render_prometheus
from mock_server.cli import main as mock_main
from mock_server.node import SimNode
from mock_server.openmetrics_history import (
    VIEW_FAMILIES,
    HistoryPlan,
    main,
    write_history,
    write_history_file,
)
from mock_server.plan import build_plan
from tests.prometheus_util import REPO, build_history_tsdb, isolated_env, prometheus_on_tsdb

START_S = 1_750_000_000.0
STEP_S = 15.0
_SAMPLE = re.compile(r"^([a-z_]+)\{(.*)\} (\S+) (\S+)$")
Row = tuple[str, str, str, float]


def _history(plan: HistoryPlan) -> str:
    out = io.StringIO()
    write_history(plan, out)
    return out.getvalue()


def _samples(text: str) -> list[Row]:
    """(name, label block, value, timestamp) of every sample line."""
    rows = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        assert match, line
        name, labels, value, ts = match.groups()
        rows.append((name, labels, value, float(ts)))
    return rows


def _as_scraped(line: str, node: str) -> str:
    """An exporter line with the target labels Prometheus adds to it (honor_labels)."""
    name, rest = line.split("{", 1)
    target = 'job="allsmi",' + ("" if 'instance="' in rest else f'instance="{node}",')
    return f"{name}{{{target}{rest}"


def test_each_step_is_what_the_mock_server_serves_at_that_step() -> None:
    plan = HistoryPlan(nodes=2, start_s=START_S, steps=4, step_s=STEP_S, seed=11, spec="h100:4")
    rows = _samples(_history(plan))
    step = [0]
    for node_plan in build_plan(["h100:4"] * 2, 0, 1, {}):
        node = SimNode(node_plan, 11, STEP_S, START_S, True, lambda: step[0])
        for k in range(plan.steps):
            step[0] = k
            text = render_prometheus(node.snapshot(), include_processes=True)
            served = {_as_scraped(line, node.name) for line in text.splitlines()
                      if line.split("{", 1)[0] in VIEW_FAMILIES}
            written = {f"{n}{{{labels}}} {value}" for n, labels, value, ts in rows
                       if n != "up" and ts == START_S + k * STEP_S
                       and f'instance="{node.name}"' in labels}
            assert len(served) > 4 * 5 and written == served


def test_families_are_not_interleaved_and_each_series_runs_in_time_order() -> None:
    plan = HistoryPlan(nodes=3, start_s=START_S, steps=6, step_s=STEP_S)
    text = _history(plan)
    assert text.endswith("\n# EOF\n") and text.count("# EOF") == 1
    types = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")]
    assert types[0] == "up" and sorted(types[1:]) == sorted(VIEW_FAMILIES)  # each once
    family = None
    finished: set[str] = set()
    last_ts: dict[str, float] = {}
    series_done: set[str] = set()
    current_series = None
    for line in text.splitlines():
        if line.startswith("# TYPE"):
            if family:
                finished.add(family)
            family = line.split()[2]
            continue
        if line.startswith("#"):
            continue
        name, labels, _, ts = _samples(line)[0]
        assert name == family and name not in finished
        key = f"{name}{{{labels}}}"
        if key != current_series:
            assert key not in series_done, f"{key} is split"
            if current_series:
                series_done.add(current_series)
            current_series = key
        assert ts > last_ts.get(key, 0.0)
        last_ts[key] = ts
    ups = [r for r in _samples(text) if r[0] == "up"]
    assert len(ups) == 3 * 6 and {r[2] for r in ups} == {"1"}
    assert {r[1] for r in ups} == {f'job="allsmi",instance="node-000{i}"' for i in (1, 2, 3)}


def test_the_same_plan_writes_the_same_bytes() -> None:
    plan = HistoryPlan(nodes=2, start_s=START_S, steps=3, step_s=STEP_S, seed=5)
    assert _history(plan) == _history(plan)
    other = HistoryPlan(nodes=2, start_s=START_S, steps=3, step_s=STEP_S, seed=6)
    assert _history(plan) != _history(other)


@pytest.fixture(scope="module")
def served_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Row]]]:
    """20 nodes x 5 minutes in a real Prometheus: its URL and the file's samples."""
    tmp = tmp_path_factory.mktemp("history")
    plan = HistoryPlan(nodes=20, start_s=START_S, steps=21, step_s=STEP_S, seed=3)
    history = tmp / "history.om"
    write_history_file(plan, str(history))
    build_history_tsdb(history, tmp / "tsdb")
    with prometheus_on_tsdb(tmp / "tsdb", tmp) as url:
        yield url, _samples(history.read_text())


AT_S = START_S + 12 * STEP_S


def test_prometheus_answers_what_the_generator_wrote(
        served_history: tuple[str, list[Row]]) -> None:
    url, rows = served_history
    want = {labels: float(value) for name, labels, value, ts in rows
            if name == "all_smi_gpu_utilization" and ts == AT_S}
    assert len(want) == 20 * 8
    body = httpx.get(f"{url}/api/v1/query", timeout=10.0, params={
        "query": "all_smi_gpu_utilization", "time": f"{AT_S:.0f}"}).json()
    got = {",".join(f'{k}="{v}"' for k, v in r["metric"].items() if k != "__name__"):
           float(r["value"][1]) for r in body["data"]["result"]}
    # Prometheus sorts label names; the file keeps the exporter's order
    assert {_sorted_labels(k): v for k, v in want.items()} == got
    up = httpx.get(f"{url}/api/v1/query", timeout=10.0, params={
        "query": "count(up == 1)", "time": f"{AT_S:.0f}"}).json()
    assert up["data"]["result"][0]["value"][1] == "20"


def test_snapshot_at_a_time_reads_what_the_generator_wrote_then(
        served_history: tuple[str, list[Row]], tmp_path: Path) -> None:
    url, rows = served_history
    fields = {"all_smi_gpu_utilization": "utilization_pct",
              "all_smi_gpu_memory_used_bytes": "memory_used_bytes",
              "all_smi_gpu_temperature_celsius": "temperature_c",
              "all_smi_gpu_power_consumption_watts": "power_w"}
    want: dict[tuple[str, str], float] = {}
    for name, labels, value, ts in rows:
        if name in fields and ts == AT_S:
            uuid = re.search(r'gpu_uuid="([^"]+)"', labels)
            assert uuid
            want[(uuid.group(1), fields[name])] = float(value)
    done = subprocess.run(
        [sys.executable, "-m", "allsmi_py", "snapshot", "--prometheus", url,
         "--at", f"{AT_S:.0f}", "--format", "json"],
        cwd=REPO, env=isolated_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    nodes = json.loads(done.stdout)["nodes"]
    assert sorted(n["address"] for n in nodes) == [f"node-{i:04d}" for i in range(1, 21)]
    got = {(d["uuid"], field): float(d[field]) for n in nodes for d in n["snapshot"]["devices"]
           for field in fields.values()}
    assert {n["snapshot"]["taken_at_s"] for n in nodes} == {AT_S}
    assert got == want and len(got) == 20 * 8 * 4
    users = {p["user"] for n in nodes for d in n["snapshot"]["devices"] for p in d["processes"]}
    assert users  # the process family came through


def _sorted_labels(block: str) -> str:
    pairs = re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', block)
    return ",".join(f'{k}="{v}"' for k, v in sorted(pairs))


def test_the_command_writes_the_file_and_says_how_fast(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "h.om"
    assert mock_main(["history", "--nodes", "2", "--minutes", "1", "--step", "30s",
                      "--start", "1750000000", "--out", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    assert "2 nodes x 3 steps" in line and "node-steps/s" in line
    stamps = {r[3] for r in _samples(out.read_text())}
    assert stamps == {1_750_000_000.0, 1_750_000_030.0, 1_750_000_060.0}
    assert not [p.name for p in tmp_path.iterdir() if p.name != "h.om"]  # no spool left


def test_families_by_name_and_all(tmp_path: Path) -> None:
    out = tmp_path / "h.om"
    assert main(["--nodes", "1", "--minutes", "0.25", "--families",
                 "all_smi_gpu_utilization,all_smi_memory_used_bytes", "--out", str(out)]) == 0
    names = {r[0] for r in _samples(out.read_text())}
    assert names == {"up", "all_smi_gpu_utilization", "all_smi_memory_used_bytes"}
    assert main(["--nodes", "1", "--minutes", "0.25", "--families", "all",
                 "--out", str(out)]) == 0
    assert len({r[0] for r in _samples(out.read_text())}) > 30


@pytest.mark.parametrize(("argv", "words"), [
    (["--nodes", "0"], ["--nodes", "between 1 and 100000"]),
    (["--nodes", "nan"], ["--nodes"]),
    (["--step", "0s"], ["--step"]),
    (["--step", "1e9"], ["--step"]),
    (["--minutes", "inf"], ["--minutes"]),
    (["--minutes", "10080", "--step", "1"], ["more than 100000", "--step"]),
    (["--families", "all_smi_nope"], ["unknown family", "all_smi_nope"]),
    (["--families", ","], ["empty --families"]),
    (["--job", ""], ["--job"]),
    (["--job", "a\nb"], ["--job"]),
    (["--mock", "h100:99"], ["--mock"]),
])
def test_bad_input_is_one_line_and_exit_2(argv: list[str], words: list[str], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "h.om"
    assert main([*argv, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("allsmi-mock history: error: "), captured
    assert all(w in lines[0] for w in words), lines[0]
    assert not out.exists()


def test_an_unwritable_out_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--nodes", "1", "--minutes", "0.25",
                 "--out", str(tmp_path / "missing" / "h.om")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_a_job_name_with_quotes_is_escaped_in_every_sample() -> None:
    text = _history(HistoryPlan(nodes=1, start_s=START_S, steps=2, step_s=STEP_S,
                                job='we"ird\\job'))
    samples = _samples(text)
    assert samples and all(r[1].startswith('job="we\\"ird\\\\job",') for r in samples)
