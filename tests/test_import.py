"""Importing the 支部党员名册: the seed's headers as they stand, every bad row named, all or nothing.

All people here are fictional: 王XX who left the 创意园, 李X明, 陈XX …
"""

from __future__ import annotations

import csv
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.cli import main
from bot.domain.errors import DomainError
from bot.domain.codes import Education, Gender, MemberType, Occupation, PartyPost
from bot.domain.idcard import check_digit
from bot.forms.roster_file import column_for, normalize_header
from bot.services.importing import cell_date, parse_row

# The seed's 支部党员名册 header row, spacing and line breaks included.
SEED_HEADER = ["序号", "姓 名", "性别", "民族", "籍贯", "出生\n年月", "学历", "身份证号码", "入党\n时间", "转正\n时间",
               "工作单位", "联系电话", "备注"]
TITLE_ROWS = [["支 部 党 员 名 册"], ["XX党（工）委   创意园党支部   填表日期：2026年11月23日"]]
TODAY = date(2026, 11, 23)


def make_id(birth: str, seq: str = "001", region: str = "330106") -> str:
    """A fictional ID number with a correct check digit (odd 17th digit: male)."""
    first17 = region + birth + seq
    return first17 + check_digit(first17)


WANG = make_id("19850312", "011")        # 王XX, male
LI = make_id("19901105", "022")          # 李X明, female
CHEN = make_id("19780220", "031")        # 陈XX, male


def bad_check_digit(id_number: str) -> str:
    last = "0" if id_number[-1] != "0" else "1"
    return id_number[:-1] + last


def good_rows() -> list[list]:
    return [
        [1, "王XX", "男", "汉族", "浙江省XX县", "1985.03", "大学本科", WANG, "2008.07", "2009.07", "XX创意园",
         "13800000001", "外出流动"],
        [2, "李X明", "女", "汉族", "浙江省XX市", "1990年11月", "大学专科", LI, "2015-06-01", "", "XX街道社区",
         "139 0000 0002", ""],
        [3, "陈XX", "男", "回族", "江苏省XX县", "1978-02", "高中", CHEN, "2000.01", "2001.01", "", "+86 137-0000-0003",
         "“口袋党员”"],
    ]


def write_xlsx(path: Path, header: list, rows: list[list], titles: bool = True) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "支部党员名册"
    for t in TITLE_ROWS if titles else []:
        ws.append(t)
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def write_csv(path: Path, header: list, rows: list[list], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        for t in TITLE_ROWS:
            w.writerow(t)
        w.writerow(header)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])
    return path


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Run `branchbot --db <tmp> …` in English unless told otherwise; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRANCHBOT_AUDIT_KEY_FILE", str(tmp_path / "keys" / "audit.key"))
    monkeypatch.setenv("BRANCHBOT_LANGUAGE", "en")
    monkeypatch.delenv("BRANCHBOT_AUDIT_KEY", raising=False)
    monkeypatch.delenv("BRANCHBOT_DATABASE", raising=False)
    db = tmp_path / "branch.db"

    def run(*argv: str, capsys=None):
        code = main(["--db", str(db), *argv])
        out = capsys.readouterr() if capsys else None
        return code, out.out if out else "", out.err if out else ""

    run.db = db  # type: ignore[attr-defined]
    return run


@pytest.fixture
def branch(cli, capsys):
    assert cli("init")[0] == 0
    assert cli("org", "add", "XX党委", "--level", "primary_committee", "--category", "private")[0] == 0
    assert cli("org", "add", "创意园党支部", "--level", "branch", "--category", "2", "--parent", "1")[0] == 0
    capsys.readouterr()
    return 2


def count(db: Path, table: str = "members") -> int:
    with sqlite3.connect(db) as conn:
        n = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    conn.close()
    return n


def records(db: Path) -> dict[str, dict]:
    import json

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT name, record, last_meeting_on, last_dues_on, last_contact_on"
                            " FROM members").fetchall()
    conn.close()
    return {r[0]: {**json.loads(r[1]), "_meeting": r[2], "_dues": r[3], "_contact": r[4]} for r in rows}


# --- headers and cells --------------------------------------------------------------------------------

