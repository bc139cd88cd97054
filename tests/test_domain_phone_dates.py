"""Mobile numbers as people type them, and the calendar arithmetic the rules rest on."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.domain.dates import add_months, full_months, full_years, parse_user_date, parse_year_month
from bot.domain.errors import DomainError
from bot.domain.phone import mask_mobile, normalise_mobile
from bot.i18n import translator

TODAY = date(2026, 11, 23)


# --- phone ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    "13812345678",
    "+8613812345678",
    "+86 138 1234 5678",
    "008613812345678",
    "0086-138-1234-5678",
    "8613812345678",
    "138-1234-5678",
    "(138) 1234 5678",
    "138.1234.5678",
    "１３８１２３４５６７８",          # full-width digits
    "＋８６ １３８－１２３４－５６７８",  # full-width plus, hyphens, space
    "（138）1234\u30005678",          # full-width parentheses, ideographic space
    "138—1234–5678",
    "  13812345678\n",
])
def test_prefixes_and_separators_are_dropped(raw):
    assert normalise_mobile(raw) == "13812345678"


@pytest.mark.parametrize("second", list("3456789"))
def test_every_current_prefix_13_to_19_is_accepted(second):
    number = f"1{second}912345678"
    assert normalise_mobile(number) == number


@pytest.mark.parametrize("raw", [
    "12812345678",      # 12x is no mobile range
    "10812345678",      # 10x neither
    "11812345678",
    "1381234567",       # 10 digits
    "138123456789",     # 12 digits
    "23812345678",
    "+85213812345678",  # not +86
    "0571-87654321",    # a landline
    "1381234567a",
    "",
    "电话13812345678",
    "138" + "".join(chr(0x660 + int(c)) for c in "12345678"),  # Arabic-Indic digits
])
def test_anything_else_is_rejected(raw):
    with pytest.raises(DomainError) as err:
        normalise_mobile(raw)
    assert err.value.field == "phone"
    assert err.value.localized(translator("en")).strip()
    assert err.value.localized(translator("zh_CN")).strip()


def test_mask_keeps_prefix_and_last_four():
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile("123") == "****"


# --- add_months, full_years, full_months ------------------------------------------------------------------

@pytest.mark.parametrize("start, n, expected", [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2026, 3, 31), 1, date(2026, 4, 30)),
    (date(2026, 8, 31), 6, date(2027, 2, 28)),
    (date(2026, 11, 23), 1, date(2026, 12, 23)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2024, 2, 29), 48, date(2028, 2, 29)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
    (date(2026, 1, 15), -1, date(2025, 12, 15)),
    (date(2026, 5, 5), 0, date(2026, 5, 5)),
])
def test_add_months_clamps_to_the_month_end(start, n, expected):
    assert add_months(start, n) == expected


@pytest.mark.parametrize("start, end, years", [
    (date(1990, 6, 15), date(2026, 6, 14), 35),
    (date(1990, 6, 15), date(2026, 6, 15), 36),
    (date(2000, 2, 29), date(2001, 2, 27), 0),
    (date(2000, 2, 29), date(2001, 2, 28), 1),   # 民法典 art. 202: no Feb 29, the month's last day
    (date(2000, 2, 29), date(2004, 2, 28), 3),   # in a leap year the real day counts
    (date(2000, 2, 29), date(2004, 2, 29), 4),
    (date(2000, 2, 29), date(2018, 2, 28), 18),
    (date(1985, 3, 12), date(1985, 3, 12), 0),
])
def test_full_years_including_a_feb_29_birthday(start, end, years):
    assert full_years(start, end) == years


def test_full_years_agrees_with_full_months():
    # Once disagreed: 12 full months from Feb 29 read as 0 full years.
    since, until = date(2024, 2, 29), date(2025, 2, 28)
    assert full_months(since, until) == 12
    assert full_years(since, until) == 1


@pytest.mark.parametrize("start, end, months", [
    (date(2026, 1, 31), date(2026, 2, 27), 0),
    (date(2026, 1, 31), date(2026, 2, 28), 1),
    (date(2026, 5, 23), date(2026, 11, 22), 5),
    (date(2026, 5, 23), date(2026, 11, 23), 6),
])
def test_full_months(start, end, months):
    assert full_months(start, end) == months


any_day = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@settings(max_examples=200)
@given(any_day, st.integers(0, 600))
def test_add_months_is_never_before_the_start_and_lands_in_the_right_month(d, n):
    later = add_months(d, n)
    assert later >= d
    assert (later.year * 12 + later.month) - (d.year * 12 + d.month) == n
    assert later.day == d.day or later.day < d.day and (later + timedelta(days=1)).day == 1


@settings(max_examples=200)
@given(any_day, st.integers(0, 600), st.integers(0, 600))
def test_add_months_is_monotone(d, a, b):
    if a <= b:
        assert add_months(d, a) <= add_months(d, b)


@settings(max_examples=200)
@given(any_day, st.integers(0, 80))
@example(date(2000, 2, 29), 1)   # the leap-day case that once failed: 12 months made 0 years
@example(date(2000, 2, 29), 18)
def test_full_years_after_adding_whole_years(d, k):
    assert full_years(d, add_months(d, 12 * k)) == k
    assert full_years(d, add_months(d, 12 * k) - timedelta(days=1)) == k - 1


@settings(max_examples=200)
@given(any_day, any_day)
@example(date(2024, 2, 29), date(2025, 2, 28))
def test_full_months_is_the_largest_n_not_past_the_end(start, end):
    if end < start:
        return
    n = full_months(start, end)
    assert add_months(start, n) <= end < add_months(start, n + 1)
    assert full_years(start, end) == n // 12


# --- parse_user_date ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2026-11-20", date(2026, 11, 20)),
    ("2026/11/20", date(2026, 11, 20)),
    ("2026.11.20", date(2026, 11, 20)),
    ("2026-1-5", date(2026, 1, 5)),
    ("2026年11月20日", date(2026, 11, 20)),
    ("2026年11月20", date(2026, 11, 20)),
    ("2026年 11月 20日", date(2026, 11, 20)),
    ("２０２６年１１月２０日", date(2026, 11, 20)),
    ("20261120", date(2026, 11, 20)),
    ("  2026-11-23 ", TODAY),
    ("今天", TODAY),
    ("today", TODAY),
    ("Today", TODAY),
    ("昨天", date(2026, 11, 22)),
    ("yesterday", date(2026, 11, 22)),
    ("前天", date(2026, 11, 21)),
])
def test_dates_as_people_type_them(text, expected):
    assert parse_user_date(text, TODAY) == expected


def test_relative_words_follow_today_across_a_month_start():
    assert parse_user_date("昨天", date(2026, 3, 1)) == date(2026, 2, 28)


@pytest.mark.parametrize("text", ["2026-11-24", "2027年1月1日", "20261124"])
def test_future_dates_are_rejected_unless_allowed(text):
    with pytest.raises(DomainError) as err:
        parse_user_date(text, TODAY)
    assert "future" in err.value.message
    assert parse_user_date(text, TODAY, allow_future=True) > TODAY


@pytest.mark.parametrize("text", ["", "hello", "明天见", "11/20/2026", "2026-11", "2026-11-20-1", "2026年11月",
                                  "202611", "2026-13-01", "2026-02-30", "2025-02-29", "20260230"])
def test_nonsense_is_a_domain_error_in_both_languages(text):
    with pytest.raises(DomainError) as err:
        parse_user_date(text, TODAY)
    assert err.value.field == "date"
    assert err.value.localized(translator("en")).strip()
    assert err.value.localized(translator("zh_CN")).strip()


def test_an_impossible_day_is_named_as_such():
    with pytest.raises(DomainError) as err:
        parse_user_date("2026-02-30", TODAY)
    assert "calendar" in err.value.message


@settings(max_examples=200)
@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
def test_any_past_date_round_trips_through_its_written_forms(d):
    assert parse_user_date(d.isoformat(), TODAY) == d
    assert parse_user_date(d.strftime("%Y/%m/%d"), TODAY) == d
    assert parse_user_date(f"{d.year}年{d.month}月{d.day}日", TODAY) == d
    assert parse_user_date(d.strftime("%Y%m%d"), TODAY) == d


@settings(max_examples=100)
@given(st.dates(min_value=TODAY + timedelta(days=1), max_value=date(2100, 1, 1)))
def test_any_future_date_is_refused(d):
    with pytest.raises(DomainError):
        parse_user_date(d.isoformat(), TODAY)


# --- parse_year_month --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("1985.03", date(1985, 3, 1)),
    ("1985-3", date(1985, 3, 1)),
    ("1985/03", date(1985, 3, 1)),
    ("1985年3月", date(1985, 3, 1)),
    ("1985 年 3 月", date(1985, 3, 1)),
    ("198503", date(1985, 3, 1)),
    ("19850312", date(1985, 3, 12)),
    ("1985-03-12", date(1985, 3, 12)),
    ("1985年3月12日", date(1985, 3, 12)),
    ("１９８５．０３", date(1985, 3, 1)),
])
def test_roster_year_months(text, expected):
    assert parse_year_month(text) == expected


@pytest.mark.parametrize("text", ["1985", "85.03", "1985年13月", "1985-02-30", "三月", "", "1985-03-12-01"])
def test_roster_year_month_nonsense(text):
    with pytest.raises(DomainError) as err:
        parse_year_month(text)
    assert err.value.field == "date"
    assert err.value.localized(translator("zh_CN")).strip()
