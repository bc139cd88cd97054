"""The official code tables, checked against the seed text itself (not against a copy of it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.domain import codes
from bot.domain.codes import (
    CodedEnum, DispositionGroup, Education, EducationBucket, FlowEmployment, FlowIdentity, Gender, LostContactReason,
    MaritalStatus, MemberType, Occupation, OrgCategory, OrgLevel, Outcome, PartyPost, PartyPostBucket, SpecialStatus,
    UnitCategory,
)
from bot.domain.errors import DomainError
from bot.i18n import translator

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def seed(prefix: str) -> str:
    """A seed's text with all whitespace removed: the forms print headings one character a line."""
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return re.sub(r"\s+", "", path.read_text(encoding="utf-8"))


ALL_SEEDS = {p: seed(p) for p in ("000", "001", "002", "003", "004")}
EVERY_SEED = "".join(ALL_SEEDS.values())

NOTE = "（具体原因在备注栏中注明）"
TABLES = {"失去联系情形": LostContactReason, "失联原因": LostContactReason, "职业": Occupation,
          "党组织类别": OrgCategory}
# Seed 004 prints 职业 ④ as "党机关事业单位离退休人员" (a stray 党; seeds 000–002 read 机关事业单位离退休人员).
KNOWN_MISPRINTS = {("004", "职业", 4): "党机关事业单位离退休人员"}


def coded_lists() -> list[tuple[str, str, list[tuple[int, str]]]]:
    """Every "X：按以下代码填写。①…；②…。" list in the seeds, as (seed, X, [(number, label)])."""
    found = []
    for name, text in ALL_SEEDS.items():
        for field, items in re.findall(r"(失去联系情形|失联原因|职业|党组织类别)：按+以下代码填写。(.*?)。", text):
            parsed = [(codes.CIRCLED.index(mark), label.replace(NOTE, ""))
                      for mark, label in re.findall(r"([①-⑨])([^；]+)", items)]
            found.append((name, field, parsed))
    return found


def test_the_seeds_hold_the_code_lists_this_test_reads():
    lists = coded_lists()
    fields = {(name, field) for name, field, _ in lists}
    assert {("000", "失联原因"), ("000", "失去联系情形"), ("000", "职业"), ("000", "党组织类别"),
            ("002", "失去联系情形"), ("002", "职业"), ("002", "党组织类别"), ("004", "职业")} <= fields
    assert len(lists) >= 15


