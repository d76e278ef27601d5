"""`allsmi snapshot --hosts`: one round with one deadline, however many nodes stall (issue 15)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from allsmi_py.cli import main
from tests.allsmi_py.remote.faults import FaultServer
from tests.threaded_server import serving_in_thread

# Scheduling, start-up of the round and writing the dump, on two shared cores.
SLACK_S = 1.5

Serve = Callable[[dict[str, str]], FaultServer]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Starts a FaultServer on its own loop in a thread (the command runs asyncio.run itself)."""
    with ExitStack() as servers:
        yield lambda nodes: servers.enter_context(
            serving_in_thread(FaultServer(nodes, hang_s=20.0)))


def _round(server: FaultServer, names: list[str], flags: list[str],
           capsys: pytest.CaptureFixture[str]) -> tuple[float, list[dict[str, Any]]]:
    """Runs the command over `names`: its wall time in seconds and the dumped nodes."""
    began = time.monotonic()
    code = main(["snapshot", "--hosts", *(server.target(n) for n in names), "--compact",
                 *flags])
    elapsed = time.monotonic() - began
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["nodes"]) == len(names)
    return elapsed, doc["nodes"]


def test_deadline_ends_the_round_and_keeps_what_answered(
        serve: Serve, capsys: pytest.CaptureFixture[str]) -> None:
    nodes = {"a": "json", "b": "text", "slow1": "timeout", "c": "json", "slow2": "timeout"}
    server = serve(nodes)
    elapsed, dumped = _round(server, list(nodes), ["--timeout", "10", "--deadline", "1"], capsys)
    assert elapsed < 1 + SLACK_S, elapsed
    by_name = dict(zip(nodes, dumped, strict=True))
    for name in ("a", "b", "c"):
        assert by_name[name]["state"] == "ok", by_name[name]
        assert len(by_name[name]["snapshot"]["devices"]) == 8
    for name in ("slow1", "slow2"):
        assert by_name[name]["state"] == "timeout"
        assert by_name[name]["error"] == "round deadline passed"
        assert by_name[name]["snapshot"] is None


def test_stalled_nodes_do_not_starve_the_queue_with_the_default_deadline(
        serve: Serve, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # 4 stalled nodes first take every slot; the default deadline (timeout + 1 s) leaves the
    # 36 queued behind them time to be read once the stalled ones have spent their timeout.
    monkeypatch.setenv("ALLSMI_VIEW_CONCURRENCY", "4")
    names = [f"n{i:02d}" for i in range(40)]
    server = serve({n: "timeout" if i < 4 else "json" for i, n in enumerate(names)})
    elapsed, dumped = _round(server, names, ["--timeout", "1"], capsys)
    assert elapsed < 1 + 1 + SLACK_S, elapsed
    assert [n["state"] for n in dumped] == ["timeout"] * 4 + ["ok"] * 36
    assert all(n["error"] == "no answer within 1 s" for n in dumped[:4])
    assert all(len(n["snapshot"]["devices"]) == 8 for n in dumped[4:])


def test_many_nodes_low_concurrency_still_end_by_the_deadline(
        serve: Serve, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLSMI_VIEW_CONCURRENCY", "4")
    names = [f"n{i:02d}" for i in range(40)]
    stalled = {"n00", "n13", "n26", "n39"}
    server = serve({n: "timeout" if n in stalled else "slow" for n in names})
    server.slow_s = 0.1  # 40 nodes at 4 in flight: ~1 s of honest work, cut at 0.8 s
    elapsed, dumped = _round(server, names, ["--timeout", "30", "--deadline", "0.8"], capsys)
    assert elapsed < 0.8 + SLACK_S, elapsed
    states = {n["address"].rsplit("/", 1)[1]: n["state"] for n in dumped}
    assert all(states[n] == "timeout" for n in stalled)
    assert "ok" in states.values()  # what answered before the deadline is in the dump
    late = [n for n in dumped if n["state"] == "timeout"]
    assert all(n["error"] == "round deadline passed" for n in late)


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e309", "3601", "soon"])
def test_bad_deadline_is_a_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["snapshot", "--hosts", "127.0.0.1:9", f"--deadline={value}"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--deadline" in err and "3600 seconds" in err and "Traceback" not in err
