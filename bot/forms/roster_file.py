"""The 支部党员名册 (seed 000): a blank template to fill in, and a reader for filled-in rosters.

The first thirteen columns are the seed's roster exactly; the further columns carry what the
campaign needs to know besides (last 组织生活 and 党费, 党内职务, 职业 …). The headers and the
填表说明 sheet are the official form's wording, so they are written in Chinese here, like the `.zh`
labels of the code tables (they are form text, not interface messages).

The reader matches headers by name, not position, and tolerates the spacing and line breaks of
the printed form ("姓 名", "出生\\n年月"), a title row above the header, .xlsx and .csv
(UTF-8 with or without BOM, or GB18030).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from bot.domain.codes import CodedEnum, Education, Gender, MemberType, Occupation, PartyPost
from bot.domain.errors import DomainError
from bot.i18n import N_

SHEET_ROSTER = "支部党员名册"
SHEET_NOTES = "填表说明"
HEADER_SEARCH_ROWS = 20
NO_HEADER = N_("No header row found: the first rows must name the columns, such as 姓名 and 身份证号码")


@dataclass(frozen=True)
class RosterColumn:
    key: str
    header: str                          # the official header, as the template writes it
    note: str                            # what the 填表说明 sheet says about the column
    example: str = ""
    aliases: tuple[str, ...] = ()        # other headers seen on rosters in the wild
    codes: type[CodedEnum] | None = None  # the code table the column takes
    text: bool = False                   # formatted as text, so Excel keeps every digit
    width: int = 12


COLUMNS: tuple[RosterColumn, ...] = (
    # The seed's 支部党员名册, in its order.
    RosterColumn("seq", "序号", "行号，可不填；导入时忽略。", "1", width=6),
    RosterColumn("name", "姓名", "必填。与本人身份证上的姓名一致。", "王XX", ("姓名（必填）",), width=10),
    RosterColumn("gender", "性别", "男 或 女；不填时按身份证号码第17位确定，填写时须与身份证号码一致。", "男",
                 codes=Gender, width=6),
    RosterColumn("ethnicity", "民族", "如：汉族。", "汉族", width=8),
    RosterColumn("native_place", "籍贯", "本人祖居所在地，填到区县一级。", "浙江省XX县"),
    RosterColumn("birth", "出生年月", "可只填年月；须与身份证号码中的出生年月一致。不填时取身份证号码中的出生日期。",
                 "1985.03", ("出生日期",), text=True, width=10),
    RosterColumn("education", "学历", "国家认可的最高学历，见学历代码表；也可填写大专、本科、硕士、博士等常见写法。",
                 "大学本科", codes=Education, width=10),
    RosterColumn("id_number", "身份证号码", "18位公民身份号码（旧15位号码自动升位），末位校验码须正确；同一号码不得重复。"
                 "请以文本格式填写，以免Excel丢失位数。", "33010619850312001X", ("身份证号", "公民身份号码"),
                 text=True, width=21),
    RosterColumn("joined", "入党时间", "成为预备党员的时间，须在年满18周岁之后。", "2008.07", ("入党日期",),
                 text=True, width=10),
    RosterColumn("confirmed", "转正时间", "须晚于入党时间。不填且“党员类型”未填“正式”的，按预备党员登记。", "2009.07",
                 ("转正日期",), text=True, width=10),
    RosterColumn("work_unit", "工作单位", "当前工作或学习单位全称（可含职务）；离退休或无职业的可填原工作单位。",
                 "XX创意园", ("工作单位及职务", "工作单位及职务（职称）", "现工作（学习）单位", "现工作单位"), width=20),
    RosterColumn("mobile", "联系电话", "本人手机号码，11位，以13–19开头；可带 +86。", "13800000000",
                 ("手机号码", "手机", "联系方式"), text=True, width=14),
    RosterColumn("remarks", "备注", "“口袋党员”、外出流动、出国（境）等特殊情况在此注明。", "", width=20),
    # Further columns the campaign needs (登记表 and the lost-contact registers).
    RosterColumn("last_meeting", "最近参加组织生活日期", "最近一次参加党组织生活的日期，不得晚于今天；失联时间由此起算。",
                 "2026-10-15", ("最近参加组织生活时间",), text=True, width=14),
    RosterColumn("last_dues", "最近交纳党费日期", "最近一次交纳党费的日期，不得晚于今天。", "2026-10-15",
                 ("最近交纳党费时间",), text=True, width=14),
    RosterColumn("party_post", "党内职务", "书记、副书记、常委、委员、候补委员；无则不填。", "", codes=PartyPost),
    RosterColumn("occupation", "职业", "按职业代码表填写代码（①–⑧或1–8）或名称。", "", codes=Occupation, width=14),
    RosterColumn("member_type", "党员类型", "正式 或 预备（也可填“正式党员”“预备党员”）；不填时按是否有转正时间确定。",
                 "正式", codes=MemberType, width=10),
    RosterColumn("household_register", "户籍所在地", "户籍所在的具体地址，一般不多于32个汉字。", "浙江省XX县XX镇XX村",
                 width=24),
    RosterColumn("residence", "实际居住地址", "目前长期居住的地址。", "杭州市XX区XX路XX号", ("现居住地", "现居住地址"),
                 width=24),
    RosterColumn("other_contacts", "其他联系方式", "工作单位电话、家庭电话、微信号、QQ号、电子信箱等。", "微信 wangxx",
                 width=18),
)

SEED_HEADERS = tuple(c.header for c in COLUMNS[:13])
BY_KEY = {c.key: c for c in COLUMNS}

DATE_FORMS = (
    "年月：1985.03、1985-03、1985/3、1985年3月、198503",
    "完整日期：1985-03-12、1985/3/12、1985.03.12、1985年3月12日、19850312",
    "Excel日期单元格亦可。年月写成数字时（如 1985.10）按“年.月”读取。",
    "只填年月的，日期按当月1日记；出生年月只比对年和月。",
)


def normalize_header(text: Any) -> str:
    """A header without spacing, line breaks or width differences: "姓 名" and "出生\\n年月" match."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    s = "".join(s.split())
    return s.strip("*:：")