def test_headers_match_by_name_despite_the_forms_spacing():
    assert normalize_header("姓 名") == "姓名"
    assert column_for("出生\n\n年月") == "birth"
    assert column_for("入党\n时间") == "joined"
    assert column_for("姓\u3000名") == "name"          # full-width space
    assert column_for("手机号码") == "mobile"            # the 登记表's wording
    assert column_for("工作单位及职务（职称）") == "work_unit"
    assert column_for("籍 贯 地") is None


def test_roster_dates_in_every_form_people_use():
    assert cell_date("1985.03") == (date(1985, 3, 1), False)
    assert cell_date("1985年3月") == (date(1985, 3, 1), False)
    assert cell_date("1985-03-12") == (date(1985, 3, 12), True)
    assert cell_date(datetime(1985, 3, 12)) == (date(1985, 3, 12), True)
    assert cell_date(datetime(1985, 3, 1)) == (date(1985, 3, 1), False)   # a month typed into Excel
    assert cell_date(1985.11) == (date(1985, 11, 1), False)                # a year.month number
    with pytest.raises(DomainError, match="January or October"):            # 1985.10 shown as 1985.1 (issue 14)
        cell_date(1985.10)
    assert cell_date("19850312") == (date(1985, 3, 12), True)


def _row(**cells):
    base = {"name": "王XX", "id_number": WANG}
    base.update(cells)
    return parse_row(7, {k: v for k, v in base.items() if v is not None}, 1, TODAY)


def test_a_row_becomes_a_member_with_codes_and_defaults():
    parsed = _row(birth="1985.03", education="本科", joined="2008.07", confirmed="2009.07", mobile=13800000001,
                  party_post="支部书记", occupation="⑧", last_meeting="2026-10-15", last_dues=datetime(2026, 9, 1))
    m = parsed.member
    assert m.birth_date == date(1985, 3, 12)          # the day comes from the ID number
    assert m.gender is Gender.MALE                     # from the 17th digit when the cell is empty
    assert m.education is Education.BACHELOR and m.party_post is PartyPost.SECRETARY
    assert m.occupation is Occupation.OTHER and m.mobile == "13800000001"
    assert m.member_type is MemberType.FULL
    assert parsed.last_meeting == date(2026, 10, 15) and parsed.last_dues == date(2026, 9, 1)
    # No 转正时间 and no 党员类型: a probationary member; 党员类型 正式 overrides.
    assert _row(joined="2025.12").member.member_type is MemberType.PROBATIONARY
    assert _row(member_type="正式").member.member_type is MemberType.FULL


def test_row_errors_name_their_column():
    def columns(result):
        assert isinstance(result, list), result
        return {e.column for e in result}

    assert columns(_row(birth="1985.04")) == {"birth"}                       # month disagrees with the ID
    assert columns(_row(birth="1985-03-13")) == {"birth"}                    # a full date must agree to the day
    assert columns(_row(gender="女")) == {"gender"}
    assert columns(_row(id_number=3.30106198503120e17)) == {"id_number"}     # a number cell lost the digits
    assert columns(_row(joined="2002.01")) == {"joined"}                     # before the 18th birthday
    assert columns(_row(last_meeting="2026-12-01")) == {"last_meeting"}      # in the future
    assert columns(_row(education="扫盲班", mobile="12345")) == {"education", "mobile"}
    assert columns(_row(name=None, joined="2008.07")) == {"name"}


# --- files through the command line -------------------------------------------------------------------

