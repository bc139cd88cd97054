"""xlsx (XlsxWriter, print-ready, the seed's merged headers) and csv (UTF-8 with BOM) for summary tables.

The table is checked (`SummaryTable.check`) by the builder before it reaches here; the writers call it
once more, so no path writes a file that does not add up.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any, BinaryIO

import xlsxwriter

from bot.forms.summary.headers import header_cells
from bot.forms.summary.table import TOTAL_LABEL, SummaryTable

SHEET_MAIN, SHEET_BRANCHES, SHEET_NOTES = "汇总表", "分支部", "备注"
BRANCH_KEY = "党组织"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def safe_text(value: Any) -> Any:
    """Typed text as a cell: control characters stripped, a leading = + - @ (or tab / CR) neutralised."""
    if not isinstance(value, str):
        return value
    text = _CONTROL.sub("", value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


def write_csv(table: SummaryTable, out: Path | BinaryIO, by_branch: bool = False) -> int:
    """One header row (the issue's column order), the rows, 合计; UTF-8 with BOM. Returns the data rows."""
    table.check()
    keys = table.form.keys
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    rows = table.by_branch if by_branch else table.rows
    w.writerow([BRANCH_KEY if by_branch else table.form.row_key, *keys])
    for label, values in rows:
        w.writerow([safe_text(label), *(int(values.get(k) or 0) for k in keys)])
    if len(rows) != 1 or by_branch:
        w.writerow([TOTAL_LABEL, *(int(table.total.get(k) or 0) for k in keys)])
    data = buf.getvalue().encode("utf-8-sig")
    if isinstance(out, Path):
        out.write_bytes(data)
    else:
        out.write(data)
    return len(rows)


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        base = {"font_name": "SimSun", "font_size": 10, "border": 1, "align": "center", "valign": "vcenter",
                "text_wrap": True}
        self.title = wb.add_format({"font_name": "SimHei", "font_size": 16, "bold": True, "align": "center"})
        self.meta = wb.add_format({"font_name": "SimSun", "font_size": 10})
        self.meta_right = wb.add_format({"font_name": "SimSun", "font_size": 10, "align": "right"})
        self.head = wb.add_format({**base, "bold": True})
        self.corner = wb.add_format({**base, "diag_type": 2, "align": "left"})
        self.cell = wb.add_format(base)
        self.label = wb.add_format({**base, "align": "left"})
        self.total = wb.add_format({**base, "bold": True})


def _grid_sheet(wb: xlsxwriter.Workbook, fm: _Formats, table: SummaryTable, name: str, by_branch: bool) -> None:
    form = table.form
    ws = wb.add_worksheet(name)
    ncols = 1 + len(form.columns)
    depth = len(form.columns[0].path)
    ws.merge_range(0, 0, 0, ncols - 1, form.title, fm.title)
    half = max(1, ncols // 2)
    ws.merge_range(1, 0, 1, half - 1, f"填报单位（盖章）：{safe_text(table.org_name)}", fm.meta)
    ws.merge_range(1, half, 1, ncols - 1, f"填表日期：{table.as_of.year}年{table.as_of.month}月{table.as_of.day}日",
                   fm.meta_right)
    top = 2
    if by_branch:
        corner, corner_fmt = BRANCH_KEY, fm.head
    elif len(form.corner) == 2:  # the seed's diagonal corner: 项目 top right, 群体 bottom left
        corner, corner_fmt = f"{'　' * 6}{form.corner[0]}\n\n{form.corner[1]}", fm.corner
    else:
        corner, corner_fmt = "".join(form.corner), fm.head
    ws.merge_range(top, 0, top + depth - 1, 0, corner, corner_fmt) if depth > 1 else ws.write(top, 0, corner, fm.head)
    for cell in header_cells([c.path for c in form.columns], col_offset=1):
        if (cell.first_row, cell.first_col) == (cell.last_row, cell.last_col):
            ws.write(top + cell.first_row, cell.first_col, cell.text, fm.head)
        else:
            ws.merge_range(top + cell.first_row, cell.first_col, top + cell.last_row, cell.last_col, cell.text, fm.head)
    r = top + depth
    rows = table.by_branch if by_branch else table.rows
    for label, values in rows:
        ws.write(r, 0, safe_text(label), fm.label)
        for i, c in enumerate(form.columns, start=1):
            ws.write_number(r, i, int(values.get(c.key) or 0), fm.cell)
        r += 1
    if len(rows) != 1 or by_branch:
        ws.write(r, 0, TOTAL_LABEL, fm.total)
        for i, c in enumerate(form.columns, start=1):
            ws.write_number(r, i, int(table.total.get(c.key) or 0), fm.total)
        r += 1
    r += 1
    if table.supplement:
        ws.merge_range(r, 0, r, half - 1, table.supplement, fm.meta)
    ws.merge_range(r, half, r, ncols - 1, form.footer, fm.meta)
    ws.set_column(0, 0, 22)
    ws.set_column(1, ncols - 1, 4.5 if ncols > 20 else 8)
    for hr in range(top, top + depth):
        ws.set_row(hr, 60 if ncols > 20 else 36)
    ws.set_paper(9)            # A4
    ws.set_landscape()
    ws.fit_to_pages(1, 0)      # fit the width, as many pages down as needed
    ws.repeat_rows(top, top + depth - 1)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)


def write_xlsx(table: SummaryTable, out: Path | BinaryIO) -> None:
    """The node's table, the per-branch table and the notes, as the seed prints them (A4 landscape)."""
    table.check()
    wb = xlsxwriter.Workbook(out if isinstance(out, (str, Path)) else out, {"in_memory": True})
    fm = _Formats(wb)
    _grid_sheet(wb, fm, table, SHEET_MAIN, by_branch=False)
    _grid_sheet(wb, fm, table, SHEET_BRANCHES, by_branch=True)
    ws = wb.add_worksheet(SHEET_NOTES)
    ws.write_row(0, 0, ["党组织", "姓名", "说明"], fm.head)
    for i, note in enumerate(table.notes, start=1):
        ws.write_row(i, 0, [safe_text(note.branch), safe_text(note.member), note.text], fm.label)
    if not table.notes:
        ws.write(1, 0, "无", fm.label)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 12)
    ws.set_column(2, 2, 60)
    ws.set_paper(9)
    ws.repeat_rows(0, 0)
    wb.close()
