"""Writing a built form to a file in the requested format, and the file's name."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import IO, Callable

from bot.forms.csvout import write_csv
from bot.forms.docx_out import write_docx
from bot.forms.model import FormDocument
from bot.forms.xlsx import write_xlsx

FORMATS = ("xlsx", "csv", "docx")
MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv": "text/csv",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
_UNSAFE = '\\/:*?"<>|\n\r\t'


def write_form(doc: FormDocument, fmt: str, target: str | Path | IO[bytes],
               progress: Callable[[int, int | None], None] | None = None) -> int:
    """Write the document; return the number of rows (registers) or records (per-member forms) written."""
    if fmt == "xlsx":
        return write_xlsx(doc, target, progress)
    if fmt == "csv":
        if doc.records is not None and not doc.sheets:
            raise ValueError("a per-member form without a table has no csv")
        return write_csv(doc, target, progress=progress)
    if fmt == "docx":
        return write_docx(doc, target, progress)
    raise ValueError(fmt)


def filename(title: str, scope_name: str, as_of: date, fmt: str) -> str:
    """支部党员名册-创意园党支部-2026-12-01.xlsx: the official title, the scope, the 填表日期."""
    parts = ["".join(title.split()), "".join(scope_name.split()), as_of.isoformat()]
    name = "-".join(p for p in parts if p)
    name = "".join("_" if ch in _UNSAFE else ch for ch in name)
    return f"{name}.{fmt}"
