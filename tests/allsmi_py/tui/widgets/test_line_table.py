"""LineTable.set_rows repaints only the visible lines whose content changed, and the header."""

from __future__ import annotations

from textual.app import App, ComposeResult

from allsmi_py.tui.widgets.line_table import Cell, Column, LineTable


class Words(LineTable[tuple[str, str]]):
    COLUMNS = (Column("NAME", 10), Column("VALUE", 10))

    def cells(self, row: tuple[str, str]) -> list[Cell]:
        return [(row[0], ""), (row[1], "bold")]


class WordsApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Words(id="words")


ROWS = [("alpha", "one"), ("beta", "two"), ("gamma", "three")]


def _screen_text(app: App[None]) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_a_changed_row_is_repainted_and_the_others_are_not() -> None:
    app = WordsApp()
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(Words)
        table.set_rows(list(ROWS))
        await pilot.pause()
        table.set_rows([ROWS[0], ("beta", "changed"), ROWS[2]])
        dirty_lines = {region.y for region in table._repaint_regions}
        assert dirty_lines == {0, 2}  # the header, and the row "beta" is on
        await pilot.pause()
        text = _screen_text(app)
        assert "changed" in text and "two" not in text and "three" in text


async def test_the_same_rows_again_repaint_only_the_header() -> None:
    app = WordsApp()
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(Words)
        table.set_rows(list(ROWS))
        await pilot.pause()
        table.set_rows(list(ROWS))
        assert {region.y for region in table._repaint_regions} == {0}


async def test_more_rows_repaint_the_table_and_fewer_move_the_cursor_onto_one() -> None:
    app = WordsApp()
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(Words)
        table.set_rows(list(ROWS))
        await pilot.pause()
        table.set_rows([*ROWS, ("delta", "four")])
        await pilot.pause()
        assert "four" in _screen_text(app)
        table.focus()
        table.action_move(3)
        await pilot.pause()
        table.set_rows([ROWS[0], ROWS[1], ("gamma", "moved")])
        await pilot.pause()
        assert table.cursor == 2
        text = _screen_text(app)
        assert "moved" in text and "four" not in text and "three" not in text


def _count_layouts(table: LineTable[tuple[str, str]]) -> list[int]:
    """Counts the table's refresh(layout=True) calls: each lays the whole screen out again."""
    calls = [0]
    refresh = table.refresh

    def counting(*regions: object, **kwargs: bool) -> object:
        calls[0] += bool(kwargs.get("layout"))
        return refresh(*regions, **kwargs)  # type: ignore[arg-type]

    table.refresh = counting  # type: ignore[method-assign,assignment]
    return calls


async def test_a_new_row_count_lays_the_screen_out_only_when_a_scrollbar_comes_or_goes() -> None:
    app = WordsApp()
    async with app.run_test(size=(40, 8)) as pilot:  # default height 1fr: rows do not set it
        table = app.query_one(Words)
        table.set_rows(list(ROWS))
        await pilot.pause()
        layouts = _count_layouts(table)
        table.set_rows([*ROWS, ("delta", "four")])
        await pilot.pause()
        assert layouts == [0]  # 5 lines fit in 8: only the table repaints
        assert "four" in _screen_text(app) and not table.show_vertical_scrollbar
        table.set_rows([(f"row{i}", str(i)) for i in range(20)])
        await pilot.pause()
        assert layouts[0] >= 1  # the scrollbar appears: that is a new layout
        assert table.show_vertical_scrollbar and table.virtual_size.height == 21
        table.set_rows(list(ROWS))
        await pilot.pause()
        assert not table.show_vertical_scrollbar and "gamma" in _screen_text(app)
