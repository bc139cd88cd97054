"""Finding the header of a roster sheet: a title row may sit above it, and a group header over two rows.

Printed rosters often group columns: 党籍信息 merged over 入党时间 / 转正时间 in the row below, the other
headers merged down over both rows. A reader that takes the first row only reads no 入党时间 and no 转正时间
and would store every member as a 预备党员, so the leaf row under a header is read too (group over leaf).
A member whose required columns are missing while some column was not understood is never stored: the
sheet is refused, naming the columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from bot.domain.errors import DomainError
from bot.forms.roster.columns import BY_KEY, column_for
from bot.i18n import N_

HEADER_SEARCH_ROWS = 20
NO_HEADER = N_("No header row found: the first rows must name the columns, such as 姓名 and 身份证号码")
# Without these the reader would make something up: no 入党时间, and 预备党员 for want of a 转正时间 or 党员类型.
REQUIRED_ANY = (("joined",), ("confirmed", "member_type"))


@dataclass
class Header:
    """Where a sheet's header is and which column holds what."""

    first_row: int
    last_row: int                             # the leaf row of a two-row header, else first_row
    columns: dict[int, str]                   # position → column key
    ignored: list[str] = field(default_factory=list)   # headers not understood ("党籍信息 › 备用")


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _known(values: tuple) -> dict[int, str | None]:
    return {i: column_for(v) for i, v in enumerate(values) if _text(v)}


def _is_leaf_row(top: dict[int, str | None], below: tuple) -> bool:
    """The row below a header is its leaf row when every cell is a known header or sits under a group (a header
    not understood, or the empty cells a merged group leaves). A data row has a name under 姓名: never a leaf row."""
    cells = _known(below)
    return bool(cells) and all(key or top.get(i) is None for i, key in cells.items())


def _merge(top_values: tuple, below: tuple) -> tuple[dict[int, str], list[str]]:
    top = _known(top_values)
    leaves = _known(below)
    columns: dict[int, str] = {i: k for i, k in top.items() if k}
    ignored: list[str] = []
    group = ""
    for i in range(max([*top, *leaves, -1]) + 1):
        if i in top:
            group = _text(top_values[i]) if top[i] is None else ""
        leaf = leaves.get(i)
        if leaf:
            columns[i] = leaf               # the leaf names the column; its group is only a title
        elif i in leaves:
            ignored.append(f"{group} › {_text(below[i])}" if group else _text(below[i]))
        elif i in top and top[i] is None:
            ignored.append(_text(top_values[i]))
    return columns, ignored


def locate_header(rows: Iterator[tuple[Any, ...]]) -> tuple[Header, tuple | None]:
    """Read the header from the first rows; returns it and the first data row if one was read ahead."""
    for number, values in enumerate(rows, start=1):
        keys = _known(values)
        known = [k for k in keys.values() if k]
        if "name" in known and len(known) >= 2:
            below = next(rows, None)
            if below is not None and _is_leaf_row(keys, below):
                columns, ignored = _merge(values, below)
                header = Header(number, number + 1, columns, ignored)
                below = None
            else:
                columns = {i: k for i, k in keys.items() if k}
                header = Header(number, number, columns, [_text(values[i]) for i, k in keys.items() if not k])
            _check_twice(header)
            return header, below
        if number >= HEADER_SEARCH_ROWS:
            break
    raise DomainError(NO_HEADER, field="file")


def _check_twice(header: Header) -> None:
    seen: set[str] = set()
    for key in header.columns.values():
        if key in seen:
            raise DomainError(N_("The column {column} appears twice in the header"), field="file",
                              column=BY_KEY[key].header)
        seen.add(key)


def missing_required(header: Header) -> list[str]:
    """The required columns (official headers) a header lacks, when some of its columns were not understood."""
    if not header.ignored:
        return []
    present = set(header.columns.values())
    return ["/".join(BY_KEY[k].header for k in group) for group in REQUIRED_ANY if not present.intersection(group)]


def data_rows(rows: Iterator[tuple[Any, ...]], start: int, columns: dict[int, str], first: tuple | None = None
              ) -> Iterator[tuple[int, dict[str, Any]]]:
    """The filled rows after the header as (row number, {column key: value}); blank or numbered-only rows skipped."""
    positions = sorted(columns.items())

    def all_rows() -> Iterator[tuple[Any, ...]]:
        if first is not None:
            yield first
        yield from rows

    for number, values in enumerate(all_rows(), start=start):
        record: dict[str, Any] = {}
        filled = False
        n = len(values)
        for i, key in positions:
            value = values[i] if i < n else None
            if isinstance(value, str):
                value = value.strip() or None
            if value is not None:
                record[key] = value
                filled = filled or key != "seq"
        if filled:
            yield number, record
