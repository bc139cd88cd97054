"""Exports of the summary tables: xlsx read back with openpyxl (headers against the seeds' wording), csv in
the issue's column order, and the CLI for a committee and a branch — refused, with no file, when a table
does not add up."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.forms import queries, registry
from bot.forms.output import write_form
from bot.forms.registry import FormRequest
from bot.forms.summary.forms import SHEET_BRANCHES, SHEET_MAIN, SHEET_NOTES
from summary_world import AS_OF, PEOPLE, build_world, cli_env, seed_world

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

CSV_6 = ("职业, 排查前在册党员人数, 排查前在册预备党员, 人数, 预备党员, 女, 少数民族, 35岁及以下, 36岁至45岁, 46岁至60岁, "
         "61岁及以上, 党龄1年以下, 党龄1年至5年, 党龄6年至10年, 党龄11年至20年, 党龄21年及以上, 初中及以下, 高中、中专, "
         "大学专科及以上, 书记, 副书记、委员, 失联6个月以上不满1年, 失联1年至5年, 失联6年至10年, 失联11年及以上, 外出务工经商, "
         "单位改制或破产, 毕业后去向不明, 工作单位改变, 出国（境）, 居住地改变, 其他").split(", ")
CSV_7 = ("职业, 纳入组织管理, 不予承认党员资格, 取消预备党员资格, 保留组织关系, 停止党籍, 退党除名, 限期改正, 劝退或劝而不退除名, "
         "自行脱党除名, 警告, 严重警告, 撤销党内职务, 留党察看, 开除党籍").split(", ")


def seed_section(name: str, start: str, end: str) -> str:
    """The seed's text between two markers, all whitespace removed (the seed prints narrow headers one
    character per line)."""
    text = next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")
    a = text.index(start)
    return re.sub(r"\s+", "", text[a:text.index(end, a)])


def header_texts(ws, first_row: int, last_row: int) -> dict[str, str]:
    """Header cell text → its merged range (or single cell) in the sheet."""
    ranges = {r.coord.split(":")[0]: r.coord for r in ws.merged_cells.ranges}
    out = {}
    for row in ws.iter_rows(min_row=first_row, max_row=last_row):
        for cell in row:
            if isinstance(cell.value, str) and cell.value:
                out.setdefault(cell.value, ranges.get(cell.coordinate, cell.coordinate))   # first one wins
    return out


@pytest.fixture
async def world(db):
    return await build_world(db)


def export(db, name: str, org_id: int, fmt: str = "xlsx", by_branch: bool = False) -> bytes:
    """Build the form on the engine's read-only reader and write it, as `export_form` does."""
    buf = io.BytesIO()
    with queries.Reader(db.path) as reader:
        req = FormRequest(form=name, org_id=org_id, as_of=AS_OF, fmt=fmt, by_branch=by_branch)
        write_form(registry.get(name).build(reader, req, queries.scope(reader, org_id)), fmt, buf)
    return buf.getvalue()


def read_xlsx(db, name: str, org_id: int):
    return load_workbook(io.BytesIO(export(db, name, org_id)))


