"""The three summary tables as forms of the engine (bot.forms.registry): lost-summary (附件6),
disposition-summary (附件7), disposition-stats (统计表 A–X).

Each builds, in one query over the subtree, the node's table (rows ①–⑧ and 合计, or the one 统计时间
row), a sheet with one row per branch, and a notes sheet; the identities are checked inside `build`,
before the writer opens a file. `FormRequest.by_branch` puts the per-branch table first (the csv twin
writes the first sheet).
"""

from __future__ import annotations

from bot.domain.codes import LostContactReason, Occupation
from bot.forms.model import Column, FormDocument, Row, SheetData, Table, col
from bot.forms.queries import Reader
from bot.forms.registers.common import meta_for
from bot.forms.registry import SUMMARY, FormRequest, FormSpec, Scope, register
from bot.forms.summary import build as summary_build
from bot.forms.summary.table import TOTAL_LABEL, SummaryTable

SHEET_MAIN, SHEET_BRANCHES, SHEET_NOTES = "汇总表", "分支部", "备注"
BRANCH_KEY = "党组织"

NOTES_6 = (
    "1. 本表根据党支部填报的《经查找仍然无法取得联系党员登记表》，由基层党委填写，逐级上报汇总，由省（区、市）、部门（系统）"
    "组织部门报中央组织部组织一局。",
    "2. 经查找仍然无法取得联系党员是指党员组织关系排查工作结束时，与党组织失去联系 6 个月以上，经多方努力确实无法取得联系的党员。",
    "3. 本表补充资料统计2016年 1月 1日至填表日期期间的流动党员人数。流动党员是指由于就业或居住地变化等原因，在较长时间内无法"
    "正常参加正式组织关系所在党组织活动的党员。",
    "4. 排查前在册党员人数指的是所有正式组织关系在本党组织的党员人数（不仅仅指失联党员）。",
    "5. “补充资料：流动党员 人”，指的是填表日期前集中排查掌握的流出党员累计数。",
    "本系统的计法：失去联系 6 个月以上以填表日期计（含恰好 6 个月）；年龄、党龄、失去联系时间按填表日期的整年数计，预备党员党龄为 0，"
    "计入“1年以下”；无职业记录的计入⑧其他，无失去联系情形记录的计入⑦其他；学历等未记录的列于“备注”表。",
)
NOTES_7 = (
    "1. 省（区、市）、部门（系统）组织部门根据下级党组织填报情况，汇总后报中央组织部组织一局。",
    "2. 与党组织失去联系党员包括经查找与党组织取得联系党员和经查找仍然无法与党组织取得联系党员。",
    "3. 本表根据《经查找取得联系党员登记表》和《经查找仍然无法取得联系党员登记表》反映的党员人数填报。联系查找结束时至填表日期期间的"
    "动态变化数据另附说明。",
    "4. 纳入组织管理指的是失联后经排查取得联系的党员中，转出组织关系和纳入原所在党组织正常管理的党员，不包括补转组织关系的党员。",
    "5.“取消预备党员资格”栏，统计失联后经排查取得联系和确实无法取得联系的预备党员中，被取消预备党员资格的人数。",
    "本系统的计法：按填表日期前已作出决定的处置结果计；尚未决定的、补转组织关系的和确认已死亡的列于“备注”表。",
)
NOTES_STATS = (
    "备注：1.表内关系：A＝B+O+X；B＝C+G+M+N；G＝H+I+J+K+L；O＝P+S+V+W；P＝Q+R；S=T+U；",
    "2.在经查找取得联系的党员中，给予开除党籍以外的其他党纪处分的数量，统计在“纳入组织管理人数”（C）项中；",
    "3.目前仍未取得联系的党员中“开除党籍人数”（V）项，应为依据《中国共产党员纪律处分条例》第三十六条规定，党组织作出开除党籍决定的。",
)


def _engine_path(path: tuple[str | None, ...]) -> tuple[str | None, ...]:
    """The engine's leaf spans down by itself: trailing "reaches down" marks are dropped."""
    out = list(path)
    while out and out[-1] is None:
        out.pop()
    return tuple(out)