def test_good_xlsx_with_the_seed_headers_as_they_stand(cli, branch, tmp_path, capsys):
    path = write_xlsx(tmp_path / "名册.xlsx", SEED_HEADER, good_rows() + [[4] + [None] * 12])  # numbered blank row
    code, out, _ = cli("import", str(path), "--branch", str(branch), capsys=capsys)
    assert code == 0, out
    assert "Imported 3 members into 创意园党支部" in out
    assert count(cli.db) == 3
    got = records(cli.db)
    assert got["李X明"]["member_type"] == "probationary" and got["李X明"]["gender"] == "female"
    assert got["陈XX"]["mobile"] == "13700000003" and got["王XX"]["remarks"] == "外出流动"
    # Each imported member is in the audit trail, masked.
    with sqlite3.connect(cli.db) as conn:
        audits = conn.execute("SELECT after FROM audit_log WHERE action = 'import'").fetchall()
    conn.close()
    assert len(audits) == 3 and not any(WANG in a[0] for a in audits)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_good_csv_in_each_encoding(cli, branch, tmp_path, capsys, encoding):
    header = SEED_HEADER + ["最近参加组织生活日期", "最近交纳党费日期", "党员类型", "自定义列"]
    rows = [r + ["2026-10-15", "2026-09-01", "", "x"] for r in good_rows()]
    path = write_csv(tmp_path / "roster.csv", header, rows, encoding)
    code, out, _ = cli("import", str(path), "--branch", str(branch), capsys=capsys)
    assert code == 0, out
    assert "自定义列" in out                        # an unknown column is named, not silently dropped
    got = records(cli.db)
    assert set(got) == {"王XX", "李X明", "陈XX"}
    assert got["王XX"]["_contact"] == "2026-10-15" and got["王XX"]["_dues"] == "2026-09-01"


def error_rows() -> list[list]:
    young = make_id("20000510", "041")
    return [
        good_rows()[0],                                                                       # row 4: good
        [2, "赵XX", "男", "汉族", "", "1990.01", "高中", bad_check_digit(make_id("19900101", "051")), "2012.07",
         "2013.07", "", "", ""],                                                              # row 5
        [3, "钱XX", "男", "汉族", "", "2000.05", "高中", young, "2017.03", "", "", "", ""],   # row 6: 18th birthday
        [4, "孙XX", "男", "汉族", "", "", "初中", make_id("19700101", "061"), "2010.07", "2010.01", "", "", ""],  # 7
        [5, "周XX", "女", "汉族", "", "", "初中", make_id("19720202", "072"), "", "", "", "1380000", ""],       # 8
        [6, "王XX", "男", "汉族", "", "", "", WANG, "", "", "", "", "重复"],                  # row 9: duplicate
        good_rows()[1],                                                                       # row 10: good
    ]


