"""党员组织关系回执情况统计表 (seed 001 附件4): transfers in and out in a year, by 研究生 / 本科生 / 专科生
and 省内 / 省外, with the 回执 received (for transfers out) or sent (for transfers in).

Seed 001 item 3: "统计2016年以来转入和转出的所有党员组织关系回执寄收情况". Reading: the year of the 填报时间,
from 1 January to the 填表日期; a transfer counts in the year it was sent (out) or arrived (in), for members
whose branch is in the scope. 研究生 / 本科生 / 专科生 by the member's 学历 (研究生, 大学本科, 大学专科; other
学历 count only in 总数). 省内 / 省外 against the scope's province (its setting or the nearest above); a
transfer out with no province recorded is read from the start of the receiving organization's name or
address ("浙江省…"), and if that names none it is counted in 总数 only, the line under the table saying so.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.domain.codes import Education
from bot.domain.errors import DomainError
from bot.domain.province import province_in
from bot.forms import queries
from bot.forms.model import FormDocument, Row, SheetData, Table, col
from bot.forms.registers.common import meta_for
from bot.forms.registry import SUMMARY, FormRequest, FormSpec, Scope, register
from bot.i18n import N_

COLUMNS = (col("项 目", width=18), col("总数", number=True), col("研究生", number=True), col("本科生", number=True),
           col("专科生", number=True), col("省内", number=True), col("省外", number=True),
           col("回执收（寄）数", width=14, number=True))
LEVELS = {Education.POSTGRADUATE.value: 2, Education.BACHELOR.value: 3, Education.COLLEGE.value: 4}
IN_ROW, OUT_ROW = "转入组织关系数", "转出组织关系数"


def _within_total(rows: list[Row]) -> list[str]:
    """Each part is at most the 总数 of its row (研究生+本科生+专科生, 省内+省外, 回执)."""
    problems = []
    for row in rows:
        label, total, *rest = row.values
        parts = {"研究生+本科生+专科生": sum(rest[0:3]), "省内+省外": rest[3] + rest[4], "回执收（寄）数": rest[5]}
        problems += [f"{label} {name}={value} > 总数={total}" for name, value in parts.items() if value > total]
    return problems


def tally(items: list[tuple[str | None, str | None, bool]], home: str) -> tuple[list[int], int]:
    """[总数, 研究生, 本科生, 专科生, 省内, 省外, 回执] for (学历 key, province, 回执) items, and how many had no
    province."""
    counts, unknown = [len(items), 0, 0, 0, 0, 0, 0], 0
    for education, province, receipt in items:
        if education in LEVELS:
            counts[LEVELS[education] - 1] += 1
        if province is None:
            unknown += 1
        else:
            counts[4 if province == home else 5] += 1
        counts[6] += 1 if receipt else 0
    return counts, unknown


def build(db: queries.Reader, req: FormRequest, scope: Scope) -> FormDocument:
    if not scope.province:
        raise DomainError(N_("Set the province of {org} first (branchbot province), so transfers can be"
                             " counted 省内 or 省外"), field="province", org=scope.name)
    start, end = date(req.as_of.year, 1, 1).isoformat(), req.as_of.isoformat()
    params = {"org": scope.org_id, "start": start, "end": end}
    ins = db.all(f"{queries.SUBTREE} SELECT t.province, t.receipt_sent_on, m.record FROM transfers_in t"
                 " JOIN members m ON m.id = t.member_id JOIN sub ON sub.id = m.branch_id"
                 " WHERE t.received_on >= :start AND t.received_on <= :end", params)
    outs = db.all(f"{queries.SUBTREE} SELECT t.province, t.to_org, t.destination, t.receipt_on, m.record"
                  " FROM transfers t JOIN members m ON m.id = t.member_id JOIN sub ON sub.id = m.branch_id"
                  " WHERE t.sent_on >= :start AND t.sent_on <= :end", params)

    def education(r: Any) -> str | None:
        return json.loads(r["record"]).get("education")

    in_counts, _ = tally([(education(r), r["province"], bool(r["receipt_sent_on"])) for r in ins], scope.province)
    out_counts, unknown = tally([(education(r), r["province"] or province_in(r["to_org"]) or province_in(
        r["destination"]), bool(r["receipt_on"] and r["receipt_on"] <= end)) for r in outs], scope.province)
    note = f"转出组织关系中未记录接收地省份的{unknown}个，只计入总数。" if unknown else None
    title = f"{req.as_of.year}年度党员组织关系回执情况统计表"
    table = Table(title, COLUMNS, landscape=False, unit_label="填报单位：", date_label="填报时间：", footer=(),
                  supplement=note, checks=(_within_total,), label_columns=1)
    rows = [Row([IN_ROW, *in_counts], "group"), Row([OUT_ROW, *out_counts], "group")]
    meta = meta_for(req, scope, date_text=f"{req.as_of.year}年{req.as_of.month}月")
    return FormDocument("receipts", title, meta, [SheetData(table, rows)], row_count=len(ins) + len(outs),
                        scope_name=scope.name)


SPEC = register(FormSpec(9, "receipts", "党员组织关系回执情况统计表", "001 附件4", SUMMARY, ("xlsx", "csv"), build))
