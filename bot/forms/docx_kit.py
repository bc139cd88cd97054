"""python-docx building blocks for the per-member forms: A4 pages, the seed's boxed tables with merged
cells, check boxes, and signature / stamp blocks left blank for ink.

A form table is declared as rows of `Cell`s on a fixed grid: `span` columns wide, `down` rows tall
(vertical merges such as the 记录表's 照片 box). The renderer merges them with python-docx's `merge`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from bot.forms.cells import clean_text

FONT = "宋体"
MIN_ROW_CM = 0.75          # room to write by hand in a blank cell


@dataclass(frozen=True)
class Cell:
    text: str = ""
    span: int = 1
    down: int = 1
    bold: bool = False
    align: str = "center"        # "center" | "left"
    height: float | None = None  # minimum row height in cm (the row takes the largest)


def label(text: str, span: int = 1, down: int = 1) -> Cell:
    return Cell(text, span, down, bold=False, align="center")


def value(text: Any, span: int = 1, down: int = 1, align: str = "left", height: float | None = None) -> Cell:
    return Cell(clean_text(text), span, down, align=align, height=height)


def new_document(landscape: bool = False) -> Any:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.8))
    section.top_margin, section.bottom_margin = Cm(1.8), Cm(1.6)
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    style.paragraph_format.space_after = Pt(0)
    return doc


def _font(run: Any, size: float | None = None, bold: bool = False) -> None:
    run.font.name = FONT
    run._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)  # noqa: SLF001 (python-docx has no API for East Asian fonts)
    if size:
        run.font.size = Pt(size)
    run.bold = bold


def title(doc: Any, text: str, size: float = 16) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(8)
    _font(p.add_run(text), size, bold=True)


def line(doc: Any, text: str, align: str = "left", size: float | None = None) -> None:
    p = doc.add_paragraph()
    p.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT,
                   "center": WD_ALIGN_PARAGRAPH.CENTER}[align]
    _font(p.add_run(text), size)


def page_break(doc: Any) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _set_text(c: Any, spec: Cell) -> None:
    c.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    lines = spec.text.split("\n") if spec.text else [""]
    first = c.paragraphs[0]
    for i, text in enumerate(lines):
        p = first if i == 0 else c.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER if spec.align == "center" else (
            WD_ALIGN_PARAGRAPH.RIGHT if spec.align == "right" else WD_ALIGN_PARAGRAPH.LEFT)
        if text:
            _font(p.add_run(text), bold=spec.bold)


def form_table(doc: Any, widths_cm: Sequence[float], rows: Sequence[Sequence[Cell]]) -> Any:
    """A bordered table on a grid of len(widths_cm) columns; each row's cells fill the grid left to right,
    skipping positions covered by a cell above that reaches down (`down` > 1)."""
    ncols = len(widths_cm)
    table = doc.add_table(rows=len(rows), cols=ncols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for i, w in enumerate(widths_cm):   # the grid (LibreOffice lays out by it) and each cell (Word does)
        table.columns[i].width = Cm(w)
    for row in table.rows:            # widths before merging: a merged cell's width is the sum of its parts
        for i, w in enumerate(widths_cm):
            row.cells[i].width = Cm(w)
    covered: set[tuple[int, int]] = set()
    for r, specs in enumerate(rows):
        c = 0
        height = max([MIN_ROW_CM, *((s.height or 0) for s in specs)])
        table.rows[r].height = Cm(height)      # at least: a row still grows with its text
        for spec in specs:
            while (r, c) in covered:
                c += 1
            if c >= ncols:
                raise ValueError(f"row {r} overflows the grid")
            first = table.cell(r, c)
            last = table.cell(r + spec.down - 1, c + spec.span - 1)
            merged = first.merge(last) if (spec.span > 1 or spec.down > 1) else first
            _set_text(merged, spec)
            for dr in range(spec.down):
                for dc in range(spec.span):
                    covered.add((r + dr, c + dc))
            c += spec.span
    return table


def signature(role_line: str, stamp: str | None = None, date_line: str = "年    月    日") -> str:
    """A signature / stamp block: the role's line, the stamp's place and the date, left blank for ink."""
    parts = [role_line]
    if stamp:
        parts.append(stamp)
    parts.append(date_line)
    return "\n".join(parts)
