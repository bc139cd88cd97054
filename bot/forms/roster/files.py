"""Opening a roster file as secretaries bring it: .xlsx, .xls, .csv or "Unicode text", every sheet.

The file's bytes decide how it is read, not only its name: an .xls renamed .xlsx still opens, and what
cannot be read gets a sentence a secretary can act on (save as .xlsx, remove the password, the file is
damaged) rather than an exception's name.
"""

from __future__ import annotations

import csv
import io
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from bot.domain.errors import DomainError
from bot.forms.roster.columns import SHEET_NOTES
from bot.forms.roster.headers import NO_HEADER, Header, data_rows, locate_header, missing_required
from bot.i18n import N_

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # Compound File: .xls, .et, or an encrypted .xlsx
ZIP_MAGIC = b"PK\x03\x04"
# Formats that only their own program reads: (suffix, what it is, how to save it as .xlsx).
SAVE_AS = {
    ".et": ("WPS 表格 (.et)", "WPS 表格"), ".ett": ("WPS 表格模板 (.ett)", "WPS 表格"),
    ".ods": ("OpenDocument (.ods)", "WPS 表格、LibreOffice 或 Excel"), ".numbers": ("Numbers (.numbers)", "Numbers"),
    ".xlsb": ("Excel 二进制工作簿 (.xlsb)", "Excel"), ".wps": ("WPS 文字 (.wps)", "WPS"),
}
SAVE_AS_XLSX = N_("{file} is a {kind} file, which cannot be read here: open it in {program}, choose 另存为"
                  " (Save As), pick the type “Excel 工作簿 (*.xlsx)”, and import the new .xlsx file")
PASSWORD = N_("{file} is protected by a password: open it in Excel or WPS with the password, remove the password"
              " (文件 › 信息 › 保护工作簿 › 用密码进行加密: clear it), save, and import it again")
HIDDEN = N_("hidden in the workbook, not read: unhide it (right-click a sheet tab › 取消隐藏) to import it")
DAMAGED = N_("{file} is damaged or incomplete and cannot be opened: open it in Excel or WPS and save it again"
             " as .xlsx, or ask for the file again")


@dataclass
class Sheet:
    """One sheet of a roster file: its header and data rows, or why it is not read."""

    name: str | None                          # None for a text file
    header: Header | None = None
    problem: DomainError | None = None        # no roster header, or refused (see `refused`)
    total_rows: int | None = None             # an upper bound on the data rows, for a progress bar
    rows: Iterator[tuple[int, dict[str, Any]]] = field(default_factory=lambda: iter(()))

    @property
    def refused(self) -> bool:
        """A roster header was found but the sheet cannot be read safely (not merely a sheet of notes)."""
        return self.problem is not None and self.problem.message not in (NO_HEADER, HIDDEN)

    @property
    def hidden(self) -> bool:
        return self.problem is not None and self.problem.message == HIDDEN


def _sheet(name: str | None, rows: Iterator[tuple], declared: int | None) -> Sheet:
    try:
        header, first = locate_header(rows)
    except DomainError as exc:
        return Sheet(name, problem=exc)
    missing = missing_required(header)
    if missing:
        return Sheet(name, header, DomainError(
            N_("Not read: the columns {ignored} were not understood, and there is no column {missing}: members"
               " would be stored without it (or as 预备党员). Head the columns as the template does (入党时间,"
               " 转正时间) and import again"), field="file", ignored="、".join(header.ignored), missing="、".join(missing)))
    total = max(declared - header.last_row, 0) if declared else None
    return Sheet(name, header, None, total, data_rows(rows, header.last_row + 1, header.columns, first))


def _damaged(path: Path) -> DomainError:
    return DomainError(DAMAGED, field="file", file=path.name)


