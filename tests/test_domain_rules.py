"""Contact levels (seed 004 measure 二; seed 002), the official lost-contact time, age, 党龄, and the
汇总表 buckets (seed 002 附件6)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.domain.codes import ContactLevel, MemberType
from bot.domain.dates import add_months
from bot.domain.rules import (
    AGE_BUCKETS, LOST_TIME_BUCKETS, PARTY_AGE_BUCKETS, LostTime, Thresholds, age, age_bucket, contact_level,
    level_crossing_date, lost_contact_time, lost_time_bucket, party_age, party_age_bucket,
)
from bot.i18n import translator

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
IN, OUT, LOST = ContactLevel.IN_CONTACT, ContactLevel.OUT_OF_CONTROL, ContactLevel.LOST


# --- contact level: 失控 over one month, 失联 over six months ------------------------------------------------

@pytest.mark.parametrize("at, level", [
    (date(2026, 5, 23), IN),
    (date(2026, 6, 23), IN),     # exactly one month: not yet "over one month"
    (date(2026, 6, 24), OUT),    # 失控
    (date(2026, 11, 23), OUT),   # exactly six months: not yet over
    (date(2026, 11, 24), LOST),  # 失联
    (date(2030, 1, 1), LOST),
    (date(2026, 5, 1), IN),      # a contact dated after "at" (recorded later): in contact
])
def test_contact_level_boundaries(at, level):
    # 王XX last paid his dues on 2026-05-23.
    assert contact_level(date(2026, 5, 23), at) is level


def test_contact_level_from_a_month_end():
    # Jan 31 + one month is Feb 28: still in contact that day, 失控 from Mar 1.
    last = date(2026, 1, 31)
    assert contact_level(last, date(2026, 2, 28)) is IN
    assert contact_level(last, date(2026, 3, 1)) is OUT
    assert contact_level(last, date(2026, 7, 31)) is OUT
    assert contact_level(last, date(2026, 8, 1)) is LOST


def test_contact_level_with_custom_thresholds():
    t = Thresholds(out_of_control_months=2, lost_months=12)
    last = date(2026, 1, 15)
    assert contact_level(last, date(2026, 3, 15), t) is IN
    assert contact_level(last, date(2026, 3, 16), t) is OUT
    assert contact_level(last, date(2026, 7, 16), t) is OUT  # would be 失联 under the defaults
    assert contact_level(last, date(2027, 1, 15), t) is OUT
    assert contact_level(last, date(2027, 1, 16), t) is LOST


def test_no_contact_on_record_is_lost():
    assert contact_level(None, date(2026, 11, 23)) is LOST


def test_level_crossing_dates():
    last = date(2026, 5, 23)
    assert level_crossing_date(last, OUT) == date(2026, 6, 24)
    assert level_crossing_date(last, LOST) == date(2026, 11, 24)
    assert level_crossing_date(last, IN) is None
    assert level_crossing_date(date(2026, 1, 31), OUT) == date(2026, 3, 1)


contact_days = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=200)
@given(contact_days, st.sampled_from([OUT, LOST]))
def test_the_crossing_date_is_the_first_day_of_the_level(last, level):
    crossing = level_crossing_date(last, level)
    assert contact_level(last, crossing).code >= level.code
    assert contact_level(last, crossing - timedelta(days=1)).code < level.code


@settings(max_examples=200)
@given(contact_days, st.integers(0, 4000), st.integers(0, 4000))
def test_the_level_never_improves_as_time_passes(last, a, b):
    early, late = sorted((last + timedelta(days=a), last + timedelta(days=b)))
    assert contact_level(last, early).code <= contact_level(last, late).code


# --- 与党组织失去联系时间: last 组织生活 or 党费 → end of the search -------------------------------------------

def test_lost_time_runs_from_the_later_of_meeting_and_dues():
    lost = lost_contact_time(date(2019, 3, 1), date(2020, 6, 15), date(2026, 7, 31))
    assert lost == LostTime(date(2020, 6, 15), date(2026, 7, 31))
    assert lost.months == 73 and lost.years == 6
    assert lost_contact_time(date(2021, 1, 1), date(2020, 6, 15), date(2026, 7, 31)).since == date(2021, 1, 1)


def test_lost_time_with_one_date_or_none():
    assert lost_contact_time(None, date(2020, 6, 15), date(2026, 7, 31)).since == date(2020, 6, 15)
    assert lost_contact_time(date(2019, 3, 1), None, date(2026, 7, 31)).since == date(2019, 3, 1)
    assert lost_contact_time(None, None, date(2026, 7, 31)) is None


@pytest.mark.parametrize("since, until, en", [
    (date(2020, 1, 1), date(2025, 7, 1), "5 years 6 months"),
    (date(2020, 1, 1), date(2025, 1, 1), "5 years"),
    (date(2026, 1, 1), date(2026, 8, 15), "7 months"),
])
def test_lost_time_describes_itself(since, until, en):
    lost = LostTime(since, until)
    assert lost.describe(translator("en")) == en
    zh = lost.describe(translator("zh_CN"))
    assert zh.strip() and str(lost.months % 12 or lost.years) in zh


# --- age and 党龄 on the 填表日期 ---------------------------------------------------------------------------

def test_age_in_full_years():
    assert age(date(1990, 11, 24), date(2026, 11, 23)) == 35
    assert age(date(1990, 11, 23), date(2026, 11, 23)) == 36
    assert age(date(2000, 2, 29), date(2025, 2, 28)) == 25


def test_party_age_counts_from_confirmation():
    # Joined 2005-07-01, confirmed 2006-07-01: on 2026-06-30 the 党龄 is 19, from 2026-07-01 it is 20.
    assert party_age(date(2006, 7, 1), MemberType.FULL, date(2026, 6, 30)) == 19
    assert party_age(date(2006, 7, 1), MemberType.FULL, date(2026, 7, 1)) == 20
    assert party_age(date(2026, 7, 1), MemberType.FULL, date(2026, 11, 23)) == 0


def test_a_probationary_member_has_no_party_age():
    assert party_age(None, MemberType.PROBATIONARY, date(2026, 11, 23)) is None
    assert party_age(date(2026, 1, 1), MemberType.PROBATIONARY, date(2026, 11, 23)) is None
    assert party_age(None, MemberType.FULL, date(2026, 11, 23)) is None   # unknown, not zero
    assert party_age_bucket(None) is None


# --- the buckets, against the seed's 汇总表 columns -----------------------------------------------------------

# What each bucket key means, in the words of the column headings of seed 002 附件6.
AGE_COLUMNS = dict(zip(AGE_BUCKETS, ["35岁及以下", "36岁至45岁", "46岁至60岁", "61岁及以上"]))
PARTY_AGE_COLUMNS = dict(zip(PARTY_AGE_BUCKETS, ["1年以下", "1年至5年", "6年至10年", "11年至20年", "21年及以上"]))
LOST_COLUMNS = dict(zip(LOST_TIME_BUCKETS, ["6个月以上不满1年", "1年至5年", "6年至10年", "11年及以上"]))


def _summary_table_text() -> str:
    text = (SEEDS / "002_fdc9ee110115de55.txt").read_text(encoding="utf-8")
    table = text[text.index("与党组织失去联系党员情况汇总表\n填报单位"):]
    return re.sub(r"\s+", "", table[:table.index("补充资料")])  # the headings are printed one character a line


def test_bucket_columns_are_the_seed_columns_in_order():
    table = _summary_table_text()
    for columns in (AGE_COLUMNS, PARTY_AGE_COLUMNS, LOST_COLUMNS):
        assert len(columns) == len(set(columns.values()))
        assert "".join(columns.values()) in table, columns


@pytest.mark.parametrize("years, bucket", [
    (18, "≤35"), (35, "≤35"), (36, "36–45"), (45, "36–45"), (46, "46–60"), (60, "46–60"), (61, "≥61"), (99, "≥61"),
])
def test_age_bucket_boundaries(years, bucket):
    assert age_bucket(years) == bucket


def test_age_bucket_of_a_day_before_the_36th_birthday():
    assert age_bucket(age(date(1990, 11, 24), date(2026, 11, 23))) == "≤35"
    assert age_bucket(age(date(1990, 11, 23), date(2026, 11, 23))) == "36–45"


@pytest.mark.parametrize("years, bucket", [
    (0, "<1"), (1, "1–5"), (5, "1–5"), (6, "6–10"), (10, "6–10"), (11, "11–20"), (20, "11–20"), (21, "≥21"),
    (60, "≥21"),
])
def test_party_age_bucket_boundaries(years, bucket):
    assert party_age_bucket(years) == bucket


def test_party_age_of_five_years_and_a_half_is_in_1_to_5():
    years = party_age(date(2020, 1, 1), MemberType.FULL, date(2025, 7, 1))
    assert years == 5 and party_age_bucket(years) == "1–5"


def lost(months: int, extra_days: int = 0, since: date = date(2010, 1, 15)) -> LostTime:
    return LostTime(since, add_months(since, months) + timedelta(days=extra_days))


@pytest.mark.parametrize("months, days, bucket", [
    (0, 0, None),
    (5, 29, None),           # 2010-07-14: one day short of six full months
    (6, 0, "6m–1y"),         # 6个月以上: six full months count in
    (11, 30, "6m–1y"),
    (12, 0, "1–5y"),
    (66, 0, "1–5y"),         # 5 years 6 months: the gap, decided by full years (5)
    (71, 30, "1–5y"),        # 5 years 11 months 30 days
    (72, 0, "6–10y"),
    (131, 0, "6–10y"),       # 10 years 11 months
    (132, 0, "≥11y"),
    (400, 0, "≥11y"),
])
def test_lost_time_bucket_boundaries(months, days, bucket):
    assert lost_time_bucket(lost(months, days)) == bucket


def test_lost_time_bucket_from_a_feb_29():
    # Since 2024-02-29: twelve full months on 2025-02-28, and with them one full year.
    assert lost_time_bucket(LostTime(date(2024, 2, 29), date(2025, 2, 27))) == "6m–1y"
    assert lost_time_bucket(LostTime(date(2024, 2, 29), date(2025, 2, 28))) == "1–5y"


@settings(max_examples=200)
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2026, 11, 23)), st.integers(0, 12000))
@example(date(2024, 2, 29), 365)
def test_lost_time_bucket_follows_full_months_and_years(since, days):
    span = LostTime(since, since + timedelta(days=days))
    bucket = lost_time_bucket(span)
    assert span.years == span.months // 12
    if span.months < 6:
        assert bucket is None
    else:
        assert bucket == LOST_TIME_BUCKETS[0 if span.years < 1 else 1 if span.years <= 5 else 2 if span.years <= 10
                                           else 3]


def test_the_docstrings_state_how_the_gap_is_decided():
    assert "full years" in lost_time_bucket.__doc__ and "5 years 6 months" in lost_time_bucket.__doc__
    assert "full years" in party_age_bucket.__doc__


@settings(max_examples=200)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2026, 11, 23)),
       st.one_of(st.none(), st.integers(0, 400)), st.integers(0, 4000))
def test_a_member_flagged_lost_always_has_a_lost_time_bucket(meeting, dues_after, days):
    """失联 (over six months since any contact) implies six full months since the last 组织生活/党费, since
    those are contacts too: the 汇总表 never meets a 失联 member without a column."""
    dues = None if dues_after is None else meeting + timedelta(days=dues_after)
    last_contact = max(d for d in (meeting, dues) if d)
    at = last_contact + timedelta(days=days)
    if contact_level(last_contact, at) is LOST:
        assert lost_time_bucket(lost_contact_time(meeting, dues, at)) is not None