def _columns(t: SummaryTable, first: Column, width: float) -> tuple[Column, ...]:
    counted = tuple(Column(_engine_path(c.path), width=width, number=True, csv=c.key) for c in t.form.columns)
    return (first, *counted)


def _values(t: SummaryTable, values: dict[str, int]) -> list[int]:
    return [int(values.get(k) or 0) for k in t.form.keys]


def document(t: SummaryTable, req: FormRequest, scope: Scope, notes: tuple[str, ...], width: float,
             row_count: int, code_tables: tuple = ()) -> FormDocument:
    """The FormDocument of a checked SummaryTable: the node's sheet, the per-branch sheet, the notes sheet."""
    form = t.form
    corner = "\n".join(form.corner)
    head = col(corner, width=22, csv=form.row_key)
    footer = ("填表人：", "联系电话：", "负责领导（签字）：") if form.name == "disposition-stats" else ("填表人：", "联系电话：")
    main = Table(form.title, _columns(t, head, width), sheet=SHEET_MAIN, notes=notes, code_tables=code_tables,
                 supplement=t.supplement or None, footer=footer, label_columns=1)
    rows = [Row([label, *_values(t, v)], "group") for label, v in t.rows]
    if len(t.rows) > 1:
        rows.append(Row([TOTAL_LABEL, *_values(t, t.total)], "total"))
    per_branch = Table(form.title, _columns(t, col(BRANCH_KEY, width=22), width), sheet=SHEET_BRANCHES,
                       supplement=t.supplement or None, footer=footer, label_columns=1)
    branch_rows = [Row([label, *_values(t, v)], "group") for label, v in t.by_branch]
    branch_rows.append(Row([TOTAL_LABEL, *_values(t, t.total)], "total"))
    notes_table = Table(f"{form.title}（备注）", (col("党组织", width=22), col("姓名", width=12), col("说明", width=60)),
                        sheet=SHEET_NOTES, landscape=False, footer=(), unit_label="填报单位：")
    note_rows = [Row([n.branch, n.member, n.text]) for n in t.notes] or [Row(["无", "", ""])]
    sheets = [SheetData(main, rows), SheetData(per_branch, branch_rows), SheetData(notes_table, note_rows)]
    if req.by_branch:
        sheets[0], sheets[1] = sheets[1], sheets[0]
    return FormDocument(form.name, form.title, meta_for(req, scope), sheets, row_count=row_count,
                        scope_name=scope.name)


def build_lost_summary(db: Reader, req: FormRequest, scope: Scope) -> FormDocument:
    t = summary_build.build_lost_summary(db, req.org_id, req.as_of)
    return document(t, req, scope, NOTES_6, 4.5, t.total["人数"],
                    (("职业", Occupation), ("失去联系情形", LostContactReason)))


def build_disposition_summary(db: Reader, req: FormRequest, scope: Scope) -> FormDocument:
    t = summary_build.build_disposition_summary(db, req.org_id, req.as_of)
    return document(t, req, scope, NOTES_7, 6.5, t.total["_decided"], (("职业", Occupation),))


def build_disposition_stats(db: Reader, req: FormRequest, scope: Scope) -> FormDocument:
    t = summary_build.build_disposition_stats(db, req.org_id, req.as_of)
    return document(t, req, scope, NOTES_STATS, 5.0, t.total["A"])


LOST_SUMMARY = register(FormSpec(10, "lost-summary", "与党组织失去联系党员情况汇总表", "002 附件6", SUMMARY,
                                 ("xlsx", "csv"), build_lost_summary))
DISPOSITION_SUMMARY = register(FormSpec(11, "disposition-summary", "与党组织失去联系党员管理及处置情况汇总表", "002 附件7",
                                        SUMMARY, ("xlsx", "csv"), build_disposition_summary))
DISPOSITION_STATS = register(FormSpec(12, "disposition-stats", "与党组织失去联系党员规范管理和组织处置有关情况统计表",
                                      "004 附件5", SUMMARY, ("xlsx", "csv"), build_disposition_stats))