def test_a_file_with_errors_writes_nothing_and_names_each_error(cli, branch, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BRANCHBOT_LANGUAGE", "zh_CN")
    path = write_xlsx(tmp_path / "errors.xlsx", SEED_HEADER, error_rows())
    code, out, _ = cli("import", str(path), "--branch", str(branch), capsys=capsys)
    assert code == 1
    assert count(cli.db) == 0
    assert "第 5 行，身份证号码：身份证号码校验位错误，请逐位核对" in out
    assert "第 6 行，入党时间：入党时间（2017-03-01）须在年满18周岁之后" in out
    assert "第 7 行，转正时间：转正日期须晚于入党日期" in out
    assert "第 8 行，联系电话：“1380000”不是手机号码" in out
    assert "第 9 行，身份证号码：同一身份证号码已在第 4 行出现" in out
    assert "第 4 行" not in out.replace("已在第 4 行", "") and "第 10 行" not in out
    assert "共读取 7 行：2 行无误，5 行有错误。" in out
    assert "--good-only" in out


def test_good_only_writes_only_the_good_rows(cli, branch, tmp_path, capsys):
    path = write_xlsx(tmp_path / "errors.xlsx", SEED_HEADER, error_rows())
    code, out, _ = cli("import", str(path), "--branch", str(branch), "--good-only", capsys=capsys)
    assert code == 0, out
    assert "Row 5, 身份证号码: The ID number's check digit is wrong" in out
    assert set(records(cli.db)) == {"王XX", "李X明"}


def test_import_refuses_bad_input_in_one_line(cli, branch, tmp_path, capsys):
    code, _, err = cli("import", str(tmp_path / "missing.xlsx"), "--branch", str(branch), capsys=capsys)
    assert code == 2 and "missing.xlsx" in err and err.count("\n") == 1
    path = write_xlsx(tmp_path / "ok.xlsx", SEED_HEADER, good_rows())
    code, _, err = cli("import", str(path), "--branch", "99", capsys=capsys)
    assert code == 2 and "No organization with id 99" in err
    code, _, err = cli("import", str(path), "--branch", "1", capsys=capsys)   # the 党委, not a branch
    assert code == 2 and "not a Party branch" in err
    headless = write_xlsx(tmp_path / "headless.xlsx", ["甲", "乙"], [["1", "2"]], titles=False)
    code, _, err = cli("import", str(headless), "--branch", str(branch), capsys=capsys)
    assert code == 2 and "No header row found" in err
    other = tmp_path / "roster.pdf"
    other.write_bytes(b"%PDF")
    code, _, err = cli("import", str(other), "--branch", str(branch), capsys=capsys)
    assert code == 2 and "Unsupported file type .pdf" in err
    assert count(cli.db) == 0


def test_template_round_trip_imports(cli, branch, tmp_path, capsys):
    """A filled-in template (our own columns, in our own order) imports like the seed's roster."""
    from openpyxl import load_workbook

    path = tmp_path / "template.xlsx"
    assert cli("template", "roster", str(path), capsys=capsys)[0] == 0
    wb = load_workbook(path)
    ws = wb["支部党员名册"]
    headers = [c.value for c in ws[1]]
    values = {"姓名": "王XX", "身份证号码": WANG, "出生年月": "1985.03", "入党时间": "2008.07", "转正时间": "2009.07",
              "联系电话": "13800000001", "最近参加组织生活日期": "2026-10-15", "党内职务": "委员", "职业": "2",
              "党员类型": "正式", "户籍所在地": "浙江省XX县XX镇XX村"}
    ws.append([values.get(h) for h in headers])
    wb.save(path)
    code, out, _ = cli("import", str(path), "--branch", str(branch), capsys=capsys)
    assert code == 0, out
    got = records(cli.db)["王XX"]
    assert got["party_post"] == "committee" and got["occupation"] == "private_left"
    assert got["household_register"] == "浙江省XX县XX镇XX村"


# --- the service, without the command line ------------------------------------------------------------

async def test_the_service_checks_who_imports_and_reports_progress(db, clock, tmp_path):
    from bot.domain.codes import OrgCategory, OrgLevel, Role
    from bot.domain.errors import PermissionDenied
    from bot.domain.org import Organization
    from bot.services.context import Actor, Services
    from bot.services.importing import import_roster
    from bot.storage import orgs as org_repo

    async with db.write("cli:test") as tx:
        branch = await org_repo.add(tx, Organization(name="创意园党支部", level=OrgLevel.BRANCH,
                                                     category=OrgCategory.PRIVATE))
        other = await org_repo.add(tx, Organization(name="XX社区党支部", level=OrgLevel.BRANCH,
                                                    category=OrgCategory.COMMUNITY))
    # Names of letters only (a digit cannot be in a person's name): 王一, 王丁, … fictional, one per row.
    rows = [[i, f"王X{chr(0x4e00 + i)}", "", "汉族", "", "", "", make_id("19800101", f"{i:03d}"), "2005.07", "2006.07", "",
             "", ""]
            for i in range(1, 601)]
    path = write_xlsx(tmp_path / "big.xlsx", SEED_HEADER, rows)
    svc = Services(db, clock)
    stranger = Actor(label="tg:900", tg_id=900, roles=[(Role.SECRETARY, other)])
    with pytest.raises(PermissionDenied):
        await import_roster(svc, stranger, path, branch)
    seen: list[tuple[int, int | None]] = []
    secretary = Actor(label="tg:901", tg_id=901, roles=[(Role.SECRETARY, branch)])
    report = await import_roster(svc, secretary, path, branch, progress=lambda done, total: seen.append((done, total)))
    assert report.written and report.imported == 600 and report.errors == []
    assert [d for d, _ in seen] == [250, 500, 600] and seen[-1] == (600, 600)
    assert await db.verify_audit() == []
    row = await db.fetchone("SELECT actor, COUNT(*) FROM audit_log WHERE action = 'import' GROUP BY actor")
    assert tuple(row) == ("tg:901", 600)


def test_progress_line_only_on_a_terminal():
    import io

    from bot.cli.roster_import import ProgressLine
    from bot.i18n import translator

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        line = ProgressLine(translator("zh_CN"), stream)
        line(3200, 10000)
        line.end()
    assert tty.getvalue() == "\r导入 3200/10000\n"
    assert pipe.getvalue() == ""
