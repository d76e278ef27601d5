"""The process table's tree order: parents first, siblings in sort order, glyphs, cycles."""

from __future__ import annotations

from allsmi_py.model import ProcessReading
from allsmi_py.tui.widgets.process_tree import (
    BLANK,
    BRANCH,
    DEEPER,
    LAST,
    MAX_DRAWN_DEPTH,
    PIPE,
    tree_order,
)
from allsmi_py.tui.widgets.processes import ProcessRow


def _rows(*pairs: tuple[int, int | None]) -> list[ProcessRow]:
    return [ProcessRow(ProcessReading(pid=pid, ppid=ppid), "0", None) for pid, ppid in pairs]


def _drawn(rows: list[ProcessRow]) -> list[tuple[int, str]]:
    return [(row.process.pid, glyphs) for row, glyphs in tree_order(rows)]


def test_children_follow_their_parent_with_glyphs_and_keep_the_sort_order() -> None:
    # sorted order as the table hands it over: the children before their parent
    rows = _rows((30, 10), (20, 10), (40, 20), (10, 1), (50, None))
    assert _drawn(rows) == [
        (10, ""),
        (30, BRANCH),
        (20, LAST),
        (40, BLANK + LAST),
        (50, ""),
    ]


def test_a_middle_child_draws_a_pipe_for_its_own_children() -> None:
    rows = _rows((1, None), (2, 1), (3, 2), (4, 1))
    assert _drawn(rows) == [(1, ""), (2, BRANCH), (3, PIPE + LAST), (4, LAST)]


def test_a_parent_not_in_the_table_makes_a_root() -> None:
    assert _drawn(_rows((7, 99999), (8, None))) == [(7, ""), (8, "")]


def test_a_cycle_of_ppids_still_draws_every_row_once() -> None:
    rows = _rows((1, 3), (2, 1), (3, 2), (4, 4), (5, 2))
    drawn = _drawn(rows)
    assert sorted(pid for pid, _ in drawn) == [1, 2, 3, 4, 5]
    assert drawn[0] == (4, "")  # its own parent: a root
    assert drawn[1] == (1, "")  # the cycle is entered at its first row in sort order
    assert [pid for pid, _ in drawn[2:]] == [2, 3, 5]


def test_a_long_chain_is_drawn_without_recursion_and_its_glyphs_stay_bounded() -> None:
    count = 20_000
    rows = _rows(*((pid, pid - 1 if pid else None) for pid in range(count)))
    drawn = _drawn(rows)
    assert [pid for pid, _ in drawn] == list(range(count))
    widest = max(len(glyphs) for _, glyphs in drawn)
    assert widest == MAX_DRAWN_DEPTH * len(BLANK) + len(DEEPER)
    assert drawn[-1][1].endswith(DEEPER)


def test_a_pid_listed_on_two_devices_hangs_its_children_under_the_first() -> None:
    rows = [ProcessRow(ProcessReading(pid=5), "0", None),
            ProcessRow(ProcessReading(pid=5), "1", None),
            ProcessRow(ProcessReading(pid=6, ppid=5), "1", None)]
    assert [(r.process.pid, r.device, g) for r, g in tree_order(rows)] == [
        (5, "0", ""), (6, "1", LAST), (5, "1", "")]
