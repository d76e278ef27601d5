"""Pure parser for the ASCII grid tables furiosa-smi prints (`+---+` rules, `|` cells)."""

from __future__ import annotations

Row = dict[str, list[str]]
"""One table row: column title -> the non-empty lines of its cell, top to bottom."""


class TableError(ValueError):
    """The text holds no furiosa-smi table."""


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def parse_grid(text: str) -> list[Row]:
    """Rows of the first grid table in `text`; cells that span several lines keep each line."""
    blocks: list[list[list[str]]] = []
    current: list[list[str]] = []
    started = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("+") and set(line) <= {"+", "-", "="}:
            started = True
            if current:
                blocks.append(current)
                current = []
            continue
        if started and line.startswith("|"):
            current.append(_cells(line))
        elif started and blocks:
            break  # the table ended (topo prints a legend after it)
    if current:
        blocks.append(current)
    if len(blocks) < 1 or len(blocks[0]) != 1:
        raise TableError("no furiosa-smi table with a one-line header")
    header = blocks[0][0]
    rows: list[Row] = []
    for block in blocks[1:]:
        row: Row = {title: [] for title in header}
        for cells in block:
            if len(cells) != len(header):
                raise TableError(f"row has {len(cells)} cells, header has {len(header)}")
            for title, cell in zip(header, cells, strict=True):
                if cell:
                    row[title].append(cell)
        rows.append(row)
    return rows


def cell(row: Row, *titles: str) -> str | None:
    """The cell under the first of `titles` present, lines joined by a space; None if absent."""
    for title in titles:
        lines = row.get(title)
        if lines:
            return " ".join(lines)
    return None
