"""The registers' membership rules (bot.domain.registers): one boundary day with the scan."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, strategies as st

from bot.domain.codes import ContactLevel
from bot.domain.registers import (ContactHistory, Regain, lost_cutoff, lost_on, official_lost_time, regain_between,
                                  unreachable_on)
from bot.domain.rules import contact_level
from bot.services.scan.run import contact_cutoff

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


def history(*contacts: date, official: tuple[date, ...] = (), entered: date | None = None) -> ContactHistory:
    return ContactHistory.of(list(contacts), list(official or contacts), entered)


@given(days, days)
def test_lost_on_is_the_scans_level_and_the_sql_cutoff_agrees(last, on):
    if last > on:
        last, on = on, last
    h = history(last)
    assert lost_on(h, on) == (contact_level(last, on) is ContactLevel.LOST)
    assert lost_on(h, on) == (last < lost_cutoff(on))
    assert lost_cutoff(on) == contact_cutoff(on, 6)        # the scan's own cutoff: the same day


def test_exactly_six_months_is_not_yet_lost_the_next_day_is():
    h = history(date(2026, 6, 1))
    assert not unreachable_on(h, date(2026, 12, 1))
    assert unreachable_on(h, date(2026, 12, 2))
    # month ends clamp as add_months does: 2026-08-31 + 6 months = 2027-02-28
    h = history(date(2026, 8, 31))
    assert not lost_on(h, date(2027, 2, 28)) and lost_on(h, date(2027, 3, 1))


def test_no_contact_at_all_runs_from_entry_like_the_scan():
    h = ContactHistory.of([], [], date(2026, 1, 15))
    assert not lost_on(h, date(2026, 7, 15)) and lost_on(h, date(2026, 7, 16))
    assert not lost_on(h, date(2025, 12, 1))              # not on the register yet on that day
    assert lost_on(ContactHistory.of([], []), date(2026, 1, 1))   # nothing known at all: nobody vouches


def test_regain_needs_a_six_month_gap_inside_the_period():
    since, on = date(2026, 1, 1), date(2026, 12, 1)
    # five months, then contact: never 失联
    assert regain_between(history(date(2026, 4, 1), date(2026, 9, 1)), since, on) is None
    # exactly six months to the day: not yet over six months when contact came
    assert regain_between(history(date(2026, 3, 1), date(2026, 9, 1)), since, on) is None
    # six months and a day
    assert regain_between(history(date(2026, 3, 1), date(2026, 9, 2)), since, on) == Regain(date(2026, 3, 1),
                                                                                             date(2026, 9, 2))
    # reached before the period began: not this campaign's
    assert regain_between(history(date(2025, 1, 1), date(2025, 9, 1)), since, on) is None
    # reached, then lost again by the 填表日期: unreachable, not found
    h = history(date(2025, 1, 1), date(2026, 2, 1))
    assert regain_between(h, since, on) is None and unreachable_on(h, on)


def test_official_lost_time_runs_from_the_last_meeting_or_dues_not_any_contact():
    h = ContactHistory.of([date(2026, 1, 10), date(2026, 5, 1)], [date(2026, 1, 10)])   # a check-in on 05-01
    t = official_lost_time(h, date(2026, 12, 1))
    assert (t.since, t.months) == (date(2026, 1, 10), 10)
    # no 组织生活 or 党费 on record: from the last contact of any kind
    t = official_lost_time(ContactHistory.of([date(2026, 5, 1)], []), date(2026, 12, 1))
    assert (t.since, t.months) == (date(2026, 5, 1), 7)
    assert official_lost_time(ContactHistory.of([], []), date(2026, 12, 1)) is None


def test_the_cutoff_is_one_day():
    on = date(2026, 12, 1)
    c = lost_cutoff(on)
    assert lost_on(history(c - timedelta(days=1)), on) and not lost_on(history(c), on)
