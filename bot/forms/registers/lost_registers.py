"""The lost-contact registers: 与党组织失去联系党员登记表 (seed 002 附件3), 经查找取得联系党员登记表 (seeds
000/002; the 001 variant `detailed` adds 现工作（学习）单位 and 现居住地) and 经查找仍然无法取得联系党员登记表
(seeds 000/002).

Who is on each (the rules: `bot.domain.registers`, one boundary day with the scan):
- unreachable — 失联 on the 填表日期 and not reached since, whatever stage the case has reached; one with
  no search logged yet is listed too, 备注 saying so. Exactly the members 附件6 counts.
- found — "排查前与党组织失去联系6个月以上，经联系查找后重新与党组织取得联系": a contact in the period
  (from `since`, by default 1 January of the 填表日期's year, the campaign year) that ended a 失联 gap, and
  not 失联 again on the 填表日期.
- lost — seed 002 附件3 "失去联系党员是指与党组织失去联系6个月以上的党员": read, as 附件7 note 2 reads
  its own rows ("包括经查找与党组织取得联系党员和经查找仍然无法与党组织取得联系党员"), as the period's
  whole 失联 list: found ∪ unreachable, 备注 telling which.

年龄 and 党龄 in full years at the 填表日期 (001 note 3); a 预备党员's 党龄 is 0 (Party Constitution art. 7,
as 附件6 counts it). 与党组织失去联系时间 from the last 组织生活 or 党费 to the end of the search: the day
contact came back (found), the 填表日期 (unreachable).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Iterator

from bot.domain.codes import LostContactReason, MemberType, OrgCategory, Occupation
from bot.domain.registers import Regain, official_lost_time, regain_between, unreachable_on
from bot.domain.rules import LostTime, age, party_age
from bot.forms import queries
from bot.forms.cells import code_mark, zh_date
from bot.forms.model import FormDocument, Row, SheetData, Table, col
from bot.forms.registers.common import insert_branch, join_remarks, meta_for, with_branch
from bot.forms.registers.lost_facts import STATE_ZH, LostFacts, lost_facts
from bot.forms.registry import REGISTER, FormRequest, FormSpec, Scope, register

T_LOST = "与党组织失去联系党员登记表"
T_FOUND = "经查找取得联系党员登记表"
T_UNREACHABLE = "经查找仍然无法取得联系党员登记表"

CODE_TABLES = (("职业代码", Occupation), ("失去联系情形代码", LostContactReason), ("党组织类别代码", OrgCategory))

N_OCCUPATION = ("职业：按以下代码填写。①国有企业解除劳动关系人员；②非公有制企业离职人员；③农村外出务工经商人员；"
                "④机关事业单位离退休人员；⑤高校毕业生；⑥街道社区人户分离人员；⑦组织关系在人才中心人员；⑧其他。")
N_TIME = "与党组织失去联系时间:指党员最近一次参加党组织生活或交纳党费日期至联系查找结束时的时间。"
N_REASON = ("失去联系情形:按以下代码填写。①外出务工经商；②单位改制或破产；③毕业后去向不明；④工作单位改变；⑤出国（境）；"
            "⑥居住地改变；⑦其他（具体原因在备注栏中注明）。")
N_CATEGORY = ("党组织类别:按以下代码填写。①国有企业；②非公有制企业；③农村；④党政机关；⑤学校；⑥其他事业单位；⑦街道社区；"
              "⑧社会组织；⑨其他。")
N_AGES = "年龄、党龄：计算截止时间以填表日期为准。"

NOTES_FOUND = ("1.本表由党支部填写，报基层党委。",
               "2.经查找取得联系党员是指党员组织关系排查前与党组织失去联系6个月以上，经联系查找后重新与党组织取得联系的党员。",
               "3." + N_AGES, "4." + N_OCCUPATION, "5." + N_TIME, "6." + N_REASON, "7." + N_CATEGORY)
NOTES_UNREACHABLE = ("1.本表由党支部填写，逐级汇总后，报党委组织部。",
                     "2.经查找仍然无法取得联系党员是指党员组织关系排查工作结束时，与党组织失去联系6个月以上，"
                     "经多方努力确实无法取得联系的党员。",
                     "3." + N_AGES, "4." + N_OCCUPATION, "5." + N_TIME, "6." + N_REASON, "7." + N_CATEGORY)
NOTES_LOST = ("1. 本表由党支部填写，报基层党委。", "2. 失去联系党员是指与党组织失去联系6个月以上的党员。",
              "3. " + N_TIME.replace(":", "："), "4. " + N_REASON.replace(":", "："),
              "5. " + N_CATEGORY.replace(":", "："), "6. " + N_OCCUPATION)

_HEAD = (col("姓  名", width=9), col("性别", width=5), col("民族", width=6), col("年龄", width=5, number=True),
         col("党龄", width=5, number=True), col("学历", width=9), col("职业", width=6), col("曾任党内职务", width=9))
_TIME = col("与党组织失去\n联系时间", width=11)
_REASON, _CATEGORY = col("失去联系情形", width=8), col("党组织类别", width=8)
_PHONE, _REMARKS = col("联系电话", width=13), col("备  注", width=28)
COLUMNS_FOUND = (*_HEAD, _TIME, _REASON, _CATEGORY, _PHONE, _REMARKS)
COLUMNS_FOUND_DETAILED = (*_HEAD[:7], col("现工作（学习）单位", width=18), col("现居住地", width=18), _HEAD[7],
                          col("与党组织失去联系时间", width=11), _REASON, _CATEGORY, _PHONE, _REMARKS)
COLUMNS_UNREACHABLE = (*_HEAD[:6], col("职 业", width=6), _HEAD[7], col("与党组织\n失去联系时间", width=11), _REASON,
                       _CATEGORY, _REMARKS)
COLUMNS_LOST = (*_HEAD, col("与党组织失\n去联系时间", width=11), _REASON, _CATEGORY, _PHONE, _REMARKS)


def lost_time_text(lost: LostTime | None) -> str:
    """与党组织失去联系时间 as the forms write it: 1年2个月, 7个月."""
    if lost is None:
        return ""
    years, months = divmod(lost.months, 12)
    if years and months:
        return f"{years}年{months}个月"
    return f"{years}年" if years else f"{months}个月"


def _person(f: LostFacts, on: date) -> list[Any]:
    m = f.member
    pa = 0 if m.member_type is MemberType.PROBATIONARY else party_age(m.confirmed_on, m.member_type, on)
    return [m.name, m.gender.zh if m.gender else "", m.ethnicity or "", age(m.birth_date, on) if m.birth_date else "",
            pa if pa is not None else "", m.education.zh if m.education else "", code_mark(m.occupation),
            m.party_post.zh if m.party_post else ""]


def _reason(f: LostFacts) -> tuple[str, str | None]:
    """失去联系情形 code from the member's case, and 备注's note for ⑦其他 (the seed asks for it there)."""
    if f.case is None or f.case.reason is None:
        return "", None
    note = f.case.reason_note if f.case.reason is LostContactReason.OTHER else None
    return f.case.reason.mark, (f"失联原因：{note}" if note else None)


def unreachable_remark(f: LostFacts, on: date) -> str:
    """备注 of the unreachable: how far the search and the case have gone (none logged yet: said so)."""
    parts = ["尚未开展联系查找" if f.attempts == 0 else f"已联系查找{f.attempts}次"]
    if f.case is not None and f.case.state in STATE_ZH and f.case.state != "searching":
        stage = STATE_ZH[f.case.state]
        parts.append(f"{stage}：{f.case.outcome.zh}" if f.case.outcome else stage)
    if f.history.last_official(on) is None:
        parts.append("无组织生活、党费记录，失联时间自最近一次联系起算")
    return join_remarks(*parts)


def _category(scope: Scope, branch_id: int) -> str:
    key = scope.categories.get(branch_id)
    return OrgCategory(key).mark if key else ""


def _found_values(f: LostFacts, regain: Regain, scope: Scope, on: date, detailed: bool) -> list[Any]:
    m = f.member
    head = _person(f, on)
    code, note = _reason(f)
    lost = official_lost_time(f.history, regain.regained_on)
    if detailed:
        head = [*head[:7], m.work_unit or "", m.residence or "", head[7]]
    remark = join_remarks(f"{zh_date(regain.regained_on)}取得联系", note, m.remarks)
    return [*head, lost_time_text(lost), code, _category(scope, f.branch_id), m.mobile or "", remark]


def _unreachable_values(f: LostFacts, on: date, scope: Scope, phone: bool) -> list[Any]:
    code, note = _reason(f)
    values = [*_person(f, on), lost_time_text(official_lost_time(f.history, on)), code, _category(scope, f.branch_id)]
    if phone:
        values.append(f.member.mobile or "")
    values.append(join_remarks(unreachable_remark(f, on), note, f.member.remarks))
    return values


def period_start(req: FormRequest) -> date:
    """The campaign period a register covers: from `since`, else 1 January of the 填表日期's year."""
    return req.since or date(req.as_of.year, 1, 1)