@pytest.mark.parametrize("name, field, items", coded_lists(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_code_list_in_the_seeds_matches_its_table(name, field, items):
    table = TABLES[field]
    assert [m.code for m in table] == list(range(1, len(table) + 1))
    expected = [(m.code, KNOWN_MISPRINTS.get((name, field, m.code), m.zh)) for m in table]
    assert items == expected


@pytest.mark.parametrize("table, size", [(LostContactReason, 7), (Occupation, 8), (OrgCategory, 9)])
def test_the_numbered_tables_are_complete(table, size):
    assert len(table) == size
    assert [m.mark for m in table] == list("①②③④⑤⑥⑦⑧⑨"[:size])


# Tables whose every label is printed in some seed (tick boxes, columns, notes).
LITERAL_TABLES = [MemberType, UnitCategory, SpecialStatus, FlowEmployment, FlowIdentity, EducationBucket,
                  PartyPostBucket, PartyPost, MaritalStatus, LostContactReason, Occupation, OrgCategory, OrgLevel]


@pytest.mark.parametrize("table", LITERAL_TABLES, ids=lambda t: t.__name__)
def test_every_label_appears_in_the_seeds(table):
    missing = [m.zh for m in table if m.zh not in EVERY_SEED]
    assert not missing


def test_the_registration_form_tick_boxes_in_order():
    form = ALL_SEEDS["000"]
    assert "".join("□" + m.zh for m in UnitCategory) in form
    assert "".join("□" + m.zh for m in MaritalStatus) in form
    assert "".join("□" + m.zh for m in SpecialStatus) in form
    assert "".join("□" + m.zh for m in MemberType) in form


def test_the_flow_member_classes_of_seed_002():
    note = ALL_SEEDS["002"]
    assert "从业状况分为" + "、".join(m.zh for m in FlowEmployment) + "三类" in note
    assert "党员身份分为" + "、".join(m.zh for m in FlowIdentity) + "四类" in note


def test_party_posts_of_note_13():
    assert "担任" + "、".join(m.zh for m in PartyPost) + "等" in ALL_SEEDS["000"]


# --- the 汇总表 (seed 002 附件6) columns and rows -----------------------------------------------------------------

def test_summary_table_columns_and_rows():
    table = ALL_SEEDS["002"]
    assert "".join(m.zh for m in EducationBucket) in table             # 学历 columns
    assert "".join(m.zh for m in PartyPostBucket) in table             # 党内职务 columns
    assert "".join(m.zh for m in LostContactReason) in table           # 失去联系情形 columns
    assert "".join(m.zh for m in Occupation) + "合计" in table          # the rows, by 职业


# --- outcomes: 附件7 of seed 002 and 附件5 of seed 004 ----------------------------------------------------------

ATTACHMENT_7 = [  # the columns, left to right
    Outcome.BROUGHT_UNDER_MANAGEMENT, Outcome.MEMBERSHIP_NOT_RECOGNISED, Outcome.PROBATION_CANCELLED,
    Outcome.RELATIONSHIP_RETAINED, Outcome.MEMBERSHIP_SUSPENDED, Outcome.REMOVED_WITHDREW,
    Outcome.CORRECTION_DEADLINE, Outcome.PERSUADED_TO_LEAVE, Outcome.REMOVED_LAPSED,
    Outcome.WARNING, Outcome.SERIOUS_WARNING, Outcome.POST_REVOKED, Outcome.PROBATION_WITHIN_PARTY, Outcome.EXPELLED,
]


def test_every_outcome_of_attachment_7_in_column_order():
    table = ALL_SEEDS["002"]
    start = table.index("与党组织失去联系党员管理及处置情况汇总表填报单位")
    assert "管理情况处理情况组织处理纪律处分" + "".join(o.zh for o in ATTACHMENT_7) in table[start:]


def test_attachment_7_column_groups():
    groups = [o.group for o in ATTACHMENT_7]
    assert groups == [DispositionGroup.MANAGEMENT] * 6 + [DispositionGroup.ORGANIZATIONAL] * 3 \
        + [DispositionGroup.DISCIPLINARY] * 5
    assert {o.group for o in (Outcome.SUSPENDED_UNREACHABLE, Outcome.SUSPENDED_SETTLED_ABROAD)} \
        == {DispositionGroup.MANAGEMENT}
    assert {o.group for o in (Outcome.DECEASED, Outcome.UNDER_INVESTIGATION, Outcome.STILL_SEARCHING)} \
        == {DispositionGroup.STATUS}


ATTACHMENT_5 = {  # column heading (seed 004) → outcome
    "纳入组织管理人数": Outcome.BROUGHT_UNDER_MANAGEMENT,
    "保留组织关系人数": Outcome.RELATIONSHIP_RETAINED,
    "停止党籍人数": Outcome.MEMBERSHIP_SUSPENDED,
    "限期改正人数": Outcome.CORRECTION_DEADLINE,
    "劝退或劝而不退除名人数": Outcome.PERSUADED_TO_LEAVE,
    "自行脱党除名人数": Outcome.REMOVED_LAPSED,
    "退党除名人数": Outcome.REMOVED_WITHDREW,
    "不予承认党员资格人数": Outcome.MEMBERSHIP_NOT_RECOGNISED,
    "取消预备党员资格人数": Outcome.PROBATION_CANCELLED,
    "开除党籍人数": Outcome.EXPELLED,
    "目前尚在调查核实人数": Outcome.UNDER_INVESTIGATION,
    "确定无法取得联系而停止党籍人数": Outcome.SUSPENDED_UNREACHABLE,
    "因出国（境）定居而停止党籍人数": Outcome.SUSPENDED_SETTLED_ABROAD,
    "尚在查找联系人数": Outcome.STILL_SEARCHING,
    "确认已死亡的人数": Outcome.DECEASED,
}


def test_every_column_of_attachment_5_has_its_outcome():
    table = ALL_SEEDS["004"]
    for heading, outcome in ATTACHMENT_5.items():
        assert heading in table
        assert outcome.zh in heading


def test_every_outcome_is_in_one_of_the_two_tables():
    assert set(ATTACHMENT_7) | set(ATTACHMENT_5.values()) == set(Outcome)


def test_leaving_the_party_matches_the_chu_dang_columns_of_attachment_5():
    # G = H+I+J+K+L (给予组织处置出党) plus 开除党籍 (N, V); 停止党籍 keeps the person a member on paper.
    assert {o for o in Outcome if o.leaves_party} == {
        Outcome.PERSUADED_TO_LEAVE, Outcome.REMOVED_LAPSED, Outcome.REMOVED_WITHDREW,
        Outcome.MEMBERSHIP_NOT_RECOGNISED, Outcome.PROBATION_CANCELLED, Outcome.EXPELLED}
    assert "G＝H+I+J+K+L" in ALL_SEEDS["004"]


# --- parsing and buckets ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["graduate_unknown", 3, "3", " 3 ", "③", "毕业后去向不明",
                                  "Whereabouts unknown after graduation", "whereabouts UNKNOWN after graduation",
                                  LostContactReason.GRADUATE_UNKNOWN])
