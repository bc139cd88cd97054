"""The bucket edges as dates, the header merging, and every identity refused with its cells named."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from bot.domain.dates import full_months
from bot.domain.rules import ContactLevel, age, age_bucket, contact_level, party_age_bucket
from bot.domain.summary_checks import SummaryIdentityError, check_identity
from bot.domain.summary_rules import BucketEdges, earliest_not_beyond, latest_start, level_bounds, unreachable_cutoff

from bot.forms.model import HeaderCell, col, header_cells
from bot.i18n import translator
from summary_world import AS_OF, PEOPLE, Person, build_world, table_of

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))


@given(start=days, at=days, months=st.sampled_from([1, 6, 12, 432, 552, 732]))
def test_latest_start_is_full_months(start, at, months):
    """start <= latest_start(at, n)  ⇔  full_months(start, at) >= n, month ends and Feb 29 included."""
    assert (start <= latest_start(at, months)) == (full_months(start, at) >= months)


@given(last=days, at=days)
def test_level_bounds_agree_with_contact_level(last, at):
    lost_before, ooc_before = level_bounds(at)
    level = contact_level(last, at)
    assert (level is ContactLevel.LOST) == (last < lost_before)
    assert (level is ContactLevel.OUT_OF_CONTROL) == (lost_before <= last < ooc_before)


def test_edges_by_hand():
    # 2026-02-28: 2025-08-31 is six full months back (add_months clamps 08-31 + 6 to 02-28).
    # The registers' rule: 失联 when the baseline is before the cutoff (exactly six months is not yet).
    assert unreachable_cutoff(date(2026, 11, 23)) == date(2026, 5, 23)
    assert unreachable_cutoff(date(2026, 8, 31)) == date(2026, 3, 1)       # 02-28 + 6 months = 08-28 < 08-31
    assert BucketEdges.on(date(2026, 2, 28)).six_months == date(2025, 8, 31)
    assert earliest_not_beyond(date(2026, 8, 31), 6) == date(2026, 3, 1)
    e = BucketEdges.on(date(2026, 11, 23))
    assert e.years_back[36] == date(1990, 11, 23) and e.years_back[1] == date(2025, 11, 23)
    # Feb 29 birthday: 36 on 2026-02-28 (full_years counts it on Feb 28 in common years).
    assert BucketEdges.on(date(2026, 2, 28)).years_back[36] == date(1990, 2, 28)
    assert age_bucket(age(date(1990, 2, 28), date(2026, 2, 28))) == "36–45"
    assert party_age_bucket(None) is None


def test_header_cells_merge_like_the_seed():
    """The engine's header tree with None ("the label above reaches down") and "" (an empty cell)."""
    cols = [col("排查前在册党员人数"), col("失联", "数量", "人数"), col("失联", "数量", "预备党员"),
            col("失联", "结构", "女"), col("管理情况", None, "纳入组织管理"), col("管理情况", None, "停止党籍"),
            col("X", "", "a"), col("X", "", "b")]
    cells = header_cells(cols)
    assert HeaderCell("排查前在册党员人数", 0, 0, 2, 0) in cells        # a lone leaf reaches the bottom row
    assert HeaderCell("失联", 0, 1, 0, 3) in cells                       # spans its three columns
    assert HeaderCell("数量", 1, 1, 1, 2) in cells and HeaderCell("人数", 2, 1, 2, 1) in cells
    assert HeaderCell("管理情况", 0, 4, 1, 5) in cells                   # two rows down, two columns across
    assert HeaderCell("纳入组织管理", 2, 4, 2, 4) in cells
    assert HeaderCell("", 1, 6, 1, 6) in cells and HeaderCell("", 1, 7, 1, 7) in cells   # empty cells never merge
    assert not any(c.text is None for c in cells)


def test_check_identity_names_the_cells():
    check_identity("合计", "A", ("B", "O", "X"), {"A": 3, "B": 1, "O": 1, "X": 1})
    with pytest.raises(SummaryIdentityError) as exc:
        check_identity("合计", "A", ("B", "O", "X"), {"A": 3, "B": 1, "O": 2, "X": 1})
    assert str(exc.value) == "Row “合计”: A = 3, but B+O+X = 4"
    zh = exc.value.localized(translator("zh_CN"))
    assert "A" in zh and "B+O+X" in zh and "3" in zh and "4" in zh


