"""A summary table as data: its columns (csv name, the seed's header path), rows of counts, and notes.

A summary form's rows are groups (职业 ①–⑧ and 合计, or one row per branch), its cells whole counts.
The writers (`writers.py`) turn one into xlsx with the seed's merged headers, or csv.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Sequence

from bot.domain.codes import Occupation
from bot.domain.summary_checks import check_identity, check_total_row

TOTAL_LABEL = "合计"


@dataclass(frozen=True)
class Column:
    """One counted column: `key` is its csv header, `path` its header cells top-down (None: the cell above
    reaches down; "": an empty header cell), `sql` the aggregate that counts it."""

    key: str
    path: tuple[str | None, ...]
    sql: str = ""


@dataclass(frozen=True)
class Identity:
    """`total` = sum(`parts`) (+ the uncounted `rest` keys, e.g. "not recorded" counts kept apart)."""

    total: str
    parts: tuple[str, ...]
    rest: tuple[str, ...] = ()


@dataclass(frozen=True)
class SummaryForm:
    """What a summary form is: official title, seed, row header, columns and identities."""

    name: str
    title: str
    seed: str
    corner: tuple[str, ...]          # the top-left header cell(s): 项目 / 群体 …
    row_key: str                     # csv name of the row label column (职业)
    columns: tuple[Column, ...]
    identities: tuple[Identity, ...] = ()
    footer: str = "填表人：　　　　　　联系电话："
    cell_label: Callable[[str], str] = str   # how an identity names a cell (the letters of 统计表 A–X)

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]


@dataclass(frozen=True)
class Note:
    """A line of the notes sheet: who, and what the tables could not count as recorded."""

    branch: str
    member: str
    text: str


@dataclass
class SummaryTable:
    """A filled summary form for one node on one 填表日期."""

    form: SummaryForm
    org_name: str
    as_of: date
    rows: list[tuple[str, dict[str, int]]]            # group label → counts (+ "_…" keys: uncounted, not printed)
    total: dict[str, int]
    by_branch: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    supplement: str = ""                                # 补充资料 line

    def check(self) -> None:
        """Every identity on every row (groups, branches, 合计), and 合计 = the sum of the rows.

        Raises SummaryIdentityError naming the row, the cells and the numbers: never a wrong report.
        """
        label = self.form.cell_label
        for rows in (self.rows, self.by_branch):
            if rows:
                check_total_row(self.total, rows, self.form.keys, label, TOTAL_LABEL)
        for row_label, values in [*self.rows, *self.by_branch, (TOTAL_LABEL, self.total)]:
            for ident in self.form.identities:
                check_identity(row_label, ident.total, ident.parts, values, label, ident.rest)


def occupation_rows() -> list[tuple[str, str]]:
    """(stored key, printed label) of the eight 职业 rows, in code order ①–⑧."""
    return [(o.value, o.zh) for o in sorted(Occupation, key=lambda o: o.code)]


def add_into(total: dict[str, int], values: dict[str, int], keys: Sequence[str]) -> None:
    for k in keys:
        total[k] = total.get(k, 0) + int(values.get(k) or 0)