def _rows(db: queries.Reader, req: FormRequest, scope: Scope, which: str) -> Iterator[Row]:
    on, since = req.as_of, period_start(req)
    for f in lost_facts(db, scope.org_id, on, since):
        if f.case is not None and f.case.deceased_by(on):
            continue        # 确认已死亡: column X of 统计表 A–X, on none of these registers
        if unreachable_on(f.history, on):
            if which in ("unreachable", "lost"):
                values = _unreachable_values(f, on, scope, phone=(which == "lost"))
                yield Row(insert_branch(values, scope, f.branch_id))
            continue
        regain = regain_between(f.history, since, on)
        if regain is None or which == "unreachable":
            continue
        values = _found_values(f, regain, scope, on, detailed=(which == "found" and req.variant == "detailed"))
        yield Row(insert_branch(values, scope, f.branch_id))


def _builder(which: str, title: str, notes: tuple[str, ...]) -> Any:
    def build(db: queries.Reader, req: FormRequest, scope: Scope) -> FormDocument:
        columns = {"unreachable": COLUMNS_UNREACHABLE, "lost": COLUMNS_LOST}.get(which) or (
            COLUMNS_FOUND_DETAILED if req.variant == "detailed" else COLUMNS_FOUND)
        table = Table(title, with_branch(columns, scope), notes=notes, code_tables=CODE_TABLES)
        rows = list(_rows(db, req, scope, which))
        return FormDocument(which, title, meta_for(req, scope), [SheetData(table, rows)], row_count=len(rows),
                            scope_name=scope.name)
    return build


LOST = register(FormSpec(3, "lost", T_LOST, "002 附件3", REGISTER, ("xlsx", "csv"), _builder("lost", T_LOST, NOTES_LOST)))
FOUND = register(FormSpec(4, "found", T_FOUND, "000/002; 001", REGISTER, ("xlsx", "csv"),
                          _builder("found", T_FOUND, NOTES_FOUND), variants=("detailed",)))
UNREACHABLE = register(FormSpec(5, "unreachable", T_UNREACHABLE, "000, 002", REGISTER, ("xlsx", "csv"),
                                _builder("unreachable", T_UNREACHABLE, NOTES_UNREACHABLE)))