@pytest.fixture
async def world(db):
    return await build_world(db)


STATS_IDENTITIES = [("X", "A = 16, but B+O+X = 17"), ("N", "B = 6, but C+G+M+N = 7"),
                    ("L", "G = 1, but H+I+J+K+L = 2"), ("W", "O = 9, but P+S+V+W = 10"),
                    ("R", "P = 2, but Q+R = 3"), ("U", "S = 2, but T+U = 3")]


@pytest.mark.parametrize("cell,message", STATS_IDENTITIES)
async def test_each_stats_identity_violated_is_refused(db, world, cell, message):
    table = table_of(db, "disposition-stats", world.committee, AS_OF)
    table.total[cell] += 1            # the node row is the 合计 row: one cell off …
    name, first = table.by_branch[0]
    first[cell] += 1                   # … and the branch rows still add up to it: only the identity breaks
    with pytest.raises(SummaryIdentityError) as exc:
        table.check()
    assert message in str(exc.value)


@pytest.mark.parametrize("cell,group", [("35岁及以下", "年龄"), ("党龄6年至10年", "党龄"), ("高中、中专", "学历"),
                                        ("失联11年及以上", "失去联系时间"), ("居住地改变", "失去联系情形")])
async def test_each_lost_summary_group_must_add_up_to_the_count(db, world, cell, group):
    table = table_of(db, "lost-summary", world.committee, AS_OF)
    rows = dict(table.rows)
    rows["高校毕业生"][cell] += 1      # M9's row: 人数 1
    table.total[cell] += 1
    table.by_branch = []
    with pytest.raises(SummaryIdentityError) as exc:
        table.check()
    assert "Row “高校毕业生”: 人数 = 1, but" in str(exc.value) and cell in str(exc.value)


async def test_total_row_must_be_the_sum_of_the_rows(db, world):
    table = table_of(db, "disposition-summary", world.committee, AS_OF)
    table.total["警告"] += 1
    with pytest.raises(SummaryIdentityError) as exc:
        table.check()
    assert str(exc.value) == "Column “警告”: 合计 = 1, but the rows add up to 0"


async def test_data_that_does_not_fit_a_column_is_refused_not_miscounted(db):
    """An unreachable member recorded as 保留组织关系 (the seed has no such column on the O side): O ≠ P+S+V+W."""
    people = copy.deepcopy(PEOPLE)
    m8 = next(p for p in people if p.key == "M8")
    m8.case = dict(reason="abroad", state="decided", outcome="relationship_retained", decided_on="2026-11-01")
    w = await build_world(db, people)
    with pytest.raises(SummaryIdentityError) as exc:
        table_of(db, "disposition-stats", w.committee, AS_OF)
    assert "O = 9, but P+S+V+W = 8" in str(exc.value)


async def test_lost_time_shorter_than_six_months_is_refused(db):
    """A member out of contact for six months whose last 组织生活 is recent (inconsistent data): the lost-time
    columns cannot place them, and 附件6 is refused instead of printing a group that does not add up."""
    people = copy.deepcopy(PEOPLE) + [Person("Z1", "A", "钱一", date(1980, 1, 1), "other", confirmed=date(2005, 1, 1),
                                             since=date(2026, 10, 1), last_contact=date(2026, 1, 1))]
    w = await build_world(db, people)
    with pytest.raises(SummaryIdentityError) as exc:
        table_of(db, "lost-summary", w.committee, AS_OF)
    # Row ⑧其他 holds M3 and Z1: 2 lost, but only M3 has a lost-time column.
    assert str(exc.value).startswith("Row “其他”: 人数 = 2, but 失联6个月以上不满1年+失联1年至5年+")
    assert str(exc.value).endswith("+失去联系时间未记录 = 1")


def test_unreachable_cutoff_is_the_scans_boundary_every_day():
    """Whole 2026 day by day: a baseline before the cutoff is exactly what contact_level calls LOST."""
    d = date(2026, 1, 1)
    while d.year == 2026:
        c = unreachable_cutoff(d)
        assert contact_level(c - timedelta(days=1), d) is ContactLevel.LOST
        assert contact_level(c, d) is not ContactLevel.LOST
        assert full_months(c - timedelta(days=1), d) >= 6          # so its lost time is in a 6个月以上 column
        d += timedelta(days=1)