async def test_lost_summary_xlsx_headers_are_the_seeds(db, world):
    wb = read_xlsx(db, "lost-summary", world.committee)
    assert wb.sheetnames == [SHEET_MAIN, SHEET_BRANCHES, SHEET_NOTES, "填表说明"]
    ws = wb[SHEET_MAIN]
    assert ws["A1"].value == "与党组织失去联系党员情况汇总表"
    assert ws["A2"].value == "填报单位（盖章）：某镇党委"
    assert any(c.value == "填表日期：2026年11月23日" for c in ws[2])
    heads = header_texts(ws, 3, 6)
    seed = seed_section("002", "附件 6\n\n与党组织失去联系党员情况汇总表", "填表要求")
    for text in heads:
        words = re.sub(r"\s+", "", text)
        if words not in ("项目群体",):
            assert words in seed, text
    assert "项目" in seed and "群体" in seed
    # The seed's merged cells: 31 counted columns B..AF (2 + 29) under four header rows.
    assert heads["排查前在册党员人数"] == "B3:B6"
    assert heads["预备党员"] == "C3:C6"           # the first 预备党员 (beside 排查前); the second is under 数量
    assert heads["经查找仍然无法取得联系党员"] == "D3:AF3"
    assert heads["数量"] == "D4:E4" and heads["结构"] == "F4:U4" and heads["失去联系情况"] == "V4:AF4"
    assert heads["人数"] == "D5:D6"
    assert heads["年龄"] == "H5:K5" and heads["党龄"] == "L5:P5" and heads["学历"] == "Q5:S5"
    assert heads["党内职务"] == "T5:U5" and heads["失去联系时间"] == "V5:Y5" and heads["失去联系情形"] == "Z5:AF5"
    assert [ws.cell(6, c).value for c in range(8, 12)] == ["35岁及以下", "36岁至45岁", "46岁至60岁", "61岁及以上"]
    assert ws.cell(5, 5).value == "预备党员" and "E5:E6" in {r.coord for r in ws.merged_cells.ranges}
    # Rows ①–⑧ then 合计, with the counts of the golden test.
    assert [ws.cell(r, 1).value for r in range(7, 16)][-1] == "合计"
    assert [ws.cell(r, 2).value for r in range(7, 16)] == [3, 3, 4, 1, 2, 2, 2, 4, 21]
    assert [ws.cell(r, 4).value for r in range(7, 16)] == [1, 1, 2, 1, 1, 1, 1, 1, 9]
    assert any("补充资料：流动党员 2 人。" == c.value for row in ws.iter_rows(min_row=16) for c in row)
    assert ws.print_title_rows == "$3:$6" and ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    branches = wb[SHEET_BRANCHES]
    assert branches["A3"].value == "党组织"
    assert [branches.cell(r, 1).value for r in range(7, 11)] == ["农村党支部", "创意园党支部", "工业园党支部", "合计"]
    assert [branches.cell(r, 4).value for r in range(7, 11)] == [3, 3, 3, 9]
    notes = wb[SHEET_NOTES]
    assert notes["A1"].value == "与党组织失去联系党员情况汇总表（备注）"
    assert [c.value for c in notes[3]] == ["党组织", "姓名", "说明"]
    assert [notes.cell(r, 2).value for r in range(4, 7)] == ["王九", "王三", "王四"] and notes.max_row == 6


async def test_disposition_summary_xlsx_headers_are_the_seeds(db, world):
    ws = read_xlsx(db, "disposition-summary", world.committee)[SHEET_MAIN]
    assert ws["A1"].value == "与党组织失去联系党员管理及处置情况汇总表"
    heads = header_texts(ws, 3, 5)
    seed = seed_section("002", "附件 7\n\n与党组织失去联系党员管理及处置情况汇总表", "填表人")
    for text in heads:
        assert re.sub(r"\s+", "", text) in seed or text.replace("\n", "").replace("　", "") == "方式群体", text
    assert heads["管理情况"] == "B3:G4" and heads["处理情况"] == "H3:O3"
    assert heads["组织处理"] == "H4:J4" and heads["纪律处分"] == "K4:O4"
    assert [ws.cell(5, c).value for c in range(2, 16)] == CSV_7[1:]
    assert [ws.cell(r, 2).value for r in range(6, 15)] == [0, 1, 0, 0, 0, 0, 0, 0, 1]   # 纳入组织管理: R1 (②)


async def test_disposition_stats_xlsx_headers_are_the_seeds(db, world):
    ws = read_xlsx(db, "disposition-stats", world.committee)[SHEET_MAIN]
    assert ws["A1"].value == "与党组织失去联系党员规范管理和组织处置有关情况统计表"
    heads = header_texts(ws, 3, 6)
    seed = seed_section("004", "附件5\n\t\n", "备注")
    for text in heads:
        assert re.sub(r"\s+", "", text) in seed, text
    assert heads["统计时间"] == "A3:A6"
    assert heads["超过六个月未与党组织联系的党员总数"] == "B3:B5"
    assert heads["经查找取得联系的党员"] == "C3:O3" and heads["目前仍未取得联系的党员"] == "P3:X3"
    assert heads["确认已死亡的人数"] == "Y3:Y5"
    assert heads["纳入组织管理人数"] == "D4:G4" and heads["停止党籍人数"] == "T4:V4"
    assert [ws.cell(6, c).value for c in range(2, 26)] == list("ABCDEFGHIJKLMNOPQRSTUVWX")
    assert ws.cell(7, 1).value == "2026-11-23"
    assert [ws.cell(7, c).value for c in range(2, 26)] == [16, 6, 4, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 9, 2, 1, 1,
                                                          2, 1, 1, 1, 4, 1]


