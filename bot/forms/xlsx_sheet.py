"""The worksheet class the forms write with: XlsxWriter's own, with a shorter path for the plain cells.

A 100,000-member 名册 is 1.3 million cells, and in constant-memory mode XlsxWriter spends most of the
export in its per-cell XML writer: for every text it runs two control-character substitutions, a
whitespace search and an escape search, and builds and escapes an attribute list. Almost every cell of a
register is a formatted text with none of what those steps look for, so `RegisterSheet` writes those
(and formatted blanks and numbers) in one f-string, and hands every other cell to XlsxWriter unchanged.

It plugs in through `Workbook.add_worksheet(worksheet_class=…)`, the subclassing hook XlsxWriter documents.
The XML it writes is byte for byte what XlsxWriter writes for the same cell:
tests/test_forms_xlsx_sheet.py compares the two sheets over every kind of awkward text, so an XlsxWriter
release that changes its cell XML fails that test rather than the forms.
"""

from __future__ import annotations

import re
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple, Worksheet

# Anything XlsxWriter would escape or mark in an inline string: XML specials and the quote and line feed
# its escape search looks for, control characters, "_" (its _xHHHH_ escape of the escape), the two
# non-characters, and leading or trailing whitespace (xml:space="preserve").
_NEEDS_LIBRARY = re.compile('["&<>\n\x00-\x1f_\ufffe\uffff]|^\\s|\\s$')
_STRING, _BLANK, _NUMBER = CellStringTuple, CellBlankTuple, CellNumberTuple


class RegisterSheet(Worksheet):
    """A Worksheet whose plain, formatted cells are written without the general path's per-cell steps."""

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        fmt = cell.format
        if fmt is not None and self.constant_memory:
            kind = cell.__class__
            if kind is _STRING:
                text = cell.string
                if not _NEEDS_LIBRARY.search(text):
                    self.fh.write(f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{fmt._get_xf_index()}"'
                                  f' t="inlineStr"><is><t>{text}</t></is></c>')
                    return
            elif kind is _BLANK:
                self.fh.write(f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{fmt._get_xf_index()}"/>')
                return
            elif kind is _NUMBER:
                self.fh.write(f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{fmt._get_xf_index()}">'
                              f'<v>{cell.number:.16G}</v></c>')
                return
        super()._write_cell(row, col, cell)
