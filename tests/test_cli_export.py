"""`branchbot export`, `province` and `transfer-in` from the operator's command line."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.test_cli import env, make_id, roster, run, tree  # noqa: F401 (fixtures)


def _import_two(tree, tmp_path):
    path = roster(tmp_path / "r.xlsx", [
        [1, "王XX", "男", "汉族", "浙江省XX县", "1985.03", "大学本科", make_id("19850312", "011"), "2008.07", "2009.07",
         "XX创意园", "13800000000", "@SUM(1,2)"],
        [2, "赵XX", "女", "汉族", "浙江省XX县", "1990.01", "大学专科", make_id("19900101", "022"), "2012.07", "2013.07",
         "XX创意园", "13900000000", ""],
    ])
    code, out, err = tree("import", str(path), "--branch", "3")
    assert code == 0, out + err


def test_export_list_names_every_form(run):
    code, out, _ = run("export", "--list")
    assert code == 0
    for name in ("roster", "member-card", "flow", "lost", "found", "unreachable", "search-record", "case-record",
                 "receipts"):
        assert f" {name} " in out
    assert "支部党员名册" in out and "[docx, csv]" in out and "--variant detailed" in out


def test_export_roster_xlsx_and_csv(tree, tmp_path):
    _import_two(tree, tmp_path)
    code, out, err = tree("export", "roster", "--org", "3", "-o", "r.xlsx", "--preparer", "李XX")
    assert code == 0, err
    assert "2 row(s)" in out
    ws = load_workbook(tmp_path / "r.xlsx").worksheets[0]
    assert [ws.cell(4, c).value for c in (1, 2, 13)] == [1, "王XX", "'@SUM(1,2)"]
    assert ws["A6"].value.startswith("填表人：李XX")
    code, out, err = tree("export", "roster", "--org", "2", "--format", "csv")     # the committee, default name
    assert code == 0, err
    name = tmp_path / "支部党员名册-XX街道党工委-" 
    files = [p for p in tmp_path.iterdir() if p.name.startswith(name.name) and p.suffix == ".csv"]
    assert len(files) == 1
    rows = list(csv.reader(io.StringIO(files[0].read_bytes().decode("utf-8-sig"))))
    assert rows[0][-2:] == ["所在党支部", "备注"] and [r[1] for r in rows[1:]] == ["王XX", "赵XX"]


def test_export_errors_are_one_line(tree, tmp_path):
    code, _, err = tree("export", "nosuch", "--org", "3")
    assert code == 2 and "No form called “nosuch”" in err
    code, _, err = tree("export", "roster", "--org", "3", "--format", "docx")
    assert code == 2 and "comes as xlsx, csv, not docx" in err
    code, _, err = tree("export", "roster", "--org", "99", "-o", "x.xlsx")
    assert code == 2 and "No organization with id 99" in err
    code, _, err = tree("export", "receipts", "--org", "3")
    assert code == 2 and "Set the province of 创意园党支部 first" in err


def test_province_and_transfer_in_feed_the_receipts_table(tree, tmp_path):
    _import_two(tree, tmp_path)
    assert tree("province", "2", "浙江省")[0] == 0
    code, out, err = tree("transfer-in", "--member", "1", "--on", "2026-03-01", "--from-org", "南京XX党支部",
                          "--province", "江苏", "--receipt-sent", "2026-03-05")
    assert code == 0, err
    code, _, err = tree("transfer-in", "--member", "2", "--on", "2026-03-01", "--from-org", "X", "--province", "火星")
    assert code == 2 and "Not a province I know" in err
    code, _, err = tree("export", "receipts", "--org", "3", "-o", "rc.xlsx")
    assert code == 0, err
    ws = load_workbook(tmp_path / "rc.xlsx").worksheets[0]
    #                                  总数 研究生 本科生 专科生 省内 省外 回执: 王XX 大学本科 from 江苏, 回执 sent
    assert [c.value for c in ws[4]] == ["转入组织关系数", 1, 0, 1, 0, 0, 1, 1]
