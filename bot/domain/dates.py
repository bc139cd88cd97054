"""Calendar arithmetic the rules need (no clock here: callers pass "today")."""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, timedelta

from bot.domain.errors import DomainError
from bot.i18n import N_


def add_months(d: date, months: int) -> date:
    """Same day n months later, clamped to the month's end (Jan 31 + 1 month = Feb 28/29)."""
    idx = d.month - 1 + months
    year, month = d.year + idx // 12, idx % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def full_years(start: date, end: date) -> int:
    """Whole years from start to end, counted like `add_months` (民法典 art. 202: a period ending in a month
    without the corresponding day ends on that month's last day).

    So a Feb 29 birthday counts on Feb 28 in common years: born 2000-02-29, 18 on 2018-02-28 — the same day
    the Member rule lets them join and the day `full_months` reaches 216. (Counting it on Mar 1 here while
    `add_months` clamps to Feb 28 made a lost time of 12 full months read as 0 full years.)
    """
    return full_months(start, end) // 12


def full_months(start: date, end: date) -> int:
    """Whole months from start to end: the largest n with add_months(start, n) <= end."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return months


_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_ZH = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_RELATIVE = {"今天": 0, "today": 0, "昨天": -1, "yesterday": -1, "前天": -2}


def parse_user_date(text: str, today: date, allow_future: bool = False) -> date:
    """Dates as people type them: 2026-11-20, 2026/11/20, 2026年11月20日, 20261120, 昨天/yesterday."""
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    if s in _RELATIVE:
        return today + timedelta(days=_RELATIVE[s])
    compact = "".join(s.split())  # "2026年 11月 20日" as typed on a phone keyboard
    for rx in (_ISO, _ZH, _COMPACT):
        m = rx.match(compact)
        if m:
            try:
                d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                # Read fine, but no such day (2026-02-30): say so rather than "not a date I can read".
                raise DomainError(N_("Not a real calendar date: {value}"), field="date", value=s[:20]) from None
            if d > today and not allow_future:
                raise DomainError(N_("{date} is in the future"), field="date", date=d.isoformat())
            return d
    raise DomainError(N_("Not a date I can read: try 2026-11-20, 2026年11月20日 or “yesterday”"), field="date")


def parse_year_month(text: str) -> date:
    """出生年月 / 入党时间 in rosters: 1985.03, 1985-3, 1985年3月, 198503, or a full date (first of month otherwise)."""
    s = unicodedata.normalize("NFKC", str(text)).strip()
    m = re.match(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?)?\s*月?$", s) or re.match(
        r"^(\d{4})(\d{2})(\d{2})?$", s)
    if not m:
        raise DomainError(N_("Not a date I can read: try 2026-11-20, 2026年11月20日 or “yesterday”"), field="date")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
    except ValueError:
        raise DomainError(N_("Not a real calendar date: {value}"), field="date", value=s[:20]) from None