async def test_csv_columns_in_the_issues_order(db, world):
    for name, header in (("lost-summary", CSV_6), ("disposition-summary", CSV_7),
                         ("disposition-stats", ["统计时间", *"ABCDEFGHIJKLMNOPQRSTUVWX"])):
        data = export(db, name, world.committee, "csv")
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert rows[0] == header
        if name != "disposition-stats":
            assert [r[0] for r in rows[1:]][-1] == "合计" and len(rows) == 10
        rows = list(csv.reader(io.StringIO(export(db, name, world.committee, "csv", by_branch=True).decode("utf-8-sig"))))
        assert rows[0] == ["党组织", *header[1:]]
        assert [r[0] for r in rows[1:]] == ["农村党支部", "创意园党支部", "工业园党支部", "合计"]
        if name == "disposition-stats":
            assert [r[1] for r in rows[1:]] == ["6", "4", "6", "16"]      # A per branch (C, A, B) and 合计


async def test_typed_names_cannot_inject_formulas(db):
    people = copy.deepcopy(PEOPLE)
    next(p for p in people if p.key == "M9").name = "=HYPERLINK(\"x\")"
    w = await build_world(db, people)
    async with db.write("test") as tx:
        await tx.execute("UPDATE orgs SET name = '+创意园党支部' WHERE id = ?", (w.branches["A"],))
    wb = read_xlsx(db, "lost-summary", w.committee)
    values = [c.value for sheet in wb for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("HYPERLINK" in v for v in values) and any("+创意园党支部" in v for v in values)
    assert not any(v.startswith(("=", "+")) for v in values)          # neutralised, not evaluated


# --- the CLI ---------------------------------------------------------------------------------------------

@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    path = cli_env(tmp_path, monkeypatch)

    def call(*argv: str) -> tuple[int, str, str]:
        code = main(["--db", str(path), *argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    assert call("init")[0] == 0
    call.path = path  # type: ignore[attr-defined]
    return call


def test_cli_exports_for_a_committee_and_a_branch(cli, tmp_path):
    w = seed_world(cli.path)
    code, out, err = cli("export", "lost-summary", "--org", str(w.committee), "--as-of", "2026-11-23",
                         "-o", "附件6.xlsx")
    assert code == 0, err
    assert "与党组织失去联系党员情况汇总表" in out and "某镇党委" in out and "9 row(s)" in out
    ws = load_workbook(tmp_path / "附件6.xlsx")[SHEET_MAIN]
    assert ws.cell(15, 1).value == "合计" and ws.cell(15, 2).value == 21 and ws.cell(15, 4).value == 9
    code, out, err = cli("export", "disposition-stats", "--org", str(w.branches["C"]), "--as-of", "2026-11-23",
                         "--format", "csv", "-o", "c.csv")
    assert code == 0, err
    rows = list(csv.reader((tmp_path / "c.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[1][:2] == ["2026-11-23", "6"] and rows[1][-1] == "1"      # 农村党支部: A 6 … X 1 (D1)
    code, _, err = cli("export", "disposition-summary", "--org", str(w.committee), "--as-of", "2026-11-23",
                       "--format", "csv", "--by-branch", "-o", "b.csv")
    assert code == 0, err
    rows = list(csv.reader((tmp_path / "b.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["党组织", *CSV_7[1:]] and rows[-1][0] == "合计"

    import sqlite3
    con = sqlite3.connect(cli.path)
    audits = [json.loads(r[0]) for r in con.execute("SELECT after FROM audit_log WHERE entity = 'export' ORDER BY id")]
    con.close()
    assert [a["form"] for a in audits] == ["lost-summary", "disposition-stats", "disposition-summary"]
    assert all("王" not in json.dumps(a, ensure_ascii=False) for a in audits)


def test_cli_refuses_a_table_that_does_not_add_up_and_writes_nothing(cli, tmp_path):
    people = copy.deepcopy(PEOPLE)
    next(p for p in people if p.key == "M8").case = dict(reason="abroad", state="decided",
                                                         outcome="relationship_retained", decided_on="2026-11-01")
    w = seed_world(cli.path, people)
    code, out, err = cli("export", "disposition-stats", "--org", str(w.committee), "--as-of", "2026-11-23",
                         "-o", "bad.xlsx")
    assert code == 2
    assert "O = 9, but P+S+V+W = 8" in err
    assert not (tmp_path / "bad.xlsx").exists() and not list(tmp_path.glob("bad.xlsx*"))


def test_cli_unknown_org_and_future_date(cli):
    code, _, err = cli("export", "lost-summary", "--org", "99", "-o", "x.xlsx")
    assert code == 2 and "99" in err
    seed_world(cli.path)
    code, _, err = cli("export", "lost-summary", "--org", "1", "--as-of", "2099-01-01", "-o", "x.xlsx")
    assert code == 2 and "future" in err
