"""The blank 支部党员名册 .xlsx: the roster sheet (official headers in row 1) and its 填表说明 sheet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.domain.codes import Education, Gender, LostContactReason, MemberType, Occupation, PartyPost
from bot.domain.ethnicity import ETHNIC_GROUPS
from bot.forms.roster.columns import COLUMNS, DATE_FORMS, SEED_HEADERS, SHEET_NOTES, SHEET_ROSTER, RosterColumn


def write_template(path: str | Path, blank_rows: int = 2000) -> Path:
    """Write a blank roster .xlsx: the roster sheet (headers in row 1) and the 填表说明 sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_ROSTER
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFF2CC")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for idx, col in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=idx, value=col.header)
        cell.font, cell.alignment = bold, centre
        if idx > len(SEED_HEADERS):
            cell.fill = fill   # the columns beyond the seed's roster
        letter = get_column_letter(idx)
        ws.column_dimensions[letter].width = col.width
        if col.text:
            ws.column_dimensions[letter].number_format = "@"
        if col.codes is not None:
            choices = _choices(col)
            dv = DataValidation(type="list", formula1=f'"{",".join(choices)}"', allow_blank=True,
                                showErrorMessage=False)
            dv.add(f"{letter}2:{letter}{blank_rows + 1}")
            ws.add_data_validation(dv)
    ws.freeze_panes = "C2"
    _write_notes(wb.create_sheet(SHEET_NOTES))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _choices(col: RosterColumn) -> list[str]:
    if col.key == "member_type":
        return ["正式", "预备"]
    assert col.codes is not None
    return [m.zh for m in col.codes]


def _write_notes(ws: Any) -> None:
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 8
    ws.column_dimensions["C"].width = 70
    ws.column_dimensions["D"].width = 22
    ws.append(["《支部党员名册》填表说明"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["1、本表以支部为单位填写，同时上报基层党（工）委一份存档。"])
    ws.append(["2、组织关系转出后未按要求接转的“口袋党员”，组织关系仍属原支部，需列入支部名册中，并在备注栏中注明。"])
    ws.append(["3、外出流动、出国（境）等特殊类型党员应在备注栏注明。"])
    ws.append(["4、列按表头名称识别，列的先后可以调整；“支部党员名册”前13列与原表一致，其后各列为补充信息，可不填。"])
    ws.append([])
    ws.append(["列名", "必填", "填写说明", "示例"])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for col in COLUMNS:
        ws.append([col.header, "是" if col.key == "name" else "", col.note, col.example])
        ws.cell(row=ws.max_row, column=3).alignment = wrap
    ws.append([])
    ws.append(["日期写法"])
    ws.cell(row=ws.max_row, column=1).font = bold
    for line in DATE_FORMS:
        ws.append(["", "", line])
    for title, enum in (("性别", Gender), ("学历", Education), ("党员类型", MemberType), ("党内职务", PartyPost),
                        ("职业", Occupation), ("失去联系情形", LostContactReason)):
        ws.append([])
        ws.append([f"{title} 代码表", "代码", "名称", "亦可填写"])
        for cell in ws[ws.max_row]:
            cell.font = bold
        for m in enum:
            also = "正式" if m is MemberType.FULL else "预备" if m is MemberType.PROBATIONARY else ""
            ws.append(["", m.mark if enum in (Occupation, LostContactReason) else m.code, m.zh, also or m.value])
    ws.append([])
    ws.append(["民族 代码表（GB/T 3304）", "代码", "名称", "亦可填写"])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for code, name in ETHNIC_GROUPS:
        ws.append(["", code, name, name[:-1]])