@contextmanager
def open_roster(path: str | Path) -> Iterator[Iterator[Sheet]]:
    """Open a roster file; yields its sheets one by one. Raises DomainError for a file that cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in SAVE_AS:
        kind, program = SAVE_AS[suffix]
        raise DomainError(SAVE_AS_XLSX, field="file", file=path.name, kind=kind, program=program)
    if suffix not in (".xlsx", ".xlsm", ".xls", ".csv", ".txt", ".tsv"):
        raise DomainError(N_("Unsupported file type {suffix}: use .xlsx, .xls or .csv"), field="file",
                          suffix=suffix or "?")
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(ZIP_MAGIC):   # a workbook whatever its name says (a .csv renamed from .xlsx …)
        with _open_xlsx(path) as sheets:
            yield sheets
    elif magic == OLE_MAGIC:
        yield _open_xls(path)
    elif suffix in (".csv", ".txt", ".tsv"):
        yield iter([_open_text(path)])
    else:
        # An "Excel" file that is neither zip nor Compound File: a web page or text saved with an Excel name
        # (some systems export so), or a damaged file.
        try:
            sheet = _open_text(path)
        except DomainError as exc:
            if exc.message == SAVE_AS_XLSX:
                raise
            raise _damaged(path) from None
        if sheet.header is None:
            raise _damaged(path)
        yield iter([sheet])


@contextmanager
def _open_xlsx(path: Path) -> Iterator[Iterator[Sheet]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if zf.testzip() is not None:
                raise _damaged(path)
    except zipfile.BadZipFile:
        raise _damaged(path) from None
    if "content.xml" in names and "xl/workbook.xml" not in names:
        kind, program = SAVE_AS[".ods"]
        raise DomainError(SAVE_AS_XLSX, field="file", file=path.name, kind=kind, program=program)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a zip that is not a workbook
        raise _damaged(path) from None

    def sheets() -> Iterator[Sheet]:
        for ws in wb.worksheets:
            if ws.title == SHEET_NOTES:
                continue
            if getattr(ws, "sheet_state", "visible") != "visible":
                yield Sheet(ws.title, problem=DomainError(HIDDEN, field="file"))
                continue
            declared = ws.max_row
            ws.reset_dimensions()   # some writers declare a wrong size; read every row there is
            yield _sheet(ws.title, ws.iter_rows(values_only=True), declared)

    try:
        yield sheets()
    finally:
        wb.close()


def _open_xls(path: Path) -> Iterator[Sheet]:
    import xlrd

    data = path.read_bytes()
    if "EncryptedPackage".encode("utf-16-le") in data:   # an encrypted .xlsx is a Compound File
        raise DomainError(PASSWORD, field="file", file=path.name)
    try:
        book = xlrd.open_workbook(file_contents=data)
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            raise DomainError(PASSWORD, field="file", file=path.name) from None
        raise _damaged(path) from None
    except Exception:
        raise _damaged(path) from None
    return (_sheet(sh.name, _xls_rows(book, sh), sh.nrows) if sh.visibility == 0 else
            Sheet(sh.name, problem=DomainError(HIDDEN, field="file")) for sh in book.sheets() if sh.name != SHEET_NOTES)


def _xls_rows(book: Any, sh: Any) -> Iterator[tuple]:
    import xlrd

    for r in range(sh.nrows):
        values: list[Any] = []
        for cell in sh.row(r):
            if cell.ctype == xlrd.XL_CELL_DATE:
                values.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
            elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                values.append(None)
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                values.append(bool(cell.value))
            else:
                values.append(cell.value)
        yield tuple(values)


def decode_text(data: bytes) -> str:
    """UTF-16 with a BOM (Excel's "Unicode text"), UTF-8 (with or without BOM), else GB18030 (Excel's "CSV")."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise DomainError(N_("The file is neither UTF-8, UTF-16 nor GB18030 text"), field="file") from None


def _open_text(path: Path) -> Sheet:
    text = decode_text(path.read_bytes())
    if text.lstrip().startswith("<"):
        # "Excel" files saved as a web page (.xls that is HTML): Excel opens them, nothing else should guess.
        raise DomainError(SAVE_AS_XLSX, field="file", file=path.name, kind="网页 (HTML)", program="Excel 或 WPS 表格")
    first: Sheet | None = None
    # Comma first (what Excel writes); tab ("Unicode text") and semicolon if no header shows up with commas.
    for delimiter in (",", "\t", ";"):
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        sheet = _sheet(None, iter(tuple(r) for r in records), len(records))
        if sheet.header is not None:
            return sheet
        first = first or sheet
    assert first is not None
    return first

