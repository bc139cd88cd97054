"""lost-summary: 与党组织失去联系党员情况汇总表 (seed 002 附件6), summed over an organization subtree.

Who is counted (seed 002 附件6 填表要求):
- 排查前在册党员人数 (note 4): "所有正式组织关系在本党组织的党员人数（不仅仅指失联党员）" — every member on the
  register, 口袋党员 included, and those taken off it through their lost-contact case.
- 人数 and after (note 2): 经查找仍然无法取得联系党员 on the 填表日期 (`summary_rules.unreachable_cutoff`).
- 补充资料 (note 5): "填表日期前集中排查掌握的流出党员累计数" — members recorded as flowing out up to the
  填表日期: a flow record that began on or before it, or an 外出流动 report of their own.
Age, 党龄 (a 预备党员 has 0: 党龄1年以下) and 失去联系时间 in full years on the 填表日期. No 职业: ⑧其他;
no recorded 失去联系情形: ⑦其他, listed on the notes sheet like a missing 学历 / birth date / 转正日期. No
组织生活 or 党费 date: the lost time runs from the last contact (or entry), as the registers do; noted too.
"""

from __future__ import annotations

from bot.domain.codes import EducationBucket, LostContactReason, PartyPostBucket
from bot.domain.summary_rules import HAN, education_keys, post_keys
from bot.forms.summary.sql import (
    CANDIDATES, CANDIDATES_WITH_CASE, IS_CANDIDATE, LOST_SINCE, OFFICIAL_SINCE, OCCUPATION, REGISTERED, SUBTREE, UNREACHABLE, LATEST_CASE, Params,
    between_years, count_if,
)
from bot.forms.summary.table import Column, Identity, SummaryForm

LOST = "经查找仍然无法取得联系党员"
_Q, _S, _L = (LOST, "数量"), (LOST, "结构"), (LOST, "失去联系情况")


def _columns(p: Params) -> tuple[Column, ...]:
    probationary = "m.member_type = 'probationary'"
    full = "m.member_type <> 'probationary'"
    cols = [
        Column("排查前在册党员人数", ("排查前在册党员人数", None, None, None)),
        Column("排查前在册预备党员", ("预备党员", None, None, None)),
        Column("人数", (*_Q, "人数", None), "COUNT(*)"),
        Column("预备党员", (*_Q, "预备党员", None), count_if(probationary)),
        Column("女", (*_S, "性别", "女"), count_if("m.rec_gender = 'female'")),
        Column("少数民族", (*_S, "民族", "少数民族"),
               count_if(f"COALESCE(m.rec_ethnicity, '') NOT IN {p.in_list('han', ('', *HAN))}")),
    ]
    ages = (("35岁及以下", None, 36), ("36岁至45岁", 36, 46), ("46岁至60岁", 46, 61), ("61岁及以上", 61, None))
    cols += [Column(k, (*_S, "年龄", k), count_if(between_years("m.birth_date", lo, hi))) for k, lo, hi in ages]
    party = (("1年以下", None, 1), ("1年至5年", 1, 6), ("6年至10年", 6, 11), ("11年至20年", 11, 21),
             ("21年及以上", 21, None))
    for k, lo, hi in party:
        cond = f"{full} AND {between_years('m.rec_confirmed_on', lo, hi)}"
        if lo is None:  # a 预备党员 has 党龄 0 (Party Constitution art. 7)
            cond = f"{probationary} OR ({cond})"
        cols.append(Column("党龄" + k, (*_S, "党龄", k), count_if(cond)))
    for bucket in EducationBucket:
        cols.append(Column(bucket.zh, (*_S, "学历", bucket.zh),
                           count_if(f"m.rec_education IN {p.in_list(bucket.value, education_keys(bucket))}")))
    for bucket in PartyPostBucket:
        cols.append(Column(bucket.zh, (*_S, "党内职务", bucket.zh),
                           count_if(f"m.rec_party_post IN {p.in_list(bucket.value, post_keys(bucket))}")))
    since = f"({LOST_SINCE})"
    lost = (("6个月以上不满1年", f"{since} <= :six_months AND {since} > :y1"),
            ("1年至5年", between_years(since, 1, 6)), ("6年至10年", between_years(since, 6, 11)),
            ("11年及以上", between_years(since, 11, None)))
    cols += [Column("失联" + k, (*_L, "失去联系时间", k), count_if(cond)) for k, cond in lost]
    for reason in sorted(LostContactReason, key=lambda r: r.code):
        if reason is LostContactReason.OTHER:
            cond = f"c.reason IS NULL OR c.reason = {p.in_list('reason_other', [reason])}"
        else:
            cond = f"c.reason = {p.in_list('reason_' + reason.value, [reason])}"
        cols.append(Column(reason.zh, (*_L, "失去联系情形", reason.zh), count_if(cond)))
    return tuple(cols)


