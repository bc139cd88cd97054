"""The seed's merged header cells, computed from each column's header path (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class HeaderCell:
    """A header cell spanning rows first_row..last_row and columns first_col..last_col (0-based, inclusive)."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int
    text: str


def header_cells(paths: Sequence[Sequence[str | None]], col_offset: int = 0) -> list[HeaderCell]:
    """Merged cells for columns whose header paths are read top-down.

    In a path, None means "the cell above reaches down here" and "" an empty cell of its own. Neighbouring
    columns whose paths agree down to a level share that level's cell (the seed's merged group headers).
    """
    if not paths:
        return []
    depth = len(paths[0])
    if any(len(p) != depth for p in paths):
        raise ValueError("header paths must all have the same depth")

    def bottom(c: int, r: int) -> int:
        while r + 1 < depth and paths[c][r + 1] is None:
            r += 1
        return r

    cells: list[HeaderCell] = []
    for r in range(depth):
        c = 0
        while c < len(paths):
            text = paths[c][r]
            if text is None:
                c += 1
                continue
            last_row, last_col = bottom(c, r), c
            while (text != "" and last_col + 1 < len(paths)
                   and tuple(paths[last_col + 1][:r + 1]) == tuple(paths[c][:r + 1])
                   and bottom(last_col + 1, r) == last_row):
                last_col += 1
            cells.append(HeaderCell(r, c + col_offset, last_row, last_col + col_offset, text))
            c = last_col + 1
    return cells
