"""This year's roster over last year's (issue 14): what would change, applied with --update field by field,
never a second member for the same person; the 失联 register with its 失去联系情形; the 2,000-row report;
`member list` past the last page. All people fictional.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from test_import import LI, SEED_HEADER, branch, cli, count, good_rows, make_id, records, write_xlsx  # noqa: F401
from test_import_wild import run_import


def last_year() -> list[list]:
    """Last year's roster: 李X明's row has no ID number (rosters often lack it), only her 出生年月."""
    rows = [r[:] for r in good_rows()]
    rows[1][7] = ""
    return rows


def audit(db: Path, action: str) -> list[tuple[int, dict, dict]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT entity_id, before, after FROM audit_log WHERE action = ? ORDER BY id",
                            (action,)).fetchall()
    conn.close()
    return [(int(r[0]), json.loads(r[1]), json.loads(r[2])) for r in rows]


def test_the_same_roster_again_adds_nobody(cli, branch, tmp_path, capsys):
    path = write_xlsx(tmp_path / "2025.xlsx", SEED_HEADER, last_year())
    assert run_import(cli, capsys, path, branch)[0] == 0
    code, out = run_import(cli, capsys, path, branch)
    assert code == 0, out
    assert count(cli.db) == 3                          # 李X明 (no ID number) is not added a second time
    assert "Against the register: 0 new, 0 changed, 3 unchanged, 0 not in the file." in out
    assert "Nothing to import" in out


def test_this_years_roster_shows_the_changes_then_applies_them_with_update(cli, branch, tmp_path, capsys):
    assert run_import(cli, capsys, write_xlsx(tmp_path / "2025.xlsx", SEED_HEADER, last_year()), branch)[0] == 0
    before = records(cli.db)
    rows = [r[:] for r in good_rows()[:2]]
    rows[0][10], rows[0][11] = "XX科技公司", "13900000009"     # 王XX: new work unit and phone
    rows[1][7] = LI                                            # 李X明: her ID number, now known
    rows.append([4, "周XX", "女", "汉族", "", "1972.02", "初中", make_id("19720202", "072"), "1999.07", "2000.07",
                 "", "", ""])                                  # a new member; 陈XX has left the file
    path = write_xlsx(tmp_path / "2026.xlsx", SEED_HEADER, rows)

    code, out = run_import(cli, capsys, path, branch)
    assert code == 1
    assert records(cli.db) == before and count(cli.db) == 3     # nothing written without --update
    assert "Against the register: 1 new, 2 changed, 0 unchanged, 1 not in the file." in out
    wang = next(line for line in out.splitlines() if "王XX (member" in line)
    assert "工作单位 XX创意园 → XX科技公司" in wang and "联系电话 138…01 → 139…09" in wang   # phones masked
    li = next(line for line in out.splitlines() if "李X明 (member" in line)
    assert "ID number — → 3301…" in li or "身份证号码 — → 3301…" in li
    assert LI not in out and "13900000009" not in out
    assert "陈XX (3)" in out and "--update" in out

    code, out = run_import(cli, capsys, path, branch, "--update")
    assert code == 0, out
    got = records(cli.db)
    assert count(cli.db) == 4                                   # 周XX added; nobody twice
    assert got["王XX"]["work_unit"] == "XX科技公司" and got["王XX"]["mobile"] == "13900000009"
    assert got["王XX"]["remarks"] == "外出流动"                  # other fields as they were
    assert got["李X明"]["id_number"] == LI and got["陈XX"]["mobile"] == "13700000003"   # 陈XX kept, not removed
    assert "Updated 2 members" in out
    # One audit row per changed field, masked.
    fields = sorted((e, next(iter(a))) for e, _, a in audit(cli.db, "import_update"))
    # 李X明's birth date was 1990-11-01 (from 1990年11月); her ID number gives the day, 1990-11-05.
    assert fields == [(1, "mobile"), (1, "work_unit"), (2, "birth_date"), (2, "id_number")]
    changes = {next(iter(a)): (b, a) for _, b, a in audit(cli.db, "import_update")}
    assert changes["mobile"] == ({"mobile": "138…01"}, {"mobile": "139…09"})
    assert changes["id_number"][1]["id_number"] == LI[:4] + "…" + LI[-2:]


def test_no_id_number_and_no_birth_date_is_refused_not_guessed(cli, branch, tmp_path, capsys):
    assert run_import(cli, capsys, write_xlsx(tmp_path / "a.xlsx", SEED_HEADER, good_rows()), branch)[0] == 0
    row = [1, "王XX", "", "汉族", "", "", "大学本科", "", "2008.07", "2009.07", "XX创意园", "13800000001", ""]
    code, out = run_import(cli, capsys, write_xlsx(tmp_path / "b.xlsx", SEED_HEADER, [row]), branch)
    assert code == 1 and count(cli.db) == 3
    assert "Row 4: 王XX is already in the register (member 1)" in out and "add the ID number" in out


def test_an_id_number_of_another_branch_is_refused(cli, branch, tmp_path, capsys):
    assert cli("org", "add", "XX社区党支部", "--level", "branch", "--category", "7", "--parent", "1")[0] == 0
    assert run_import(cli, capsys, write_xlsx(tmp_path / "a.xlsx", SEED_HEADER, good_rows()[:1]), branch)[0] == 0
    code, out = run_import(cli, capsys, write_xlsx(tmp_path / "b.xlsx", SEED_HEADER, good_rows()[:1]), 3)
    assert code == 1 and count(cli.db) == 1
    assert "Row 4, 身份证号码: This ID number is registered in another branch" in out


# --- the 失联 register with its 失去联系情形 -------------------------------------------------------------------

def cases(db: Path) -> dict[int, tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT member_id, reason, state FROM cases ORDER BY id").fetchall()
    conn.close()
    return {r[0]: (r[1], r[2]) for r in rows}


def test_a_lost_contact_register_imports_with_its_reasons(cli, branch, tmp_path, capsys):
    header = SEED_HEADER + ["最近参加组织生活日期", "失去联系情形"]
    rows = [good_rows()[0] + ["2025-03-10", "①"], good_rows()[1] + ["2025-01-05", "出国（境）"],
            good_rows()[2] + ["2026-10-15", ""]]
    path = write_xlsx(tmp_path / "失联.xlsx", header, rows)
    code, out = run_import(cli, capsys, path, branch)
    assert code == 0, out
    # 王XX: ① 外出务工经商; 李X明: ⑤ 出国（境）; 陈XX: in contact, no case.
    assert cases(cli.db) == {1: ("migrant_work", "searching"), 2: ("abroad", "searching")}
    # Next year's register says 王XX's reason is ⑥ 居住地改变: the open case's reason changes, audited.
    rows[0][-1] = "6"
    path = write_xlsx(tmp_path / "失联2.xlsx", header, rows)
    code, out = run_import(cli, capsys, path, branch, "--update")
    assert code == 0, out
    assert cases(cli.db)[1] == ("residence_changed", "searching") and len(cases(cli.db)) == 2
    assert audit(cli.db, "reason") and audit(cli.db, "reason")[0][2] == {"reason": "residence_changed"}
    bad = write_xlsx(tmp_path / "bad.xlsx", header, [good_rows()[2] + ["", "⑧"]])
    code, out = run_import(cli, capsys, bad, branch)
    assert code == 1 and "失去联系情形" in out


# --- a big file and a long list ---------------------------------------------------------------------------

def big_rows(n: int, bad_every: int = 0) -> list[list]:
    rows = []
    for i in range(1, n + 1):
        # Fictional names of letters only: 王 + two characters taken from i; ID numbers all distinct.
        name = "王" + chr(0x4e00 + i // 100) + chr(0x4e00 + 200 + i % 100)
        id_number = make_id("19800101", f"{i % 1000:03d}", region=f"33{i // 1000 + 10:02d}06")
        phone = "12345" if bad_every and i % bad_every == 0 else f"138{i:08d}"
        rows.append([i, name, "", "汉族", "", "", "高中", id_number, "2005.07", "2006.07", "", phone, ""])
    return rows


def test_a_2000_row_report_lists_every_bad_row_and_writes_nothing(cli, branch, tmp_path, capsys):
    path = write_xlsx(tmp_path / "big.xlsx", SEED_HEADER, big_rows(2000, bad_every=7), titles=False)
    code, out = run_import(cli, capsys, path, branch)
    assert code == 1 and count(cli.db) == 0
    # Bad rows: i = 7, 14, …, 1995 → 2000 // 7 = 285 of them, each on its own line (row = i + 1, header row 1).
    bad = [line for line in out.splitlines() if line.startswith("Row ") and "联系电话" in line]
    assert len(bad) == 285 and bad[0].startswith("Row 8,") and bad[-1].startswith("Row 1996,")
    assert "Read 2000 rows: 1715 good, 285 with errors." in out


def test_member_list_past_the_last_page_says_which_pages_exist(cli, branch, tmp_path, capsys):
    path = write_xlsx(tmp_path / "big.xlsx", SEED_HEADER, big_rows(2000), titles=False)
    assert run_import(cli, capsys, path, branch)[0] == 0
    code, out, err = cli("member", "list", "--branch", str(branch), "--page", "100", capsys=capsys)
    assert code == 0 and "Page 100 of 100 (2000 members)" in out      # 2000 / 20 a page = 100 pages
    code, out, err = cli("member", "list", "--branch", str(branch), "--page", "200", capsys=capsys)
    assert code == 2 and "There is no page 200: pages 1–100 (2000 members)" in err


def test_a_member_whose_row_has_errors_is_not_called_missing(cli, branch, tmp_path, capsys):
    assert run_import(cli, capsys, write_xlsx(tmp_path / "a.xlsx", SEED_HEADER, good_rows()), branch)[0] == 0
    rows = [r[:] for r in good_rows()]
    rows[2][11] = "12345"                                  # 陈XX's row: a bad phone
    rows.append(["合计", None, "3人"] + [None] * 10)
    rows.append([None, None, "总计", "3人"] + [None] * 9)   # no name: a total row wherever 总计 stands
    code, out = run_import(cli, capsys, write_xlsx(tmp_path / "b.xlsx", SEED_HEADER, rows), branch)
    assert code == 1 and count(cli.db) == 3
    assert "Row 6, 联系电话:" in out
    assert "Skipped 2 total rows (合计, 小计 …), not members: rows 7、8" in out
    assert "2 unchanged, 0 not in the file" in out and "陈XX (3)" not in out


def test_one_person_with_and_without_an_id_number_in_one_file_is_one_error(cli, branch, tmp_path, capsys):
    rows = [good_rows()[0], good_rows()[0][:7] + [""] + good_rows()[0][8:]]   # 王XX twice, the second without ID
    code, out = run_import(cli, capsys, write_xlsx(tmp_path / "twice.xlsx", SEED_HEADER, rows), branch)
    assert code == 1 and count(cli.db) == 0
    assert "Row 5: The same name and birth date are already on row 4" in out
