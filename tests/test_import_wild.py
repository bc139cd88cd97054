"""Rosters as secretaries really bring them (issue 14): two-row headers, several sheets, total rows, numbers
typed into General cells, landlines, short 民族 and 学历 forms, .xls, Unicode text, and files that cannot be
read. Each test asserts what is stored AND what is said. All people fictional (王XX, 李X明, 陈XX …).
"""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from test_import import (CHEN, LI, SEED_HEADER, WANG, branch, cli, count, good_rows, make_id,  # noqa: F401
                         records, write_xlsx)

# The seed header with 入党时间 / 转正时间 under a group 党籍信息 (positions 8 and 9).
GROUPED_TOP = ["序号", "姓名", "性别", "民族", "籍贯", "出生年月", "学历", "身份证号码", "党籍信息", None, "工作单位",
               "联系电话", "备注"]


def grouped_workbook(path: Path, leaves: tuple[str, str] = ("入党时间", "转正时间"), rows: list | None = None) -> Path:
    """A printed roster's header: 党籍信息 merged over two leaves, every other header merged down two rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = "支部党员名册"
    ws.append(["支部党员名册"])
    ws.append(GROUPED_TOP)
    ws.append([None] * 8 + list(leaves) + [None] * 3)
    for col in range(1, 14):
        if col in (9, 10):
            continue
        ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
    ws.merge_cells(start_row=2, start_column=9, end_row=2, end_column=10)
    for r in rows if rows is not None else good_rows():
        ws.append(r)
    wb.save(path)
    return path


def run_import(cli, capsys, path: Path, branch_id: int, *extra: str) -> tuple[int, str]:
    code, out, err = cli("import", str(path), "--branch", str(branch_id), *extra, capsys=capsys)
    return code, out + err


# --- headers over two rows ------------------------------------------------------------------------------

def grouped_csv(path: Path) -> Path:
    """The same header saved as csv: the merged cells leave empty cells beside 党籍信息 and under the others."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["" if v is None else v for v in GROUPED_TOP])
        w.writerow([""] * 8 + ["入党时间", "转正时间"] + [""] * 3)
        w.writerows(good_rows())
    return path


def every_column_grouped(path: Path) -> Path:
    """Groups over every column (基本信息 over 姓名 …, 党籍信息 over the dates): the leaf row names them all."""
    wb = Workbook()
    ws = wb.active
    ws.append(["基本信息"] + [None] * 7 + ["党籍信息", None, "其他信息", None, None])
    ws.append(SEED_HEADER)
    ws.merge_cells("A1:H1")
    ws.merge_cells("I1:J1")
    ws.merge_cells("K1:M1")
    for r in good_rows():
        ws.append(r)
    wb.save(path)
    return path


@pytest.mark.parametrize("make", [lambda p: grouped_workbook(p / "grouped.xlsx"), lambda p: grouped_csv(p / "g.csv"),
                                  lambda p: every_column_grouped(p / "all.xlsx")], ids=["xlsx", "csv", "all-grouped"])
def test_a_group_header_over_two_leaves_is_read_as_its_leaves(cli, branch, tmp_path, capsys, make):
    code, out = run_import(cli, capsys, make(tmp_path), branch)
    assert code == 0, out
    got = records(cli.db)
    # 王XX: 入党 2008.07, 转正 2009.07 in the leaf columns → a full member with both dates.
    assert got["王XX"]["joined_on"] == "2008-07-01" and got["王XX"]["confirmed_on"] == "2009-07-01"
    assert got["王XX"]["member_type"] == "full"
    assert got["李X明"]["member_type"] == "probationary"      # no 转正时间 in her row
    assert "党籍信息" not in out                               # a group title, not a column left out


