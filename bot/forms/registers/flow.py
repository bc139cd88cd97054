"""流动党员基本信息登记表 (seed 002 附件2): one line per member recorded as flowing out.

Who is on it: members of the subtree on the register whose flow block is filled (外出流动, recorded by the
member's own report or by the branch) with a 流出日期 on or before the 填表日期. Seed 000 note 16: "流动
党员指由于就业或居住地变化等原因，在较长时间内无法正常参加正式组织关系所在的党组织活动的党员".
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Iterator

from bot.domain.codes import Education, FlowEmployment, FlowIdentity, Gender
from bot.forms import queries
from bot.forms.cells import year_month, zh_date, zh_of
from bot.forms.model import FormDocument, Row, SheetData, Table, col
from bot.forms.registers.common import meta_for
from bot.forms.registry import REGISTER, FormRequest, FormSpec, Scope, register

TITLE = "流动党员基本信息登记表"
COLUMNS = (
    col("姓 名", width=9), col("性\n别", width=4), col("民\n族", width=5), col("学历", width=8), col("出生年\n月", width=8),
    col("入党\n时间", width=8), col("流出地所在支部\n( 乡镇 村/社区)", width=16), col("流入地所在支部\n( 省 市 县)", width=16),
    col("流动时间\n( 年 月\n日)", width=11), col("从业状况", width=9), col("党员身\n份", width=8),
    col("有无\n开具\n组织\n关系", width=6), col("流动证号", width=12), col("联系方式", width=14),
)
NOTES = ("备注：流动党员从业状况分为“两新”组织、个体户、其他三类；党员身份分为农民、下岗职工、社区居民、其他四类。",)


def flow_values(rec: dict[str, Any], branch_name: str) -> list[Any]:
    """One line of 附件2 from the stored record: 流入地 is where the member went (the flow block's
    流入地（单位） when known, else 外出流向); 有无开具组织关系 is 有 when a 流动党员活动证 number is recorded."""
    flow = rec.get("flow") or {}
    inflow = flow.get("inflow_place") or flow.get("destination") or ""
    left = flow.get("left_on")
    cert = flow.get("certificate_no") or ""
    contact = rec.get("mobile") or ""
    if rec.get("other_contacts"):
        contact = f"{contact}\n{rec['other_contacts']}" if contact else rec["other_contacts"]
    return [rec.get("name") or "", zh_of(Gender, rec.get("gender")), rec.get("ethnicity") or "",
            zh_of(Education, rec.get("education")), year_month(rec.get("birth_date")), year_month(rec.get("joined_on")),
            branch_name, inflow, zh_date(date.fromisoformat(left)) if left else "",
            zh_of(FlowEmployment, flow.get("employment")), zh_of(FlowIdentity, flow.get("identity")),
            "有" if cert else "无", cert, contact]


def _rows(db: queries.Reader, req: FormRequest, scope: Scope) -> Iterator[Row]:
    for r in queries.members(db, scope.org_id, "m.active = 1 AND m.is_flow = 1"):
        rec = json.loads(r["record"])
        left = (rec.get("flow") or {}).get("left_on")
        if left and left > req.as_of.isoformat():
            continue
        # 流出地所在支部 names the member's branch, so a subtree's register needs no extra column.
        yield Row(flow_values(rec, scope.names.get(r["branch_id"], "")))


def build(db: queries.Reader, req: FormRequest, scope: Scope) -> FormDocument:
    table = Table(TITLE, COLUMNS, notes=NOTES)
    rows = list(_rows(db, req, scope))
    return FormDocument("flow", TITLE, meta_for(req, scope), [SheetData(table, rows)], row_count=len(rows),
                        scope_name=scope.name)


SPEC = register(FormSpec(2, "flow", TITLE, "002 附件2", REGISTER, ("xlsx", "csv"), build))