def test_parse_by_key_number_circled_label(text):
    assert LostContactReason.parse(text) is LostContactReason.GRADUATE_UNKNOWN


def test_parse_nine_categories_and_eight_occupations():
    assert OrgCategory.parse("⑨") is OrgCategory.OTHER and OrgCategory.parse("7") is OrgCategory.COMMUNITY
    assert Occupation.parse("⑧") is Occupation.OTHER
    assert Occupation.parse("街道社区人户分离人员") is Occupation.SEPARATED_HOUSEHOLD
    assert OrgCategory.by_code(4) is OrgCategory.GOVERNMENT
    with pytest.raises(KeyError):
        OrgCategory.by_code(10)


@pytest.mark.parametrize("table, text", [(LostContactReason, "8"), (LostContactReason, "⑧"), (Occupation, "⑨"),
                                         (OrgCategory, "0"), (OrgCategory, "国企"), (Gender, ""),
                                         (LostContactReason, "外出")])
def test_unknown_values_are_domain_errors(table, text):
    with pytest.raises(DomainError) as err:
        table.parse(text)
    assert err.value.localized(translator("en")).strip()
    assert err.value.localized(translator("zh_CN")).strip()


@pytest.mark.parametrize("text, level", [
    ("小学", Education.PRIMARY), ("文盲", Education.PRIMARY), ("初中", Education.JUNIOR),
    ("初中及以下", Education.JUNIOR), ("高中", Education.SENIOR), ("中专", Education.VOCATIONAL),
    ("中技", Education.VOCATIONAL), ("技校", Education.VOCATIONAL), ("职高", Education.VOCATIONAL),
    ("大专", Education.COLLEGE), ("大学专科", Education.COLLEGE), ("本科", Education.BACHELOR),
    ("大学本科", Education.BACHELOR), ("硕士", Education.POSTGRADUATE), ("博士研究生", Education.POSTGRADUATE),
    ("研究生", Education.POSTGRADUATE), ("bachelor", Education.BACHELOR), ("6", Education.BACHELOR),
])
def test_education_parse(text, level):
    assert Education.parse(text) is level


def test_education_buckets_of_the_summary_table():
    assert {e: e.bucket for e in Education} == {
        Education.PRIMARY: EducationBucket.JUNIOR_OR_BELOW,
        Education.JUNIOR: EducationBucket.JUNIOR_OR_BELOW,
        Education.SENIOR: EducationBucket.SENIOR_OR_VOCATIONAL,
        Education.VOCATIONAL: EducationBucket.SENIOR_OR_VOCATIONAL,
        Education.COLLEGE: EducationBucket.COLLEGE_OR_ABOVE,
        Education.BACHELOR: EducationBucket.COLLEGE_OR_ABOVE,
        Education.POSTGRADUATE: EducationBucket.COLLEGE_OR_ABOVE,
    }
    assert [b.zh for b in EducationBucket] == ["初中及以下", "高中、中专", "大学专科及以上"]


def test_party_post_buckets():
    assert PartyPost.SECRETARY.bucket is PartyPostBucket.SECRETARY
    for post in (PartyPost.DEPUTY_SECRETARY, PartyPost.STANDING, PartyPost.COMMITTEE, PartyPost.ALTERNATE):
        assert post.bucket is PartyPostBucket.DEPUTY_OR_COMMITTEE
    assert [b.zh for b in PartyPostBucket] == ["书记", "副书记、委员"]


# --- every table: unique keys, codes and labels; labels display in both languages ----------------------------

ALL_TABLES = [obj for obj in vars(codes).values()
              if isinstance(obj, type) and issubclass(obj, CodedEnum) and obj is not CodedEnum]


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.__name__)
def test_every_table_is_unambiguous_and_displayable(table):
    members = list(table)
    assert members
    for attr in ("value", "code", "zh", "en"):
        values = [getattr(m, attr) for m in members]
        assert len(values) == len(set(values)), (table.__name__, attr)
    assert all(m.value.isascii() for m in members)
    for m in members:
        assert table.parse(m.value) is m and table.parse(m.zh) is m and table.parse(str(m.code)) is m
        assert table(m.value) is m and str(m) == m.value
        assert m.label(translator("en")) == m.en
        assert m.label(translator("zh_CN")).strip()
