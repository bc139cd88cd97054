"""支部党员名册 (seed 000): its thirteen columns exactly, one line per member on the register.

Who is on it: every member whose relationship is in the branch on the 填表日期 — the active register,
including the "口袋党员" whose transfer out has not landed (填表说明 2: "组织关系仍属原支部，需列入支部名册
中，并在备注栏中注明"). 备注 carries, as 填表说明 2–3 ask, 口袋党员, 外出流动 and 出国（境）, then the
member's own remarks.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from bot.domain.codes import Education, Gender, OutflowType, SpecialStatus
from bot.forms import queries
from bot.forms.cells import year_month, zh_of
from bot.forms.model import FormDocument, Row, SheetData, Table, col
from bot.forms.registers.common import insert_branch, join_remarks, meta_for, with_branch
from bot.forms.registry import REGISTER, FormRequest, FormSpec, Scope, register

TITLE = "支部党员名册"
COLUMNS = (
    col("序号", width=5), col("姓 名", width=9), col("性别", width=5), col("民族", width=6), col("籍贯", width=12),
    col("出生\n年月", width=8), col("学历", width=9), col("身份证号码", width=20), col("入党\n时间", width=8),
    col("转正\n时间", width=8), col("工作单位", width=22), col("联系电话", width=13), col("备注", width=24),
)
NOTES = (
    "1、本表以支部为单位填写，同时上报基层党（工）委一份存档。",
    "2、组织关系转出后未按要求接转的“口袋党员”，组织关系仍属原支部，需列入支部名册中，并在备注栏中注明。",
    "3、外出流动、出国（境）等特殊类型党员应在备注栏注明。",
)
ABROAD_STATUSES = (SpecialStatus.RELATIONSHIP_RETAINED, SpecialStatus.MEMBERSHIP_SUSPENDED)
OPEN_TRANSFER = (", EXISTS (SELECT 1 FROM transfers t WHERE t.member_id = m.id AND t.receipt_on IS NULL"
                 " AND t.sent_on <= :on) AS open_transfer")


def roster_remarks(rec: dict[str, Any], open_transfer: bool) -> str:
    """备注 of the 名册: 口袋党员 (recorded as such, or a transfer out still without 回执), 外出流动, 出国（境）,
    then the member's own remarks. `rec` is the stored member record (a validated Member as JSON)."""
    statuses = rec.get("special_statuses") or ()
    flow = rec.get("flow")
    parts: list[str] = []
    if SpecialStatus.POCKET.value in statuses:
        parts.append("“口袋”党员")
    elif open_transfer:
        parts.append("组织关系已转出，尚未收到回执")
    abroad = any(s.value in statuses for s in ABROAD_STATUSES) or bool(
        flow and flow.get("outflow_type") == OutflowType.ABROAD.value)
    where = f"（{flow['destination']}）" if flow else ""
    if flow and not abroad:
        parts.append(f"外出流动{where}")
    if abroad:
        parts.append(f"出国（境）{where}")
    if SpecialStatus.MEMBERSHIP_SUSPENDED.value in statuses:
        parts.append("停止党籍")
    elif SpecialStatus.RELATIONSHIP_RETAINED.value in statuses:
        parts.append("保留组织关系")
    return join_remarks(*parts, rec.get("remarks"))


def roster_values(seq: int, rec: dict[str, Any], open_transfer: bool) -> list[Any]:
    """One 名册 line, a pure function of the stored member record (ID number in full: the 名册 carries it).

    Read from the record's JSON rather than a re-validated Member: it was validated when saved, and on a
    100,000-member register validation would cost more than writing the file.
    """
    g = rec.get
    return [seq, g("name") or "", zh_of(Gender, g("gender")), g("ethnicity") or "", g("native_place") or "",
            year_month(g("birth_date")), zh_of(Education, g("education")), g("id_number") or "",
            year_month(g("joined_on")), year_month(g("confirmed_on")), g("work_unit") or "", g("mobile") or "",
            roster_remarks(rec, open_transfer)]


def _rows(db: queries.Reader, req: FormRequest, scope: Scope) -> Iterator[Row]:
    rows = queries.members(db, scope.org_id, "m.active = 1", {"on": req.as_of.isoformat()}, extra=OPEN_TRANSFER)
    for seq, r in enumerate(rows, start=1):
        values = roster_values(seq, json.loads(r["record"]), bool(r["open_transfer"]))
        yield Row(insert_branch(values, scope, r["branch_id"]))


def build(db: queries.Reader, req: FormRequest, scope: Scope) -> FormDocument:
    table = Table(TITLE, with_branch(COLUMNS, scope), notes=NOTES, unit_label="")
    meta = meta_for(req, scope)
    if scope.parent_name and not scope.is_subtree:
        meta.unit = f"{scope.parent_name}    {scope.name}"
    total = queries.count_members(db, scope.org_id)
    return FormDocument("roster", TITLE, meta, [SheetData(table, _rows(db, req, scope))], row_count=total,
                        scope_name=scope.name)


SPEC = register(FormSpec(1, "roster", TITLE, "000", REGISTER, ("xlsx", "csv"), build))
