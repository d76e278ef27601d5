"""Per-process GPU memory and GPU% history: keyed by pid, device and start, bounded."""

from __future__ import annotations

from allsmi_py.model import ProcessReading
from allsmi_py.tui.process_history import MAX_TRACKED, ProcessHistory, series_key
from allsmi_py.tui.widgets.processes import ProcessRow

GIB = 1024**3


def _row(pid: int = 5, used: int = GIB, util: float = 50.0, start: float = 100.0,
         device: str = "0") -> ProcessRow:
    return ProcessRow(ProcessReading(pid=pid, gpu_memory_bytes=used, gpu_utilization_pct=util,
                                     started_at_s=start), device, None)


def test_each_snapshot_adds_one_reading_and_gone_processes_are_forgotten() -> None:
    history = ProcessHistory()
    for used in (1, 2, 3):
        history.record([_row(used=used * GIB), _row(pid=6)])
    assert history.memory.values(series_key(_row())) == [GIB, 2 * GIB, 3 * GIB]
    history.record([_row()])
    assert len(history) == 1 and series_key(_row(pid=6)) not in history.memory


def test_a_reused_pid_starts_a_new_series() -> None:
    history = ProcessHistory()
    history.record([_row(start=100.0)])
    history.record([_row(start=100.0)])
    history.record([_row(start=900.0, used=7 * GIB)])  # same pid, another process
    assert history.memory.values(series_key(_row(start=900.0))) == [7 * GIB]
    assert len(history) == 1


def test_the_same_pid_on_two_devices_has_two_series() -> None:
    history = ProcessHistory()
    history.record([_row(device="0", util=10.0), _row(device="1", util=90.0)])
    assert history.utilization.values(series_key(_row(device="1"))) == [90.0]
    assert history.utilization.values(series_key(_row(device="0"))) == [10.0]


def test_the_number_of_series_is_bounded() -> None:
    history = ProcessHistory()
    history.record([_row(pid=pid) for pid in range(MAX_TRACKED * 3)])
    assert len(history) == MAX_TRACKED


def test_the_description_names_the_process_and_draws_both_sparklines() -> None:
    history = ProcessHistory()
    assert history.describe(_row()) is None
    for used, util in ((1, 0.0), (2, 50.0), (4, 100.0)):
        history.record([_row(used=used * GIB, util=util)])
    text = history.describe(_row(used=4 * GIB, util=100.0))
    assert text is not None
    assert text.plain.startswith("pid 5 on 0 · GPU-MEM ")
    assert "4.0 GiB · GPU% " in text.plain and text.plain.endswith("100%")
    assert "█" in text.plain  # the peak of each series is drawn full
