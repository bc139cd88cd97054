"""RegisterSheet writes exactly the XML XlsxWriter writes for the same cells, and takes its short path for
the plain ones (bot/forms/xlsx_sheet.py)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from bot.forms.xlsx_sheet import RegisterSheet

AWKWARD = [
    "王X明", "33010619850312001X", "XX创意园XX有限公司", "", "a", "1985.03",
    "A & B", "<b>", 'say "hi"', "x > y", "line\nbreak", " leading", "trailing ", "\tTab", "tab\t",
    "_x0041_", "snake_case", "ctrl\x01char", "bell\x07", "\x1f", "nonchar\ufffe", "\uffff",
    "'=HYPERLINK(1)", "全角　空格", "\u3000lead", "emoji 😀", "a" * 40, "长" * 30, "<r>rich-looking</r>",
]
NUMBERS = [0, 1, -7, 3.5, 1e20, 12345678901234567, 0.1 + 0.2]


def sheet_xml(path: Path, worksheet_class: type | None) -> bytes:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("名册", worksheet_class=worksheet_class)
    boxed = wb.add_format({"border": 1, "text_wrap": True, "font_name": "宋体"})
    bold = wb.add_format({"bold": True})
    r = 0
    for text in AWKWARD:
        ws.write_string(r, 0, text, boxed)          # formatted: the short path when plain
        ws.write_string(r, 1, text)                 # unformatted: always XlsxWriter's own path
        ws.write_string(r, 2, text, bold)
        ws.write_blank(r, 3, None, boxed)
        r += 1
    for n in NUMBERS:
        ws.write_number(r, 0, n, boxed)
        ws.write_number(r, 1, n)
        ws.write_blank(r, 2, None)                  # an unformatted blank is not written at all
        r += 1
    ws.set_row(r, 40)
    ws.write_string(r, 5, "tall row", boxed)
    wb.close()
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml")


def test_the_sheet_xml_is_byte_for_byte_xlsxwriters(tmp_path: Path) -> None:
    stock = sheet_xml(tmp_path / "stock.xlsx", None)
    ours = sheet_xml(tmp_path / "ours.xlsx", RegisterSheet)
    assert "王X明".encode() in ours and b"_x0001_" in ours and b'xml:space="preserve"' in ours
    assert ours == stock


def test_plain_formatted_cells_skip_the_general_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    general: list[str] = []
    original = Worksheet._write_cell

    def counting(self, row, col, cell):  # noqa: ANN001
        general.append(cell.__class__.__name__)
        return original(self, row, col, cell)

    monkeypatch.setattr(Worksheet, "_write_cell", counting)
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), {"constant_memory": True})
    ws = wb.add_worksheet(worksheet_class=RegisterSheet)
    fmt = wb.add_format({"border": 1})
    ws.write_string(0, 0, "王X明", fmt)
    ws.write_number(0, 1, 7, fmt)
    ws.write_blank(0, 2, None, fmt)
    ws.write_string(1, 0, "A & B", fmt)     # needs escaping: XlsxWriter's path
    ws.write_string(1, 1, "plain")           # no format: XlsxWriter's path
    wb.close()
    assert general == ["String", "String"]
