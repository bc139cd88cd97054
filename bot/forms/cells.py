"""What goes into a cell: user text made safe for spreadsheets, dates and codes as the seeds print them.

Pure functions, used by every writer: a cell's value is computed once and written the same way to xlsx,
csv and docx.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from bot.domain.codes import CodedEnum

# Characters that make a spreadsheet read a cell as a formula (or DDE) when it starts with them.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
# C0/C1 control characters except the line feed (long text keeps its paragraphs); tab and CR are turned
# into spaces / line feeds first so that text typed on a phone keeps its shape.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def clean_text(value: Any) -> str:
    """User text for a cell: control characters stripped, line breaks kept as \\n, formula leads neutralised.

    A leading = + - @ (or a tab / CR, checked before they are normalised) gets a leading apostrophe, the
    convention spreadsheets themselves use for "this is text": `=HYPERLINK(...)` arrives as `'=HYPERLINK(...)`.
    """
    if value is None:
        return ""
    text = str(value)
    if text.isprintable() and not text.lstrip(" ").startswith(FORMULA_LEADS):
        return text          # the common case, decided in C: nothing to strip, nothing to neutralise
    dangerous = text.startswith(FORMULA_LEADS)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _CONTROL.sub("", text)
    if dangerous or text.lstrip(" ").startswith(FORMULA_LEADS[:4]):
        text = "'" + text
    return text


def cell(value: Any) -> Any:
    """A value as the writers take it: int/float/Decimal stay numbers, everything else becomes clean text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else ""
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, CodedEnum):
        return value.zh
    if isinstance(value, date):
        return zh_date(value)
    return clean_text(value)


def year_month(d: date | str | None) -> str:
    """出生年月 / 入党时间 as the 名册 writes them: 1985.03 (from a date or an ISO date string)."""
    if not d:
        return ""
    if isinstance(d, str):
        return f"{d[:4]}.{d[5:7]}"
    return f"{d.year}.{d.month:02d}"


_LABELS: dict[type, dict[str, str]] = {}


def zh_of(enum: type[CodedEnum], key: str | None) -> str:
    """The official wording of a stored code key ("female" → 女), "" for none: a dict lookup, no enum call."""
    if not key:
        return ""
    table = _LABELS.get(enum)
    if table is None:
        table = _LABELS[enum] = {m.value: m.zh for m in enum}
    return table.get(key, "")


def zh_date(d: date | None) -> str:
    """A date as forms print it: 2026年12月1日."""
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def code_mark(value: CodedEnum | None) -> str:
    """A coded column as the seeds ask: the circled code number (①…), explained on the 填表说明 sheet."""
    return value.mark if value is not None else ""


def check_boxes(options: Any, chosen: Any) -> str:
    """□未婚  ☑已婚  □离婚 …: the seed's tick boxes with the recorded value ticked."""
    chosen_set = set(chosen) if isinstance(chosen, (set, list, tuple, frozenset)) else {chosen}
    return "  ".join(("☑" if o in chosen_set else "□") + (o.zh if isinstance(o, CodedEnum) else str(o))
                     for o in options)


ORDINALS = "一二三四五六七八九十"


def ordinal(n: int) -> str:
    """第一次, 第二次 … 第十一次 …: Chinese numerals for the 记录表's attempt headings."""
    if n <= 10:
        return ORDINALS[n - 1]
    if n < 20:
        return "十" + ORDINALS[n - 11]
    tens, ones = divmod(n, 10)
    return ORDINALS[tens - 1] + "十" + (ORDINALS[ones - 1] if ones else "")
