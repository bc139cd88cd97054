"""A form as data: columns under a header tree, rows (records or groups), the seed's lines around them.

- `Column.path` is the header tree: the labels from the top header row down to the column's own label.
  Neighbouring columns sharing a prefix share (merge) those header cells; a label with nothing under
  it merges down to the last header row. 附件6's "经查找仍然无法取得联系党员 > 结构 > 年龄 > 35岁及以下"
  and the 名册's flat "姓名" are both paths.
- `Row` carries a `kind`: "data" for a member's line, "group" / "total" for the rows of summary tables
  (职业 ①–⑧ and 合计), styled apart by the writers.
- `Table.checks` are the identities a summary table states (A=B+O+X …): run on the materialised rows
  before any file is opened, so a table that does not add up is refused with the cells named, never
  written silently wrong.
- A `FormDocument` is what a form builds for one request: its sheets (each a Table and its rows,
  possibly a lazy iterator for big registers), or its per-member records for the docx writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterable, Iterator, Sequence

from bot.domain.codes import CodedEnum
from bot.domain.errors import DomainError
from bot.i18n import N_


@dataclass(frozen=True)
class Column:
    path: tuple[str | None, ...]   # header labels, top row first (None: the one above reaches down)
    width: float = 10.0         # in Excel character units
    number: bool = False        # counts: centred, never wrapped
    csv: str | None = None      # the csv header when the leaf label is ambiguous (附件6: 党龄1年至5年)

    @property
    def label(self) -> str:
        return self.path[-1]

    @property
    def csv_header(self) -> str:
        return self.csv or "".join(self.label.split())


def col(*path: str, width: float = 10.0, number: bool = False, csv: str | None = None) -> Column:
    return Column(tuple(path), width, number, csv)


@dataclass(frozen=True)
class Row:
    values: Sequence[Any]
    kind: str = "data"          # "data" | "group" | "total"


@dataclass(frozen=True)
class HeaderCell:
    text: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int

    @property
    def merged(self) -> bool:
        return (self.first_row, self.first_col) != (self.last_row, self.last_col)


Check = Callable[[Sequence[Row]], list[str]]   # returns problems ("第3行 A=8, B+O+X=7"); empty when fine


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[Column, ...]
    sheet: str | None = None                       # sheet name (default: the title)
    landscape: bool = True
    notes: tuple[str, ...] = ()                    # the seed's 填表说明, word for word
    code_tables: tuple[tuple[str, type[CodedEnum]], ...] = ()   # (heading, code table) for the notes sheet
    unit_label: str = "填报单位（盖章）："
    date_label: str = "填表日期："
    footer: tuple[str, ...] = ("填表人：", "联系电话：")
    supplement: str | None = None                  # a 补充资料 line under the table (附件6)
    checks: tuple[Check, ...] = ()
    label_columns: int = 0                         # leading columns that name a row group (bold)

    @property
    def depth(self) -> int:
        return max(len(c.path) for c in self.columns)

    @property
    def sheet_name(self) -> str:
        name = self.sheet or "".join(self.title.split())
        return name[:31]

    def header_cells(self) -> list[HeaderCell]:
        return header_cells(self.columns)

    def csv_headers(self) -> list[str]:
        return [c.csv_header for c in self.columns]


def header_cells(columns: Sequence[Column]) -> list[HeaderCell]:
    """The header grid: one cell per (level, run of neighbouring columns with the same path prefix).

    A column's last label spans down to the bottom header row; a shared prefix spans across. A None in a
    path means "the label above reaches down here" (附件7's 管理情况 over two rows, 统计表 A–X's group
    labels above the row of letters).
    """
    depth = max(len(c.path) for c in columns)

    def bottom(c: Column, level: int) -> int:
        if level == len(c.path) - 1:
            return depth - 1
        while level + 1 < len(c.path) - 1 and c.path[level + 1] is None:
            level += 1
        return level

    out: list[HeaderCell] = []
    for level in range(depth):
        start = 0
        while start < len(columns):
            c = columns[start]
            if level >= len(c.path) or c.path[level] is None:
                start += 1
                continue
            key = (c.path[:level + 1], level == len(c.path) - 1, bottom(c, level))
            end = start
            while end + 1 < len(columns) and c.path[level] != "":     # an empty label never merges
                n = columns[end + 1]
                if level < len(n.path) and (n.path[:level + 1], level == len(n.path) - 1, bottom(n, level)) == key:
                    end += 1
                else:
                    break
            out.append(HeaderCell(c.path[level], level, start, key[2], end))
            start = end + 1
    return out


@dataclass
class Meta:
    """The lines around a table: 填报单位, 填表日期, 填表人 / 联系电话."""

    unit: str
    filled_on: date
    preparer: str = ""
    phone: str = ""
    date_text: str | None = None        # when the form prints its date otherwise (附件4: 填报时间 年 月)


@dataclass
class SheetData:
    table: Table
    rows: Iterable[Row]


@dataclass
class RecordSet:
    """Per-member forms: one record per member, each rendered onto its own pages by `render`."""

    title: str
    records: Sequence[Any]
    render: Callable[[Any, Any, Meta], None]     # (python-docx Document, record, meta)


@dataclass
class FormDocument:
    name: str                    # the form's CLI name
    title: str                   # the official title
    meta: Meta
    sheets: list[SheetData] = field(default_factory=list)
    records: RecordSet | None = None
    row_count: int | None = None  # known before writing (records, summaries) or counted while writing
    scope_name: str = ""


class FormCheckFailed(DomainError):
    """A summary table whose stated identities do not hold: nothing is written."""


def run_checks(table: Table, rows: Sequence[Row]) -> None:
    """Raise FormCheckFailed naming every cell that breaks one of the table's identities."""
    problems: list[str] = []
    for check in table.checks:
        problems.extend(check(rows))
    if problems:
        raise FormCheckFailed(N_("The table {title} does not add up, so it was not written: {problems}"),
                              field="checks", title=table.title, problems="; ".join(problems))


def counted(rows: Iterable[Row], counter: list[int], progress: Callable[[int, int | None], None] | None = None,
            total: int | None = None, every: int = 1000) -> Iterator[Row]:
    """Pass rows through, counting data rows into counter[0] and reporting progress every `every` rows."""
    for row in rows:
        if row.kind == "data":
            counter[0] += 1
            if progress and counter[0] % every == 0:
                progress(counter[0], total)
        yield row
