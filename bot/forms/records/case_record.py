"""失联党员查找处置全程纪实表 (seed 004 附件4), one per member with a lost-contact case.

The search rows (时间, 查找过程, 证明人签字) are the logged attempts in order (at least the five printed
lines); each approval line holds the decision recorded for that step of the chain — 支委会初步处置意见,
基层党委预审意见, 上一级党委组织部门预审意见 (removals only), 支部党员大会决议, 基层党委审核（审批）意见,
上一级党委组织部门审批意见 — and stays blank, stamp place and date line included, until it is recorded.
"""

from __future__ import annotations

from typing import Any

from bot.domain import disposition
from bot.domain.registers import official_lost_time
from bot.forms import docx_kit, queries
from bot.forms.cells import year_month, zh_date
from bot.forms.docx_kit import Cell, label, value
from bot.forms.model import FormDocument, Meta, RecordSet, Row, SheetData, Table, col
from bot.forms.records.facts import MemberRecord, StepRecord, load_records, members_with
from bot.forms.records.search_record import attempt_details, attempt_text
from bot.forms.registers.common import meta_for
from bot.forms.registers.lost_registers import lost_time_text
from bot.forms.registry import PER_MEMBER, FormRequest, FormSpec, Scope, register

TITLE = "失联党员查找处置全程纪实表"
WIDTHS = (3.0, 1.7, 1.2, 1.0, 1.2, 1.3, 1.6, 1.9, 1.6, 1.9)
MIN_SEARCH_ROWS = 5
# The approval lines of the 纪实表, each filled by the step of that name (the seed's wording is FORM_ROW's).
CHAIN = (
    (disposition.S_PROPOSAL, "支委会初步处置意见", "党支部（盖章）"),
    (disposition.S_COMMITTEE_PREREVIEW, "基层党委\n预审意见", "党委（盖章）"),
    (disposition.S_DEPT_PREREVIEW, "上一级党委组织部门对拟劝退、除名处置的预审意见", "党委组织部门（盖章）"),
    (disposition.S_MEETING, "支部党员大会决议", "党支部（盖章）"),
    (disposition.S_COMMITTEE_APPROVAL, "基层党委审核（审批）意见", "党委（盖章）"),
    (disposition.S_DEPT_APPROVAL, "上一级党委组织部门对劝退、除名处置的审批意见", "党委组织部门（盖章）"),
)


def decision_text(step: StepRecord | None, stamp: str) -> str:
    """The recorded decision, then the stamp's place and the date (blank lines until decided)."""
    if step is None:
        return f"\n{stamp}\n年  月  日"
    text = (step.opinion or "").strip()
    if step.outcome and step.outcome.zh not in text:
        text = f"{text}（{step.outcome.zh}）" if text else step.outcome.zh
    if not step.approve:
        text = f"不同意。{text}"
    return f"{text}\n{stamp}\n{zh_date(step.on)}"


def record_rows(rec: MemberRecord, on: Any) -> list[list[Cell]]:
    m = rec.member
    lost = lost_time_text(official_lost_time(rec.history, rec.regained_on or on))
    reason = f"{rec.case_reason.mark}{rec.case_reason.zh}" if rec.case_reason else ""
    attempts = rec.attempts
    n_rows = max(MIN_SEARCH_ROWS, len(attempts))
    rows: list[list[Cell]] = [
        [value(f"单位：{rec.branch_name}", span=10)],
        [label("姓名"), value(m.name, align="center"), label("性别"), value(m.gender.zh if m.gender else "", align="center"),
         label("民族"), value(m.ethnicity, align="center"), label("出生年月"), value(year_month(m.birth_date), align="center"),
         label("入党时间"), value(year_month(m.joined_on), align="center")],
        [label("身份证号"), value(m.id_number, span=4, align="center"), label("联系电话"), value(m.mobile, span=4, align="center")],
        [label("组织关系所在党组织名称"), value(rec.branch_name, span=3), label("与党组织失去联系时间"),
         value(lost, span=2, align="center"), label("失联原因"), value(reason, span=2, align="center")],
        [label("党组织查找情况记录", down=n_rows + 1), label("时间"), label("查找过程", span=6), label("证明人\n签字"),
         label("备 注")],
    ]
    for i in range(n_rows):
        if i < len(attempts):
            a = attempts[i]
            rows.append([value(zh_date(a.on), align="center"), value(f"{attempt_text(a)}\n{attempt_details(a)}", span=6),
                         value("、".join(a.signers), align="center"), value(a.result.zh, align="center")])
        else:
            rows.append([value(""), value("", span=6, height=0.9), value(""), value("")])
    findings = rec.findings_text or ""
    rows.append([label("失联党员表现调查核实情况"), value(f"{findings}\n党支部（盖章）", span=9, align="right", height=2.0)])
    for slot, heading, stamp in CHAIN:
        rows.append([label(heading), value(decision_text(rec.steps.get(slot), stamp), span=9, align="right", height=1.9)])
    rows.append([label("备 注"), value(rec.case_reason_note or m.remarks, span=9, height=1.0)])
    return rows


def render(doc: Any, rec: MemberRecord, meta: Meta) -> None:
    docx_kit.line(doc, "附件4")
    docx_kit.title(doc, TITLE)
    docx_kit.form_table(doc, WIDTHS, record_rows(rec, meta.filled_on))
    docx_kit.line(doc, "注：此表一式四份，党员所在党支部、基层党委、县委组织部、失联党员查找处置档案资料各存一份。", size=9)


CSV_COLUMNS = (col("姓名"), col("组织关系所在党组织名称"), col("失联原因"), col("查找次数"),
               *(col(h.replace("\n", "")) for _s, h, _st in CHAIN))


def _csv_row(rec: MemberRecord) -> Row:
    def short(step: StepRecord | None) -> str:
        return "" if step is None else decision_text(step, "").replace("\n\n", "；").replace("\n", "；").strip("；")
    return Row([rec.name, rec.branch_name, rec.case_reason.zh if rec.case_reason else "", len(rec.attempts),
                *(short(rec.steps.get(slot)) for slot, _h, _st in CHAIN)])


def build(db: queries.Reader, req: FormRequest, scope: Scope) -> FormDocument:
    ids = list(req.member_ids) or members_with(db, scope.org_id, "cases", req.as_of)
    records = load_records(db, ids, scope.names, req.as_of)
    table = Table(TITLE, CSV_COLUMNS)
    return FormDocument("case-record", TITLE, meta_for(req, scope), [SheetData(table, [_csv_row(r) for r in records])],
                        records=RecordSet(TITLE, records, render), row_count=len(records), scope_name=scope.name)


SPEC = register(FormSpec(8, "case-record", TITLE, "004 附件4", PER_MEMBER, ("docx", "csv"), build, needs_member=True))