_LOOKUP: dict[str, str] = {}
for _col in COLUMNS:
    for _name in (_col.header, *_col.aliases):
        _LOOKUP.setdefault(normalize_header(_name), _col.key)


def column_for(header: Any) -> str | None:
    """The column key a header names, or None."""
    return _LOOKUP.get(normalize_header(header))


# --- the template -------------------------------------------------------------------------------------

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
                        ("职业", Occupation)):
        ws.append([])
        ws.append([f"{title} 代码表", "代码", "名称", "亦可填写"])
        for cell in ws[ws.max_row]:
            cell.font = bold
        for m in enum:
            also = "正式" if m is MemberType.FULL else "预备" if m is MemberType.PROBATIONARY else ""
            ws.append(["", m.mark if enum is Occupation else m.code, m.zh, also or m.value])


# --- reading ------------------------------------------------------------------------------------------

@dataclass
class Roster:
    """A roster opened for reading: which column holds what, and the data rows (row number, values)."""

    columns: dict[int, str]                  # position → column key
    header_row: int
    ignored: list[str] = field(default_factory=list)   # headers we do not know (left out)
    total_rows: int | None = None            # an upper bound on the data rows, for a progress bar
    rows: Iterator[tuple[int, dict[str, Any]]] = field(default_factory=lambda: iter(()))


@contextmanager
def open_roster(path: str | Path) -> Iterator[Roster]:
    """Open a .xlsx or .csv roster. Raises DomainError for a file that is not one."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        with _open_xlsx(path) as roster:
            yield roster
    elif suffix in (".csv", ".txt"):
        yield _open_csv(path)
    else:
        raise DomainError(N_("Unsupported file type {suffix}: use .xlsx or .csv"), field="file",
                          suffix=suffix or "?")


def _locate_header(rows: Iterator[tuple[Any, ...]]) -> tuple[int, dict[int, str], list[str], list[tuple]]:
    """Find the header row among the first rows (a title row may sit above it)."""
    seen: list[tuple] = []
    for number, values in enumerate(rows, start=1):
        seen.append(values)
        keys = {i: column_for(v) for i, v in enumerate(values) if v is not None and str(v).strip()}
        known = {i: k for i, k in keys.items() if k}
        if "name" in known.values() and len(known) >= 2:
            columns: dict[int, str] = {}
            for i, key in known.items():
                if key in columns.values():
                    raise DomainError(N_("The column {column} appears twice in the header"), field="file",
                                      column=BY_KEY[key].header)
                columns[i] = key
            ignored = [" ".join(str(values[i]).split()) for i, k in keys.items() if not k]
            return number, columns, ignored, seen
        if number >= HEADER_SEARCH_ROWS:
            break
    raise DomainError(NO_HEADER, field="file")


def _data_rows(rows: Iterator[tuple[Any, ...]], start: int, columns: dict[int, str]
               ) -> Iterator[tuple[int, dict[str, Any]]]:
    positions = sorted(columns.items())
    for number, values in enumerate(rows, start=start):
        record: dict[str, Any] = {}
        filled = False
        n = len(values)
        for i, key in positions:
            value = values[i] if i < n else None
            if isinstance(value, str):
                value = value.strip() or None
            if value is not None:
                record[key] = value
                filled = filled or key != "seq"
        if filled:   # blank (or numbered-only) rows of the template are skipped
            yield number, record


@contextmanager
def _open_xlsx(path: Path) -> Iterator[Roster]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise DomainError(N_("Cannot read {file} as an .xlsx workbook ({reason})"), field="file",
                          file=path.name, reason=type(exc).__name__) from None
    try:
        problem: DomainError | None = None
        for ws in wb.worksheets:
            if getattr(ws, "sheet_state", "visible") != "visible" or ws.title == SHEET_NOTES:
                continue
            declared = ws.max_row
            ws.reset_dimensions()   # some writers declare a wrong size; read every row there is
            rows = ws.iter_rows(values_only=True)
            try:
                header_row, columns, ignored, _ = _locate_header(rows)
            except DomainError as exc:
                problem = problem or exc
                continue
            total = max(declared - header_row, 0) if declared else None
            yield Roster(columns, header_row, ignored, total, _data_rows(rows, header_row + 1, columns))
            return
        raise problem or DomainError(NO_HEADER, field="file")
    finally:
        wb.close()


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (what Excel in Chinese saves as "CSV")."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise DomainError(N_("The file is neither UTF-8 nor GB18030 text"), field="file") from None


def _open_csv(path: Path) -> Roster:
    text = decode_text(path.read_bytes())
    problem: DomainError | None = None
    # Comma first (what Excel writes); tab and semicolon only if no header row shows up with commas.
    for delimiter in (",", "\t", ";"):
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        rows = iter(tuple(r) for r in records)
        try:
            header_row, columns, ignored, _ = _locate_header(rows)
        except DomainError as exc:
            problem = problem or exc
            continue
        return Roster(columns, header_row, ignored, len(records) - header_row,
                      _data_rows(rows, header_row + 1, columns))
    assert problem is not None
    raise problem
