"""The local view's process filter (`/`): user or command substrings, Enter keeps, Esc closes."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

from allsmi_py.model import ProcessReading
from allsmi_py.tui.app import AllSmiApp
from allsmi_py.tui.messages import SnapshotUpdated
from allsmi_py.tui.widgets.processes import MAX_QUERY_CHARS, ProcessRow, ProcessTable, matches_query
from tests.allsmi_py.tui.factories import GIB, T0, device, snapshot

PROCESSES = (
    ProcessReading(pid=11, user="alice", command="python train.py --model llama",
                   gpu_memory_bytes=4 * GIB, started_at_s=T0 - 60),
    ProcessReading(pid=12, user="bob", command="torchrun pretrain.py", gpu_memory_bytes=3 * GIB),
    ProcessReading(pid=13, user="carol", command=None, name="jupyter-kernel",
                   gpu_memory_bytes=2 * GIB),
    ProcessReading(pid=14, user=None, command="vllm serve Alice-7B", gpu_memory_bytes=GIB),
)


def _row(process: ProcessReading) -> ProcessRow:
    return ProcessRow(process, "0", None)


def test_a_query_matches_the_user_or_the_command_ignoring_case() -> None:
    rows = [_row(p) for p in PROCESSES]
    assert [r.process.pid for r in rows if matches_query(r, "alice")] == [11, 14]
    assert [r.process.pid for r in rows if matches_query(r, "TRAIN")] == [11, 12]
    assert [r.process.pid for r in rows if matches_query(r, "jupyter")] == [13]  # the name
    assert [r.process.pid for r in rows if matches_query(r, "nobody")] == []


async def _send(pilot: Pilot[None], snap: object) -> None:
    pilot.app.post_message(SnapshotUpdated(snap))  # type: ignore[arg-type]
    await pilot.pause()
    await pilot.pause()


def _shown(app: AllSmiApp) -> list[int]:
    return sorted(row.process.pid for row in app.screen.query_one(ProcessTable).shown)


async def test_slash_filters_as_typed_enter_keeps_it_esc_closes_then_clears() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await _send(pilot, snapshot(device(0, processes=PROCESSES)))
        await pilot.press("slash")
        await pilot.pause()
        bar = app.screen.query_one("#process-filter", Input)
        assert bar.has_focus and bar.display
        await pilot.press("b", "o")
        await pilot.pause()
        assert _shown(app) == [12]
        table = app.screen.query_one(ProcessTable)
        assert "filter 'bo'" in str(table.border_title)
        await pilot.press("enter")
        await pilot.pause()
        assert table.has_focus and not bar.display and _shown(app) == [12]
        # a new snapshot keeps the filter
        await _send(pilot, snapshot(device(0, processes=PROCESSES)))
        assert _shown(app) == [12]
        await pilot.press("slash")
        await pilot.pause()
        assert bar.value == "bo"
        await pilot.press("backspace", "backspace", "a", "l", "i")
        await pilot.pause()
        assert _shown(app) == [11, 14]
        await pilot.press("escape")  # closes the bar, keeps the filter
        await pilot.pause()
        assert not bar.display and _shown(app) == [11, 14]
        await pilot.press("escape")  # clears it
        await pilot.pause()
        assert _shown(app) == [11, 12, 13, 14]
        assert "filter" not in str(table.border_title)


async def test_a_hostile_query_is_capped_and_shown_as_text() -> None:
    app = AllSmiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await _send(pilot, snapshot(device(0, processes=PROCESSES)))
        table = app.screen.query_one(ProcessTable)
        table.filter_by("[bold red]x" + "y" * 1000)
        await pilot.pause()
        assert len(table.filter_text) == MAX_QUERY_CHARS
        assert _shown(app) == []
        # the title shows the typed brackets as text, not as markup
        assert table._border_title is not None
        assert f"filter '[bold red]x{'y' * 20}" in table._border_title.plain
        await pilot.pause()
