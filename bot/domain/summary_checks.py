"""The identities a summary table states, checked before any file is written.

Seed 004 附件5 备注 1: "A＝B+O+X；B＝C+G+M+N；G＝H+I+J+K+L；O＝P+S+V+W；P＝Q+R；S=T+U". Seed 002 附件6:
each group of columns (年龄, 党龄, 学历, 失去联系时间, 失去联系情形) adds up to 人数, and 合计 is the sum of
the rows. A table that breaks one is refused with the row, the cells and the numbers named.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

from bot.domain.errors import DomainError
from bot.i18n import N_


class SummaryIdentityError(DomainError):
    """A summary table does not add up: which row, which cells, which numbers."""


def check_identity(row: str, total: str, parts: Sequence[str], values: Mapping[str, int],
                   label: Callable[[str], str] = str, rest: Sequence[str] = ()) -> None:
    """Raise SummaryIdentityError unless values[total] == sum(values[p] for p in parts + rest).

    `rest` are counts kept off the printed columns but still part of the total (members whose 学历 is
    not recorded, listed on the notes sheet).
    """
    got = sum(int(values.get(k) or 0) for k in (*parts, *rest))
    want = int(values.get(total) or 0)
    if got != want:
        terms = "+".join(label(k) for k in (*parts, *rest))
        raise SummaryIdentityError(
            N_("Row “{row}”: {total} = {want}, but {terms} = {got}"),
            field=total, row=row, total=label(total), want=want, terms=terms, got=got)


def check_total_row(total: Mapping[str, int], rows: Sequence[tuple[str, Mapping[str, int]]],
                    keys: Sequence[str], label: Callable[[str], str] = str, total_label: str = "合计") -> None:
    """Raise SummaryIdentityError unless every cell of the 合计 row is the sum of that column."""
    for k in keys:
        got = sum(int(values.get(k) or 0) for _, values in rows)
        want = int(total.get(k) or 0)
        if got != want:
            raise SummaryIdentityError(
                N_("Column “{column}”: {total_row} = {want}, but the rows add up to {got}"),
                field=k, column=label(k), total_row=total_label, want=want, got=got)
