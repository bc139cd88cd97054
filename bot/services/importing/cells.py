"""Roster cells as Excel, WPS and csv files hold them: text, dates, numbers that lost their format, phones."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any

from bot.domain.codes import CodedEnum, MemberType, Occupation, PartyPost
from bot.domain.dates import parse_year_month
from bot.domain.errors import DomainError
from bot.i18n import N_

_DIGIT_GROUPS = re.compile(r"\d+")
EXCEL_EPOCH = date(1899, 12, 30)          # serial 1 = 1900-01-01 with Excel's 1900 leap-year bug (serial > 60)
SERIAL_RANGE = (3654, 73051)              # 1910-01-01 … 2099-12-31: a 5-digit number in a date column is a day
# A landline: area code 0XX(X) and 7–8 digits, an optional extension; or a bare local number of 7–8 digits.
_LANDLINE = re.compile(r"^(?:\(?0[1-9][0-9]{1,2}\)?-?)?[2-9][0-9]{6,7}(?:(?:-|转|ext\.?)[0-9]{1,6})?$")
_SEPARATORS = re.compile(r"[\s‐–—]")


def cell_text(value: Any) -> str | None:
    """A cell as text: numbers without a trailing .0, dates as ISO dates."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    s = str(value).strip()
    return s or None


def _serial(n: int) -> date:
    return EXCEL_EPOCH + timedelta(days=n)


_AMBIGUOUS = re.compile(r"^\d{4}\.1$")


def _ambiguous(text: str) -> DomainError:
    return DomainError(N_("{value} may be January or October (Excel shows 1985.10 as 1985.1): format the column as"
                          " text and type 1985.01 or 1985.10"), field="date", value=text)


def _number_year_month(value: float) -> date:
    """1985.3 typed into a General cell: year and month. 1985.1 is January or October (1985.10): refused."""
    text = repr(value)
    year, _, month = text.partition(".")
    if len(year) == 4 and month and month.isdigit():
        if month == "1":
            raise _ambiguous(text)
        if len(month) <= 2 and 1 <= int(month) <= 12:
            return date(int(year), int(month), 1)
    raise DomainError(N_("Not a date I can read: try 2026-11-20, 2026年11月20日 or “yesterday”"), field="date")


def cell_date(value: Any) -> tuple[date, bool]:
    """A roster date and whether it names a day (else only the year and month, day 1).

    A date on the 1st counts as a month (Excel turns a typed month into the 1st; csv writes it 1985/3/1), so
    出生年月 compares its year and month with the ID number only. A number is a year.month (1985.3) or, with five
    digits, an Excel serial day (31048 is 1985-01-01, as a csv of a date column holds it).
    """
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value, value.day != 1
    if isinstance(value, bool):
        raise DomainError(N_("Not a date I can read: try 2026-11-20, 2026年11月20日 or “yesterday”"), field="date")
    if isinstance(value, (int, float)) and float(value).is_integer():
        value = str(int(value))
    elif isinstance(value, float):
        return _number_year_month(value), False
    s = unicodedata.normalize("NFKC", str(value)).strip()
    if s.isascii() and s.isdigit() and len(s) == 5 and SERIAL_RANGE[0] <= int(s) <= SERIAL_RANGE[1]:
        d = _serial(int(s))
        return d, d.day != 1
    if _AMBIGUOUS.match(s):
        # A csv holds what Excel showed: 1985.1 may be a number cell's 1985.10, as ambiguous as the number.
        raise _ambiguous(s)
    parsed = parse_year_month(s)
    groups = _DIGIT_GROUPS.findall(s)
    has_day = len(groups) >= 3 or (len(groups) == 1 and len(groups[0]) == 8)
    return parsed, has_day and parsed.day != 1


def id_text(value: Any) -> str:
    """The ID number cell as text; refused when a number cell has lost its last digits."""
    if isinstance(value, float):
        digits = str(int(value)) if value.is_integer() else str(value)
        # Excel keeps 15 significant digits: an 18-digit number typed as a number has lost its tail.
        if len(digits) >= 16:
            raise DomainError(N_("The ID number was stored as a number and has lost digits: format the column as"
                                 " text and type it again"), field="id_number")
        return digits
    return str(value)


def mobile_text(value: Any) -> str:
    return str(int(value)) if isinstance(value, (int, float)) else str(value)


def landline(text: str) -> str | None:
    """The number as written when it is a landline (0571-88888888, 88888888), else None."""
    s = unicodedata.normalize("NFKC", text).strip()
    compact = _SEPARATORS.sub("", s).replace("（", "(").replace("）", ")")
    return s if _LANDLINE.match(compact) else None


def _nfkc(s: str) -> str:
    return "".join(unicodedata.normalize("NFKC", s).split())


def parse_code(enum: type[CodedEnum], value: Any) -> CodedEnum:
    """A code-table cell: the key, number, circled number or label; roster spellings of a few tables."""
    text = cell_text(value) or ""
    if enum is MemberType:
        text = {"正式": "full", "预备": "probationary"}.get(text, text)
    elif enum is PartyPost:
        for prefix in ("党支部", "党总支", "党委", "支部", "总支"):
            if text.startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix):]
                break
    elif enum is Occupation:
        text = text.rstrip("、.． ")
    try:
        return enum.parse(text)
    except DomainError:
        wanted = _nfkc(text).rstrip("、.")   # 出国(境) for 出国（境）, "① 外出务工经商" for either
        for m in enum:
            if wanted in (_nfkc(m.zh), _nfkc(m.mark + m.zh), f"{m.code}{_nfkc(m.zh)}"):
                return m
        raise