# Counted per row but not printed: the members a group could not place (listed on the notes sheet).
HIDDEN = {
    "_no_birth": "m.birth_date IS NULL",
    "_no_confirmed": "m.member_type <> 'probationary' AND m.rec_confirmed_on IS NULL",
    "_no_education": "m.rec_education IS NULL",
    "_no_lost_since": f"({LOST_SINCE}) IS NULL",
    "_no_official": f"({OFFICIAL_SINCE}) IS NULL",
    "_no_reason": "c.reason IS NULL",
}

AGE_KEYS = ("35岁及以下", "36岁至45岁", "46岁至60岁", "61岁及以上")
PARTY_KEYS = ("党龄1年以下", "党龄1年至5年", "党龄6年至10年", "党龄11年至20年", "党龄21年及以上")
EDUCATION_KEYS = tuple(b.zh for b in EducationBucket)
LOST_KEYS = ("失联6个月以上不满1年", "失联1年至5年", "失联6年至10年", "失联11年及以上")
REASON_KEYS = tuple(r.zh for r in sorted(LostContactReason, key=lambda r: r.code))

IDENTITIES = (
    Identity("人数", AGE_KEYS, ("_no_birth",)),
    Identity("人数", PARTY_KEYS, ("_no_confirmed",)),
    Identity("人数", EDUCATION_KEYS, ("_no_education",)),
    Identity("人数", LOST_KEYS, ("_no_lost_since",)),
    Identity("人数", REASON_KEYS),
)

_LABELS = {"_no_birth": "出生日期未记录", "_no_confirmed": "转正日期未记录", "_no_education": "学历未记录",
           "_no_lost_since": "失去联系时间未记录"}


def form() -> tuple[SummaryForm, Params]:
    """The form (columns with their SQL) and the IN-list parameters its SQL names."""
    p = Params()
    f = SummaryForm(name="lost-summary", title="与党组织失去联系党员情况汇总表", seed="002 附件6",
                    corner=("项目", "群体"), row_key="职业", columns=_columns(p), identities=IDENTITIES,
                    cell_label=lambda k: _LABELS.get(k, k))
    return f, p


def query(f: SummaryForm) -> str:
    """ONE statement over the subtree, grouped by (branch, 职业): the register counts over every member,
    the 人数… counts over the unreachable only (their CASE buckets never run for the other 95 %)."""
    lost_cols = [c for c in f.columns if c.sql]
    lost_sel = ", ".join(f"{c.sql} AS q{i}" for i, c in enumerate(lost_cols))
    hidden = ", ".join(f"{count_if(cond)} AS {k}" for k, cond in HIDDEN.items())
    flow = count_if("(m.is_flow = 1 AND m.rec_flow_left_on <= :at) OR m.id IN (SELECT s.member_id"
                    " FROM status_reports s WHERE s.kind = 'outflow' AND s.on_date <= :at)")
    probationary = count_if("m.member_type = 'probationary'")
    outer = ", ".join([f"lost.q{i}" for i in range(len(lost_cols))] + [f"lost.{k}" for k in HIDDEN])
    return (
        f"WITH RECURSIVE {SUBTREE}, {LATEST_CASE},"
        f" reg AS (SELECT m.branch_id AS branch_id, {OCCUPATION} AS occ, COUNT(*) AS registered,"
        f" {probationary} AS registered_prob, {flow} AS flow"
        f" FROM members m JOIN sub ON sub.id = m.branch_id WHERE {REGISTERED} GROUP BY m.branch_id, {OCCUPATION}),"
        f" {CANDIDATES}, lost AS (SELECT m.branch_id AS branch_id, {OCCUPATION} AS occ, {lost_sel}, {hidden}"
        f" FROM {CANDIDATES_WITH_CASE} WHERE {IS_CANDIDATE} AND {REGISTERED} AND {UNREACHABLE} GROUP BY m.branch_id, {OCCUPATION})"
        f" SELECT reg.branch_id, reg.occ, reg.registered, reg.registered_prob, reg.flow, {outer}"
        " FROM reg LEFT JOIN lost ON lost.branch_id = reg.branch_id AND COALESCE(lost.occ, '') = COALESCE(reg.occ, '')"
    )


def notes_query() -> str:
    """The unreachable members a column group could not place, with what is missing (the notes sheet)."""
    flags = ", ".join(f"CASE WHEN {cond} THEN 1 ELSE 0 END AS {k}" for k, cond in HIDDEN.items())
    missing = " OR ".join(f"({cond})" for cond in HIDDEN.values())
    return (f"WITH RECURSIVE {SUBTREE}, {LATEST_CASE}, {CANDIDATES}"
            f" SELECT o.name AS branch, m.name AS member, {flags} FROM {CANDIDATES_WITH_CASE}"
            f" JOIN orgs o ON o.id = m.branch_id WHERE {IS_CANDIDATE} AND {REGISTERED} AND {UNREACHABLE} AND ({missing})"
            " ORDER BY o.name, m.name, m.id")
