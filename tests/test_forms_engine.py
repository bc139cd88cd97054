"""The forms engine: header trees with merged cells, the writers, neutralised cells, checked summaries."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest

from bot.forms.cells import clean_text, ordinal
from bot.forms.csvout import write_csv
from bot.forms.model import FormCheckFailed, FormDocument, Meta, Row, SheetData, Table, col, header_cells
from bot.forms.xlsx import write_xlsx

# A cut of 附件6's header: 职业 | 排查前在册党员人数 | 经查找仍然无法取得联系党员 > {数量 > 人数, 结构 > 年龄 > …}
COLUMNS = (col("职业", width=14), col("排查前在册党员人数", number=True),
           col("经查找仍然无法取得联系党员", "数量", "人数", number=True),
           col("经查找仍然无法取得联系党员", "结构", "年龄", "35岁及以下", number=True),
           col("经查找仍然无法取得联系党员", "结构", "年龄", "36岁至45岁", number=True))


def _sums_to_count(rows):
    # 年龄 columns must add up to 人数 on every row (an identity of 附件6)
    return [f"第{i + 1}行 人数={r.values[2]}, 年龄合计={r.values[3] + r.values[4]}"
            for i, r in enumerate(rows) if r.values[2] != r.values[3] + r.values[4]]


TABLE = Table("与党组织失去联系党员情况汇总表", COLUMNS, label_columns=1, notes=("1. 说明",),
              checks=(_sums_to_count,))


def _doc(rows, table=TABLE):
    return FormDocument("t", table.title, Meta("创意园党支部", date(2026, 12, 1), "李XX", "0571-0000000"),
                        [SheetData(table, rows)])


def test_header_tree_merges_shared_prefixes_across_and_leaves_down():
    cells = {(h.text, h.first_row, h.first_col, h.last_row, h.last_col) for h in header_cells(COLUMNS)}
    assert ("职业", 0, 0, 3, 0) in cells                      # a lone label runs down all four header rows
    assert ("经查找仍然无法取得联系党员", 0, 2, 0, 4) in cells   # the shared top spans its three columns
    assert ("人数", 2, 2, 3, 2) in cells                      # a leaf under one parent runs down to the bottom
    assert ("年龄", 2, 3, 2, 4) in cells


def test_xlsx_lays_out_title_lines_header_and_print_setup(tmp_path):
    path = tmp_path / "t.xlsx"
    rows = [Row(["①国有企业解除劳动关系人员", 3, 1, 1, 0], "group"), Row(["合计", 3, 1, 1, 0], "total")]
    write_xlsx(_doc(rows), path)
    wb = openpyxl.load_workbook(path)
    ws = wb[TABLE.sheet_name]
    assert ws["A1"].value == "与党组织失去联系党员情况汇总表"
    assert ws["A2"].value == "填报单位（盖章）：创意园党支部"
    assert ws["C2"].value == "填表日期：2026年12月1日"
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A3:A6", "B3:B6", "C3:E3", "C5:C6", "D5:E5"} <= merged
    assert ws["A7"].value == "①国有企业解除劳动关系人员" and ws["B7"].value == 3
    assert ws["A9"].value == "填表人：李XX        联系电话：0571-0000000"
    assert ws.print_title_rows == "$3:$6"
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
    # fit to one page wide (fitToWidth absent means 1), as many pages tall as needed
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
    assert ws.page_setup.fitToHeight == 0
    assert ws["A7"].border.left.style == "thin"
    assert "填表说明" in wb.sheetnames


def test_a_summary_that_does_not_add_up_is_refused_before_any_file_exists(tmp_path):
    path = tmp_path / "bad.xlsx"
    rows = [Row(["⑧其他", 5, 2, 1, 0], "group")]      # 人数 2 but the age columns hold 1
    with pytest.raises(FormCheckFailed) as err:
        write_xlsx(_doc(rows), path)
    assert "第1行 人数=2, 年龄合计=1" in err.value.params["problems"]
    assert not path.exists()
    with pytest.raises(FormCheckFailed):
        write_csv(_doc(rows), io.BytesIO())


@pytest.mark.parametrize("typed, safe", [
    ("=HYPERLINK(\"http://x\",\"点我\")", "'=HYPERLINK(\"http://x\",\"点我\")"),
    ("+86 138", "'+86 138"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+1", "' =1+1"),
    ("\r=1", "'\n=1"),
    ("王XX\x07\x00说", "王XX说"),
    ("第一段\r\n第二段", "第一段\n第二段"),
    ("普通文字", "普通文字"),
])
def test_cells_neutralise_formula_leads_and_strip_control_characters(typed, safe):
    assert clean_text(typed) == safe


def test_formula_injection_is_neutralised_in_xlsx_and_csv(tmp_path):
    table = Table("名册", (col("姓名"), col("备注")))
    rows = [Row(["王XX", "=cmd|' /C calc'!A0"]), Row(["-赵XX", "@SUM(1)"])]
    path = tmp_path / "n.xlsx"
    write_xlsx(_doc(rows, table), path)
    ws = openpyxl.load_workbook(path)["名册"]
    assert ws["B4"].value == "'=cmd|' /C calc'!A0" and ws["B4"].data_type == "s"
    assert ws["A5"].value == "'-赵XX" and ws["B5"].value == "'@SUM(1)"
    buf = io.BytesIO()
    write_csv(_doc(rows, table), buf)
    raw = buf.getvalue()
    assert raw.startswith(b"\xef\xbb\xbf")                       # UTF-8 BOM: Excel opens it in Chinese
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines == [["姓名", "备注"], ["王XX", "'=cmd|' /C calc'!A0"], ["'-赵XX", "'@SUM(1)"]]


def test_ordinals_for_attempt_headings():
    assert [ordinal(n) for n in (1, 4, 10, 11, 19, 20, 23)] == ["一", "四", "十", "十一", "十九", "二十", "二十三"]