def test_leaves_not_understood_store_nobody_and_say_which_columns(cli, branch, tmp_path, capsys):
    path = grouped_workbook(tmp_path / "grouped.xlsx", leaves=("时间一", "时间二"))
    code, out = run_import(cli, capsys, path, branch)
    assert code == 1
    assert count(cli.db) == 0
    assert "党籍信息 › 时间一" in out and "入党时间" in out and "转正时间/党员类型" in out
    code, out = run_import(cli, capsys, path, branch, "--good-only")   # not even when asked: no row is good
    assert count(cli.db) == 0 and "Not read" in out


# --- several sheets -------------------------------------------------------------------------------------

def sheets_workbook(path: Path, sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> Path:
    """A workbook with these sheets (rows as given) in order; the `hidden` ones hidden."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
        if title in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


ZHOU = [1, "周XX", "女", "汉族", "", "1972.02", "初中", make_id("19720202", "072"), "1999.07", "2000.07", "", "", ""]


def test_every_sheet_with_a_roster_header_is_read_and_reported(cli, branch, tmp_path, capsys):
    zhao = [2, "赵XX", "男", "汉族", "", "1950.01", "高中", make_id("19500101", "051"), "1975.07", "1975.01", "", "", ""]
    path = sheets_workbook(tmp_path / "两个表.xlsx", {
        "在职党员": [SEED_HEADER, *good_rows()[:2]],
        "离退休党员": [SEED_HEADER, good_rows()[2], zhao],          # 赵XX: 转正 before 入党, an error on this sheet
        "说明": [["本名册由组织委员填写"]],
        "去年": [SEED_HEADER, ZHOU],
    }, hidden=("去年",))

    code, out = run_import(cli, capsys, path, branch)
    assert code == 1 and count(cli.db) == 0
    assert "Sheet 离退休党员, row 3, 转正时间:" in out
    assert "Sheet 在职党员: 2 rows read, 0 with errors" in out
    assert "Sheet 离退休党员: 2 rows read, 1 with errors" in out
    assert "Sheet 说明: no roster header" in out
    assert "Sheet 去年: hidden in the workbook, not read" in out      # said, never silently left out
    code, out = run_import(cli, capsys, path, branch, "--good-only")
    assert code == 0, out
    assert set(records(cli.db)) == {"王XX", "李X明", "陈XX"}      # 陈XX from the second sheet; not 周XX


def test_a_roster_only_on_a_hidden_sheet_is_named(cli, branch, tmp_path, capsys):
    path = sheets_workbook(tmp_path / "hidden.xlsx", {"封面": [["创意园党支部 2026年党员名册"]],
                                                      "名册": [SEED_HEADER, ZHOU]}, hidden=("名册",))
    code, out = run_import(cli, capsys, path, branch)
    assert code == 2 and count(cli.db) == 0
    assert "No visible sheet has a roster header; hidden sheets: 名册" in out


def test_the_same_person_on_two_sheets_is_one_error(cli, branch, tmp_path, capsys):
    path = sheets_workbook(tmp_path / "dup.xlsx", {"在职党员": [SEED_HEADER, good_rows()[0]],
                                                   "流动党员": [SEED_HEADER, good_rows()[0]]})
    code, out = run_import(cli, capsys, path, branch)
    assert code == 1 and count(cli.db) == 0
    assert "Sheet 流动党员, row 2, 身份证号码: The same person is already on row 2 of sheet 在职党员" in out


# --- total rows and names --------------------------------------------------------------------------------

def test_total_rows_are_skipped_and_said_and_a_count_is_no_name(cli, branch, tmp_path, capsys):
    rows = good_rows() + [["合计", "3人"] + [None] * 11, [None, "小 计", None] + [None] * 10]
    path = write_xlsx(tmp_path / "合计.xlsx", SEED_HEADER, rows)
    code, out = run_import(cli, capsys, path, branch)
    assert code == 0, out
    assert set(records(cli.db)) == {"王XX", "李X明", "陈XX"}      # no member named "3人"
    assert "Skipped 2 total rows (合计, 小计 …), not members: rows 7、8" in out   # titles 1–2, header 3, data 4–6
    bad = write_xlsx(tmp_path / "bad.xlsx", SEED_HEADER, [[1, "2人", "男"] + [None] * 10])
    code, out = run_import(cli, capsys, bad, branch)
    assert code == 1 and count(cli.db) == 3
    assert "Row 4, 姓名: “2人” cannot be a person's name" in out


# --- numbers typed into General cells --------------------------------------------------------------------

def test_year_month_numbers(cli, branch, tmp_path, capsys):
    # 王XX born 1985-03-12: 出生年月 typed 1985.3 (a number) is March; 入党 2008.11, 转正 2009.12.
    rows = [[1, "王XX", "男", "汉族", "", 1985.3, "大学本科", WANG, 2008.11, 2009.12, "", "", ""]]
    path = write_xlsx(tmp_path / "numbers.xlsx", SEED_HEADER, rows)
    code, out = run_import(cli, capsys, path, branch)
    assert code == 0, out
    got = records(cli.db)["王XX"]
    assert got["birth_date"] == "1985-03-12"
    assert got["joined_on"] == "2008-11-01" and got["confirmed_on"] == "2009-12-01"


def test_a_year_dot_one_number_is_refused_as_ambiguous(cli, branch, tmp_path, capsys):
    # 李X明 typed 2007.10 (October) into a number cell: Excel keeps 2007.1. January or October: refused.
    rows = [[1, "李X明", "女", "汉族", "", "1990.11", "大学专科", LI, 2007.1, "", "", "", ""]]
    path = write_xlsx(tmp_path / "ambiguous.xlsx", SEED_HEADER, rows)
    code, out = run_import(cli, capsys, path, branch)
    assert code == 1 and count(cli.db) == 0
    assert "Row 4, 入党时间: 2007.1 may be January or October" in out and "format the column as text" in out
    # The same in a csv: it holds what Excel showed for the number cell.
    code, out = run_import(cli, capsys, _csv(tmp_path / "ambiguous.csv", SEED_HEADER, rows), branch)
    assert code == 1 and count(cli.db) == 0 and "2007.1 may be January or October" in out


# --- refused for the wrong reason -------------------------------------------------------------------------

def _csv(path: Path, header: list, rows: list[list], encoding: str = "utf-8-sig", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(header)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])
    return path


def test_a_month_written_as_the_first_and_joining_in_the_18th_birthday_month(cli, branch, tmp_path, capsys):
    # 王XX, ID born 1985-03-12. Excel writes the month cell 1985.03 as 1985/3/1 in a csv: year and month agree.
    # 18th birthday 2003-03-12; 入党 2003.03 (that month) is possible: stored as 2003-03-12, its earliest day.
    rows = [[1, "王XX", "男", "汉族", "", "1985/3/1", "大学本科", WANG, "2003.03", "2004.03", "", "", ""]]
    code, out = run_import(cli, capsys, _csv(tmp_path / "month.csv", SEED_HEADER, rows), branch)
    assert code == 0, out
    got = records(cli.db)["王XX"]
    assert got["birth_date"] == "1985-03-12" and got["joined_on"] == "2003-03-12"
    # A full date before the birthday in that month is still refused.
    rows[0][8] = "2003-03-11"
    code, out = run_import(cli, capsys, _csv(tmp_path / "day.csv", SEED_HEADER, rows), branch)
    assert code == 1 and "18th birthday" in out


def test_a_landline_is_kept_as_other_contacts_and_said(cli, branch, tmp_path, capsys):
    rows = [good_rows()[0][:11] + ["0571-88888888", ""], good_rows()[1][:11] + ["1380000", ""]]
    path = write_xlsx(tmp_path / "phones.xlsx", SEED_HEADER, rows)
    code, out = run_import(cli, capsys, path, branch, "--good-only")
    assert code == 0, out
    got = records(cli.db)
    assert got["王XX"]["mobile"] is None and got["王XX"]["other_contacts"] == "0571-88888888"
    assert "Row 4, 联系电话: 0571-88888888 is a landline, not a mobile number: kept as 其他联系方式" in out
    assert "Row 5, 联系电话: “1380000” is not a mobile number" in out and "李X明" not in got


def test_every_error_of_a_row_is_reported_at_once(cli, branch, tmp_path, capsys):
    # 陈XX born 1978-02-20: a bad phone, 入党 1995.01 (before 18 on 1996-02-20), 学历 扫盲班, 民族 汉人 — four errors.
    rows = [[1, "陈XX", "男", "汉人", "", "1978.02", "扫盲班", CHEN, "1995.01", "1996.06", "", "12345", ""]]
    path = write_xlsx(tmp_path / "four.xlsx", SEED_HEADER, rows)
    code, out = run_import(cli, capsys, path, branch)
    assert code == 1 and count(cli.db) == 0
    for column in ("联系电话", "入党时间", "学历", "民族"):
        assert f"Row 4, {column}:" in out, (column, out)
    assert "Read 1 rows: 0 good, 1 with errors." in out


# --- 民族 and 学历 ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("column, header, field, given, stored, bad, said", [
    # 民族: short forms become the 56 official names; the refusal lists them all, 汉族 first, 基诺族 last.
    (3, "民族", "ethnicity", ("汉", "维吾尔", "回"), ("汉族", "维吾尔族", "回族"), "汉人",
     ("“汉人”", "汉族、蒙古族、回族", "基诺族")),
    # 学历: 大学 → 大学本科, MBA and 在职研究生 → 研究生; the refusal lists the table.
    (6, "学历", "education", ("大学", "MBA", "在职研究生"), ("bachelor", "postgraduate", "postgraduate"), "中学",
     ("学历 “中学” is not in the 学历 table: use 研究生、大学本科、大学专科、中专、高中、初中、小学及以下",)),
])
def test_usual_forms_are_normalised_and_refusals_list_what_is_accepted(cli, branch, tmp_path, capsys, column, header,
                                                                       field, given, stored, bad, said):
    rows = [r[:] for r in good_rows()]
    for row, value in zip(rows, given):
        row[column] = value
    code, out = run_import(cli, capsys, write_xlsx(tmp_path / "ok.xlsx", SEED_HEADER, rows), branch)
    assert code == 0, out
    got = records(cli.db)
    assert tuple(got[name][field] for name in ("王XX", "李X明", "陈XX")) == stored
    rows[0][column] = bad
    code, out = run_import(cli, capsys, write_xlsx(tmp_path / "bad.xlsx", SEED_HEADER, rows[:1]), branch)
    assert code == 1
    line = next(line for line in out.splitlines() if line.startswith(f"Row 4, {header}"))
    assert all(text in line for text in said), line


# --- files ----------------------------------------------------------------------------------------------

def test_an_xls_file_is_read(cli, branch, tmp_path, capsys):
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("支部党员名册")
    for c, h in enumerate(SEED_HEADER):
        sheet.write(0, c, h)
    rows = good_rows()
    rows[0][5] = datetime(1985, 3, 1)        # 王XX's 出生年月 as an Excel date cell (a month: the 1st)
    rows[2][8] = 2000.01                     # 陈XX's 入党时间 as a number: 2000.01 is January
    month = xlwt.easyxf(num_format_str="yyyy.mm")
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            sheet.write(r, c, v, *([month] if isinstance(v, datetime) else []))
    path = tmp_path / "名册.xls"
    book.save(str(path))
    code, out = run_import(cli, capsys, path, branch)
    assert code == 0, out
    got = records(cli.db)
    assert set(got) == {"王XX", "李X明", "陈XX"} and got["王XX"]["joined_on"] == "2008-07-01"
    assert got["王XX"]["birth_date"] == "1985-03-12"        # the month agrees with the ID; the day is the ID's
    assert got["陈XX"]["joined_on"] == "2000-01-01" and got["陈XX"]["mobile"] == "13700000003"


@pytest.mark.parametrize("suffix, program", [(".et", "WPS 表格"), (".ods", "LibreOffice"), (".numbers", "Numbers")])
def test_formats_only_their_program_reads_get_save_as_xlsx(cli, branch, tmp_path, capsys, suffix, program):
    path = tmp_path / f"名册{suffix}"
    path.write_bytes(b"PK\x03\x04 not really")
    code, out = run_import(cli, capsys, path, branch)
    assert code == 2 and count(cli.db) == 0
    assert program in out and "另存为" in out and "Excel 工作簿 (*.xlsx)" in out


def test_a_password_protected_file_is_named_so(cli, branch, tmp_path, capsys):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = write_xlsx(tmp_path / "plain.xlsx", SEED_HEADER, good_rows())
    locked = tmp_path / "名册.xlsx"
    with plain.open("rb") as src, locked.open("wb") as dst:
        OOXMLFile(src).encrypt("mima123", dst)
    code, out = run_import(cli, capsys, locked, branch)
    assert code == 2 and count(cli.db) == 0
    assert "名册.xlsx is protected by a password" in out


def test_a_damaged_file_says_damaged_without_exception_names(cli, branch, tmp_path, capsys):
    whole = write_xlsx(tmp_path / "whole.xlsx", SEED_HEADER, good_rows()).read_bytes()
    broken = tmp_path / "名册.xlsx"
    broken.write_bytes(whole[: len(whole) // 2])      # a download cut in the middle
    code, out = run_import(cli, capsys, broken, branch)
    assert code == 2 and count(cli.db) == 0
    assert "名册.xlsx is damaged or incomplete" in out
    assert "BadZipFile" not in out and "Error" not in out


def test_excel_serial_numbers_in_csv_date_columns(cli, branch, tmp_path, capsys):
    # Serial day n is 1899-12-30 + n days. 1900-01-01 → 1985-01-01: 85 years with 21 leap days (1904 … 1984)
    # = 31046 days, + 2 = 31048. To 2005-01-01: 105 years, 26 leap days: 38351 + 2 = 38353; + 181 days
    # (Jan 31 + Feb 28 + Mar 31 + Apr 30 + May 31 + Jun 30) = 38534 → 2005-07-01.
    born = make_id("19850115", "013")      # 王XX, born 1985-01-15: the serial's month agrees
    header = SEED_HEADER + ["最近参加组织生活日期"]
    # 2026-01-01: 38353 + 21 years (2005 … 2025) × 365 + 5 leap days (2008 … 2024) = 46023; + 273 days to
    # Oct 1 (31+28+31+30+31+30+31+31+30) + 2 = 46298 → 2026-10-03.
    rows = [[1, "王XX", "男", "汉族", "", "31048", "大学本科", born, "38534", "", "", "", "", "46298"]]
    code, out = run_import(cli, capsys, _csv(tmp_path / "serial.csv", header, rows), branch)
    assert code == 0, out
    got = records(cli.db)["王XX"]
    assert got["birth_date"] == "1985-01-15" and got["joined_on"] == "2005-07-01"
    assert got["_meeting"] == "2026-10-03"


def test_utf16_tab_separated_unicode_text(cli, branch, tmp_path, capsys):
    path = _csv(tmp_path / "名册.txt", SEED_HEADER, good_rows(), encoding="utf-16", delimiter="\t")
    assert path.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    code, out = run_import(cli, capsys, path, branch)
    assert code == 0, out
    assert set(records(cli.db)) == {"王XX", "李X明", "陈XX"}


def test_audit_rows_of_an_import_hold_no_raw_phone_or_id(cli, branch, tmp_path, capsys):
    path = write_xlsx(tmp_path / "ok.xlsx", SEED_HEADER, good_rows())
    assert run_import(cli, capsys, path, branch)[0] == 0
    with sqlite3.connect(cli.db) as conn:
        rows = [json.loads(r[0]) for r in conn.execute("SELECT after FROM audit_log WHERE entity = 'member'")]
    conn.close()
    text = json.dumps(rows, ensure_ascii=False)
    assert WANG not in text and "13800000001" not in text
