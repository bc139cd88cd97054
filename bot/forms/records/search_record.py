"""与党组织失去联系党员联系查找情况记录表 (seed 000), one per member.

Every search attempt logged, in order, as "第一次联系查找情况", "第二次…" — as many as were logged, not
only the printed four. Each reads as the seed's worked examples do: the date, then the narrative as the
secretary typed it ("XXXX年XX月XX日，支部工作人员李XX打电话至…"), then 查找方式 / 查找对象 / 联系电话, the
signers (at least two full members, note 4) and the date. 支委会意见 and 基层党委意见 come from the case's
approval steps once recorded, blank (for ink) until then.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain import disposition
from bot.domain.codes import LostContactReason
from bot.domain.registers import official_lost_time
from bot.forms import docx_kit, queries
from bot.forms.cells import ordinal, year_month, zh_date
from bot.forms.docx_kit import Cell, label, value
from bot.forms.model import FormDocument, Meta, RecordSet, Row, SheetData, Table, col
from bot.forms.records.facts import Attempt, MemberRecord, StepRecord, load_records, members_with
from bot.forms.registers.common import meta_for
from bot.forms.registers.lost_registers import lost_time_text
from bot.forms.registry import PER_MEMBER, FormRequest, FormSpec, Scope, register

TITLE = "与党组织失去联系党员联系查找情况记录表"
WIDTHS = (2.6, 2.4, 2.0, 2.4, 2.4, 2.6, 3.0)
GUIDE = "（包括查找过程，查找方式，查找对象，联系电话等）"
NOTES = (
    "1、此表由党支部填写，一式二份，其中一份报县级党委组织部门备案，一份存入党员档案。",
    "2、失联原因：按以下代码填写。①外出务工经商；②单位改制或破产；③毕业后去向不明；④工作单位改变；⑤出国（境）；"
    "⑥居住地改变；⑦其他（具体原因在备注栏中注明）。",
    "4、查找人签名处需要至少两名正式党员进行签名。",
)


def attempt_text(a: Attempt) -> str:
    """One attempt as the seed's examples write it: "2026年3月5日，支部工作人员李XX打电话至…"."""
    narrative = a.narrative.strip()
    return f"{zh_date(a.on)}，{narrative}"


def attempt_details(a: Attempt) -> str:
    parts = [f"查找方式：{a.method.zh}", f"查找对象：{a.contacted}"]
    if a.contact_phone:
        parts.append(f"联系电话：{a.contact_phone}")
    return "；".join(parts) + "。"


def opinion_text(step: StepRecord | None, signer: str) -> str:
    """An opinion block: the recorded opinion (blank until decided), the signature line, the date."""
    if step is None:
        return docx_kit.signature(signer)
    text = (step.opinion or "").strip() or (step.outcome.zh if step.outcome else "")
    if not step.approve:
        text = f"不同意。{text}".strip()
    return "\n".join([text, signer, zh_date(step.on)])


def _reason(rec: MemberRecord) -> str:
    return f"{rec.case_reason.mark}{rec.case_reason.zh}" if rec.case_reason else ""


def render(doc: Any, rec: MemberRecord, meta: Meta) -> None:
    m = rec.member
    end = rec.regained_on or meta.filled_on
    lost = lost_time_text(official_lost_time(rec.history, end))
    rows: list[list[Cell]] = [
        [label("姓 名"), value(m.name, align="center"), label("性 别"), value(m.gender.zh if m.gender else "", align="center"),
         label("出 生\n年 月"), value(year_month(m.birth_date), align="center"), label("照片", down=3)],
        [label("籍 贯"), value(m.native_place, align="center"), label("民 族"), value(m.ethnicity, align="center"),
         label("学 历"), value(m.education.zh if m.education else "", align="center")],
        [label("职 业"), value(m.occupation.zh if m.occupation else "", align="center"), label("入 党\n时 间"),
         value(year_month(m.joined_on), align="center"), label("联 系\n方 式"), value(m.mobile, align="center")],
        [label("曾任党\n内职务"), value(m.party_post.zh if m.party_post else "", align="center"),
         label("与党组织失去联系时间"), value(lost, align="center"), label("与党组织取得联系时间"),
         value(zh_date(rec.regained_on), span=2, align="center")],
        [label("工作单位及职务"), value(m.work_unit, span=6)],
        [label("所在党组织名称"), value(rec.branch_name, span=6)],
        [label("户籍所在地"), value(m.household_register, span=6)],
        [label("现居住地"), value(m.residence, span=6)],
        [label("失联原因"), value(_reason(rec), span=6)],
    ]
    attempts = rec.attempts or []
    for n in range(1, max(4, len(attempts)) + 1):
        heading = label(f"第{ordinal(n)}次联系查找情况")
        if n <= len(attempts):
            a = attempts[n - 1]
            body = "\n".join([attempt_text(a), attempt_details(a), f"查找人签名：{'、'.join(a.signers)}", zh_date(a.on)])
        else:
            body = "\n".join([GUIDE, "", "查找人签名：", "年    月    日"])
        rows.append([heading, value(body, span=6, height=3.2)])
    rows.append([label("支委会意见"), value(opinion_text(rec.steps.get(disposition.S_PROPOSAL), "支部书记签名："), span=6,
                                          height=2.6)])
    committee = rec.steps.get(disposition.S_COMMITTEE_APPROVAL) or rec.steps.get(disposition.S_COMMITTEE_PREREVIEW)
    rows.append([label("基层党委意见"), value(opinion_text(committee, "党委书记签名（盖章）："), span=6, height=2.6)])
    other = rec.case_reason_note if rec.case_reason is LostContactReason.OTHER else None
    rows.append([label("备注"), value("；".join(p for p in (other, m.remarks) if p), span=6, height=1.2)])
    docx_kit.title(doc, TITLE, size=15)
    docx_kit.form_table(doc, WIDTHS, rows)


CSV_COLUMNS = (col("姓名"), col("所在党组织名称"), col("次数"), col("查找日期"), col("查找过程"), col("查找方式"),
               col("查找对象"), col("联系电话"), col("查找人签名"))


def _csv_rows(records: list[MemberRecord]) -> list[Row]:
    return [Row([rec.name, rec.branch_name, f"第{ordinal(n)}次", a.on.isoformat(), attempt_text(a), a.method.zh,
                 a.contacted, a.contact_phone or "", "、".join(a.signers)])
            for rec in records for n, a in enumerate(rec.attempts, start=1)]


def build(db: queries.Reader, req: FormRequest, scope: Scope) -> FormDocument:
    ids = list(req.member_ids) or members_with(db, scope.org_id, "search_attempts", req.as_of)
    records = load_records(db, ids, scope.names, req.as_of)
    table = Table(TITLE, CSV_COLUMNS, notes=NOTES)
    return FormDocument("search-record", TITLE, meta_for(req, scope), [SheetData(table, _csv_rows(records))],
                        records=RecordSet(TITLE, records, render), row_count=len(records), scope_name=scope.name)


SPEC = register(FormSpec(7, "search-record", TITLE, "000", PER_MEMBER, ("docx", "csv"), build, needs_member=True))
