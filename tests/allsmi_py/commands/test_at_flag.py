"""`--at TIME` of `view --prometheus` and `snapshot --prometheus`: what it takes and refuses."""

from __future__ import annotations

import pytest

from allsmi_py.cli import main
from allsmi_py.commands.sources import at_time
from allsmi_py.errors import UsageError

NOW = 1_800_000_000.0


@pytest.mark.parametrize(("text", "want"), [
    ("1790000000", 1_790_000_000.0), ("1790000000.25", 1_790_000_000.25),
    ("2026-12-04T05:00:00Z", 1_796_360_400.0), ("2026-12-04T05:00:00+00:00", 1_796_360_400.0),
    ("-10m", NOW - 600), ("-1h30m", NOW - 5400), (None, None)])
def test_times_it_takes(text: str | None, want: float | None) -> None:
    assert at_time(text, NOW) == want


@pytest.mark.parametrize("text", ["yesterday", "-10x", "1e99", "", "-", "2026-13-01T00:00Z"])
def test_times_it_refuses_in_one_line(text: str) -> None:
    with pytest.raises(UsageError, match="^--at: ") as caught:
        at_time(text, NOW)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("argv", [
    ["snapshot", "--prometheus", "http://127.0.0.1:1", "--at=yesterday"],
    ["view", "--prometheus", "http://127.0.0.1:1", "--at=-3 weeks"],
    ["snapshot", "--at", "1790000000"],  # no --prometheus: nothing to evaluate at a time
    ["view", "--hosts", "a:1", "--at", "1790000000"],
])
def test_bad_or_misplaced_at_is_one_line_and_exit_2(argv: list[str],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "--at" in captured.err


def test_view_reads_prometheus_by_aggregation_at_the_time_given(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from allsmi_py.remote.prometheus_aggregate import PrometheusAggregateSource
    from allsmi_py.tui.cluster_app import ClusterApp

    opened: list[ClusterApp] = []
    monkeypatch.setattr(ClusterApp, "run", lambda self, *a, **k: opened.append(self))
    monkeypatch.setenv("ALLSMI_PROMETHEUS_BUDGET_BYTES", "500000")
    assert main(["view", "--prometheus", "http://127.0.0.1:1", "--at", "1790000000"]) == 0
    (app,) = opened
    source = app.cluster_source
    assert isinstance(source, PrometheusAggregateSource)
    assert source.api.at_s == 1_790_000_000.0 and source.budget_bytes == 500_000
    assert source.view.__func__ is ClusterApp.page_request  # type: ignore[attr-defined]
    assert app.label.startswith("prometheus http://127.0.0.1:1 at ")
