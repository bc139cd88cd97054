"""The xlsx writer: any FormDocument's sheets laid out as the seed prints them, ready to print.

XlsxWriter in constant-memory mode (a 100,000-member 名册 streams through a row at a time): every row is
written in order, so the header grid is written row by row and each merged range is registered on its
last row (XlsxWriter then only writes the cells of the current row; the earlier rows were written with
the label and the blank bordered cells already). Print set-up: A4, landscape when the table is wide,
header rows repeated on every page, fitted to the page width, centred, page numbers in the footer.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import IO, Any, Callable

import xlsxwriter

from bot.forms.cells import FORMULA_LEADS, cell, clean_text, zh_date
from bot.forms.model import FormDocument, HeaderCell, Meta, Row, SheetData, Table, counted, run_checks
from bot.forms.xlsx_sheet import RegisterSheet

FONT = "宋体"
NOTES_SHEET = "填表说明"
A4 = 9


class _Formats:
    def __init__(self, wb: Any):
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
        boxed = {**base, "border": 1, "text_wrap": True}
        self.title = wb.add_format({**base, "font_size": 16, "bold": True, "align": "center"})
        self.line = wb.add_format({**base, "align": "left"})
        self.line_right = wb.add_format({**base, "align": "right"})
        self.header = wb.add_format({**boxed, "bold": True, "align": "center"})
        self.text = wb.add_format({**boxed, "align": "left"})
        self.centre = wb.add_format({**boxed, "align": "center"})
        self.label = wb.add_format({**boxed, "align": "left", "bold": True})
        self.number = wb.add_format({**boxed, "align": "center", "num_format": "0"})
        self.total = wb.add_format({**boxed, "align": "center", "bold": True, "num_format": "0"})
        self.note = wb.add_format({**base, "text_wrap": True, "valign": "top"})
        self.note_head = wb.add_format({**base, "bold": True, "font_size": 12})


LINE_HEIGHT = 13.5      # points per line of 10-point text


def text_lines(text: str, width: float) -> int:
    """How many lines a label takes in a column `width` characters wide (a Chinese character is two)."""
    per_line = max(1, int(width - 1))
    lines = 0
    for part in text.split("\n"):
        units = len(part) if part.isascii() else sum(2 if ord(ch) > 0x2E7F else 1 for ch in part)
        lines += max(1, -(-units // per_line))
    return lines


# A register repeats its texts (work units, places): their line counts are worth remembering.
line_count = functools.lru_cache(maxsize=8192)(text_lines)
# A text whose first character is none of these, and which is printable, is its own clean_text().
RISKY_LEADS = frozenset(FORMULA_LEADS) | {" "}


def header_heights(cells: list[HeaderCell], widths: list[float], depth: int) -> list[float]:
    """Row heights for the header: each row tall enough for the labels that start in it (a label spanning
    several rows shares its lines among them). LibreOffice does not grow merged rows by itself."""
    lines = [1.0] * depth
    for hc in cells:
        width = sum(widths[hc.first_col:hc.last_col + 1])
        need = text_lines(hc.text, width) / (hc.last_row - hc.first_row + 1)
        for level in range(hc.first_row, hc.last_row + 1):
            lines[level] = max(lines[level], need)
    return [round(n * LINE_HEIGHT + 4, 1) for n in lines]


def _write_header(ws: Any, cells: list[HeaderCell], top: int, depth: int, fmt: Any, widths: list[float]) -> None:
    """Row by row (constant memory): each label in its top-left cell, blank bordered cells under the rest.

    The merges are then recorded on the sheet's merge list: XlsxWriter's merge_range() writes the whole
    block at once and so refuses, in constant-memory mode, a block starting on a row already flushed.
    """
    heights = header_heights(cells, widths, depth)
    for level in range(depth):
        r = top + level
        ws.set_row(r, heights[level])        # before the row's cells: constant memory writes rows in order
        for hc in cells:
            if not (hc.first_row <= level <= hc.last_row):
                continue
            for c in range(hc.first_col, hc.last_col + 1):
                if level == hc.first_row and c == hc.first_col:
                    ws.write_string(r, c, hc.text, fmt)
                else:
                    ws.write_blank(r, c, None, fmt)
    for hc in cells:
        if hc.merged:
            ws.merge.append([top + hc.first_row, hc.first_col, top + hc.last_row, hc.last_col])


def _line(ws: Any, r: int, ncols: int, text: str, fmt: Any, first: int = 0, last: int | None = None) -> None:
    last = ncols - 1 if last is None else last
    if last > first:
        ws.merge_range(r, first, r, last, text, fmt)
    else:
        ws.write_string(r, first, text, fmt)


def _meta_lines(table: Table, meta: Meta) -> tuple[str, str]:
    date_text = meta.date_text if meta.date_text is not None else zh_date(meta.filled_on)
    return f"{table.unit_label}{meta.unit}", f"{table.date_label}{date_text}"


def _write_table(wb: Any, f: _Formats, sheet: SheetData, meta: Meta, counter: list[int],
                 progress: Callable[[int, int | None], None] | None, total: int | None) -> None:
    table = sheet.table
    ws = wb.add_worksheet(table.sheet_name, worksheet_class=RegisterSheet)
    ncols, depth = len(table.columns), table.depth
    for i, c in enumerate(table.columns):
        ws.set_column(i, i, c.width)
    ws.set_paper(A4)
    ws.set_landscape() if table.landscape else ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.7)
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.repeat_rows(2, 1 + depth)
    ws.freeze_panes(2 + depth, table.label_columns)

    ws.set_row(0, 30)
    _line(ws, 0, ncols, table.title, f.title)
    unit, when = _meta_lines(table, meta)
    half = max(1, ncols // 2)
    _line(ws, 1, ncols, unit, f.line, 0, half - 1)
    if ncols > half:
        _line(ws, 1, ncols, when, f.line_right, half, ncols - 1)
    _write_header(ws, table.header_cells(), 2, depth, f.header, [c.width for c in table.columns])

    r = 2 + depth
    # Per-column formats decided once; the loop below runs for every cell of a 100,000-line register, so
    # it does the least it can per cell (measured by bench/export_bench.py against bare XlsxWriter).
    data_fmts = [f.centre if (c.number or c.width <= 7) else f.text for c in table.columns]
    label_fmts = [f.label if i < table.label_columns else fmt for i, fmt in enumerate(data_fmts)]
    widths = [c.width for c in table.columns]
    # A text no longer than these fits on one line: any text (a CJK character is two units) / ASCII text.
    sure_fit = [(w - 1) / 2 for w in widths]
    ascii_fit = [w - 1 for w in widths]
    write_string, write_number, write_blank = ws.write_string, ws.write_number, ws.write_blank
    for row in counted(sheet.rows, counter, progress, total):
        fmts = data_fmts if row.kind == "data" else label_fmts
        lines = 1
        for i, value in enumerate(row.values):
            if value.__class__ is not str:
                value = cell(value)
                if value.__class__ is not str:
                    write_number(r, i, value, f.total if row.kind == "total" else f.number)
                    continue
            if not value:
                write_blank(r, i, None, fmts[i])
                continue
            if value[0] in RISKY_LEADS or not value.isprintable():
                value = clean_text(value)        # the rare text that needs it: same result as for every text
            write_string(r, i, value, fmts[i])
            # Long text wraps: the row gets the height of its tallest cell (LibreOffice keeps the default
            # height of rows written without one).
            size = len(value)
            if size > sure_fit[i] and (size > ascii_fit[i] or "\n" in value or not value.isascii()):
                lines = max(lines, line_count(value, widths[i]))
        if lines > 1:
            ws.set_row(r, lines * LINE_HEIGHT + 2)   # the row is still the current one: not flushed yet
        r += 1
    if table.supplement:
        _line(ws, r, ncols, table.supplement, f.line)
        r += 1
    if table.footer:
        values = {"填表人：": meta.preparer, "联系电话：": meta.phone}
        text = "        ".join(label + values.get(label, "") for label in table.footer)
        _line(ws, r, ncols, text, f.line_right)


def _write_notes(wb: Any, f: _Formats, tables: list[Table]) -> None:
    ws = wb.add_worksheet(NOTES_SHEET)
    ws.set_column(0, 0, 100)
    ws.set_paper(A4)
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    r = 0
    seen: set[str] = set()
    for table in tables:
        if not (table.notes or table.code_tables) or table.title in seen:
            continue
        seen.add(table.title)
        ws.write_string(r, 0, f"《{table.title}》填表说明", f.note_head)
        r += 1
        for note in table.notes:
            ws.write_string(r, 0, note, f.note)
            r += 1
        for heading, enum in table.code_tables:
            r += 1
            ws.write_string(r, 0, heading, f.note_head)
            r += 1
            for m in enum:
                ws.write_string(r, 0, f"{m.mark}{m.zh}", f.note)
                r += 1
        r += 1


def write_xlsx(doc: FormDocument, target: str | Path | IO[bytes],
               progress: Callable[[int, int | None], None] | None = None) -> int:
    """Write every sheet of the document and the 填表说明 sheet; return the number of data rows written.

    Tables with identities are materialised and checked first: a failed check raises before the file exists.
    """
    sheets = []
    for s in doc.sheets:
        if s.table.checks:
            rows = list(s.rows)
            run_checks(s.table, rows)
            s = SheetData(s.table, rows)
        sheets.append(s)
    options = {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
               "strings_to_urls": False}
    if not isinstance(target, (str, Path)):
        options["in_memory"] = True
    wb = xlsxwriter.Workbook(str(target) if isinstance(target, Path) else target, options)
    wb.set_properties({"title": doc.title, "subject": doc.scope_name, "author": "branchbot"})
    f = _Formats(wb)
    counter = [0]
    try:
        for s in sheets:
            _write_table(wb, f, s, doc.meta, counter, progress, doc.row_count)
        _write_notes(wb, f, [s.table for s in sheets])
    finally:
        wb.close()
    return counter[0]


__all__ = ["write_xlsx", "Row"]
