"""The operator's command line: init, the org tree, the template, members, invites, roles, audit, backup."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.clock import Clock
from bot.domain.errors import DomainError
from bot.domain.idcard import check_digit
from bot.storage import Database
from bot.storage import users as user_repo

SEED_HEADERS = ["序号", "姓名", "性别", "民族", "籍贯", "出生年月", "学历", "身份证号码", "入党时间", "转正时间",
                "工作单位", "联系电话", "备注"]


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRANCHBOT_AUDIT_KEY_FILE", str(tmp_path / "keys" / "audit.key"))
    monkeypatch.setenv("BRANCHBOT_LANGUAGE", "en")
    for name in ("BRANCHBOT_AUDIT_KEY", "BRANCHBOT_DATABASE", "BRANCHBOT_BOT_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def run(env, capsys):
    db = env / "branch.db"

    def call(*argv: str) -> tuple[int, str, str]:
        code = main(["--db", str(db), *argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    call.db = db  # type: ignore[attr-defined]
    return call


@pytest.fixture
def tree(run):
    """组织部门 1 → 党委 2 → 创意园党支部 3 (and a second branch 4)."""
    assert run("init")[0] == 0
    assert run("org", "add", "XX区委组织部", "--level", "org_department", "--category", "government")[0] == 0
    assert run("org", "add", "XX街道党工委", "--level", "primary_committee", "--category", "7", "--parent", "1")[0] == 0
    assert run("org", "add", "创意园党支部", "--level", "branch", "--category", "private", "--parent", "2")[0] == 0
    assert run("org", "add", "XX社区党支部", "--level", "branch", "--category", "⑦", "--parent", "2")[0] == 0
    return run


def roster(path: Path, rows: list[list]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(SEED_HEADERS)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def make_id(birth: str, seq: str) -> str:
    first17 = "330106" + birth + seq
    return first17 + check_digit(first17)


WANG = make_id("19850312", "011")


@pytest.fixture
def members(tree, env):
    path = roster(env / "roster.xlsx", [
        [1, "王XX", "男", "汉族", "浙江省XX县", "1985.03", "大学本科", WANG, "2008.07", "2009.07", "XX创意园",
         "13800000001", "外出流动"],
        [2, "李X明", "女", "汉族", "", "1990.11", "大学专科", make_id("19901105", "022"), "2015.06", "", "",
         "13900000002", ""],
    ])
    assert tree("import", str(path), "--branch", "3")[0] == 0
    return tree


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        out = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
               for t in ("orgs", "members", "audit_log", "roles", "invites")}
    conn.close()
    return out


def open_db(env: Path, db: Path) -> Database:
    key = (env / "keys" / "audit.key").read_text().strip().encode()
    return Database(db, key, Clock())


# --- init ---------------------------------------------------------------------------------------------

def migration_versions() -> list[int]:
    from importlib import resources

    folder = resources.files("bot.storage") / "migrations"
    return sorted(int(f.name.split("_", 1)[0]) for f in folder.iterdir() if f.name.endswith(".sql"))


def test_init_creates_database_and_key_and_is_idempotent(run, env):
    code, out, _ = run("init")
    assert code == 0 and f"schema version {migration_versions()[-1]})" in out
    key = env / "keys" / "audit.key"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"
    first_key = key.read_text()
    code, out, _ = run("init")
    assert code == 0 and "Audit key created" not in out
    assert key.read_text() == first_key
    with sqlite3.connect(run.db) as conn:
        applied = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert applied == migration_versions()
    conn.close()


def test_init_refuses_a_new_key_for_an_existing_trail(tree, env):
    (env / "keys" / "audit.key").unlink()
    code, _, err = tree("init")
    assert code == 2 and "restore the key file" in err
    assert not (env / "keys" / "audit.key").exists()


def test_default_database_under_data_and_env_override(env, capsys, monkeypatch):
    assert main(["init"]) == 0
    assert (env / "data" / "branchbot.db").exists()
    monkeypatch.setenv("BRANCHBOT_DATABASE", str(env / "elsewhere.db"))
    assert main(["init"]) == 0
    assert (env / "elsewhere.db").exists()


def test_commands_need_an_initialised_database(run):
    code, _, err = run("org", "list")
    assert code == 2 and "run “branchbot init” first" in err and err.count("\n") == 1


# --- org ----------------------------------------------------------------------------------------------

def test_org_tree(tree):
    code, out, _ = tree("org", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("1  XX区委组织部  [Organization department · Party or government organ]")
    assert lines[1].startswith("└─ 2  XX街道党工委  [Primary Party committee · Street or community]")
    assert lines[2].startswith("   ├─ 3  创意园党支部  [Party branch · Non-public enterprise]")
    assert lines[3].startswith("   └─ 4  XX社区党支部  [Party branch · Street or community]")


def test_org_tree_in_chinese(tree, monkeypatch):
    monkeypatch.setenv("BRANCHBOT_LANGUAGE", "zh_CN")
    out = tree("org", "list")[1]
    assert "创意园党支部  [党支部 · 非公有制企业]  党员 0 名" in out


def test_org_add_refuses_bad_input(tree):
    code, _, err = tree("org", "add", "X支部", "--level", "branch", "--category", "nonsense")
    assert code == 2 and "Unknown value “nonsense”" in err
    code, _, err = tree("org", "add", "X支部", "--level", "branch", "--category", "1", "--parent", "42")
    assert code == 2 and "No organization with id 42" in err
    code, _, err = tree("org", "add", "X党委", "--level", "primary_committee", "--category", "1", "--parent", "3")
    assert code == 2 and "cannot sit under" in err
    with pytest.raises(SystemExit) as exc:       # argparse: an unknown level is a bad flag
        tree("org", "add", "X", "--level", "cell", "--category", "1")
    assert exc.value.code == 2
    assert counts(tree.db)["orgs"] == 4


# --- template -----------------------------------------------------------------------------------------

def test_template_roster_has_the_seed_headers_first_and_notes(run, env):
    path = env / "forms" / "名册模板.xlsx"
    code, out, _ = run("template", "roster", str(path))
    assert code == 0 and str(path) in out
    wb = load_workbook(path)
    assert wb.sheetnames == ["支部党员名册", "填表说明"]
    headers = [c.value for c in wb["支部党员名册"][1]]
    assert headers[:13] == SEED_HEADERS
    assert {"最近参加组织生活日期", "最近交纳党费日期", "党内职务", "职业", "党员类型", "户籍所在地",
            "实际居住地址"} <= set(headers[13:])
    notes = [c for row in wb["填表说明"].iter_rows(values_only=True) for c in row if c]
    for header in headers:
        assert header in notes                         # every column is documented
    assert "农村外出务工经商人员" in notes and "大学本科" in notes and "1985.03" in " ".join(map(str, notes))
    assert run("template", "roster", str(env / "x.csv"))[0] == 2


# --- members ------------------------------------------------------------------------------------------

def test_member_list_and_show_mask_the_id_number(members):
    code, out, _ = members("member", "list", "--branch", "3")
    assert code == 0
    assert WANG not in out and f"{WANG[:4]}**********{WANG[-4:]}" in out
    # into a pipe (capsys): every row and the count, no page line
    assert "138****0001" in out and out.splitlines()[-1] == "2 members"
    assert "Page 1 of 1 (2 members)" in members("member", "list", "--page", "1")[1]
    code, out, _ = members("member", "show", "1")
    assert code == 0
    assert WANG not in out and f"{WANG[:4]}**********{WANG[-4:]}" in out
    assert "王XX" in out and "外出流动" in out and "not bound" in out
    assert members("member", "show", "99")[0] == 2
    assert "No members" in members("member", "list", "--branch", "4")[1]
    code, _, err = members("member", "list", "--page", "2")    # past the last page: say which pages exist
    assert code == 2 and "There is no page 2: pages 1–1 (2 members)" in err


# --- invites and roles --------------------------------------------------------------------------------

def test_invite_prints_a_deep_link_that_redeems_once(members, env):
    code, _, err = members("invite", "--member", "1")
    assert code == 2 and "BRANCHBOT_BOT_USERNAME" in err
    code, out, _ = members("invite", "--member", "1", "--bot-username", "@branch_test_bot")
    assert code == 0 and "王XX" in out
    match = re.search(r"https://t\.me/branch_test_bot\?start=([A-Za-z0-9_-]{16,64})$", out, re.M)
    assert match, out
    code_text = match.group(1)
    assert counts(members.db)["invites"] == 1

    async def redeem_twice():
        async with open_db(env, members.db) as db:
            async with db.write("tg:700001") as tx:
                first = await user_repo.redeem_invite(tx, 700001, code_text)
            with pytest.raises(DomainError) as again:
                async with db.write("tg:700002") as tx:
                    await user_repo.redeem_invite(tx, 700002, code_text)
            return first, again.value.message, await user_repo.get_user(db, 700001)

    first, second, user = asyncio.run(redeem_twice())
    assert first["member_id"] == 1 and user.member_id == 1
    assert second == "This invite has already been used"
    assert "700001" in members("member", "show", "1")[1]


def test_role_invite_and_bad_invite_flags(tree, env, monkeypatch):
    monkeypatch.setenv("BRANCHBOT_BOT_USERNAME", "branch_test_bot")
    code, out, _ = tree("invite", "--role", "secretary", "--org", "3", "--days", "3")
    assert code == 0 and "Branch secretary" in out and "https://t.me/branch_test_bot?start=" in out
    assert tree("invite", "--role", "secretary")[0] == 2                       # no --org
    assert tree("invite", "--member", "1", "--role", "secretary", "--org", "3")[0] == 2
    assert tree("invite")[0] == 2
    code, _, err = tree("invite", "--member", "77")
    assert code == 2 and "No member with id 77" in err


def test_grant_and_revoke(tree):
    code, out, _ = tree("grant", "700001", "secretary", "3")
    assert code == 0 and "Granted Branch secretary over 创意园党支部 (id 3) to Telegram user 700001" in out
    assert "already holds" in tree("grant", "700001", "secretary", "3")[1]
    with sqlite3.connect(tree.db) as conn:
        assert conn.execute("SELECT role, org_id FROM roles WHERE tg_id = 700001").fetchall() == [("secretary", 3)]
    conn.close()
    code, out, _ = tree("grant", "700001", "secretary", "3", "--revoke")
    assert code == 0 and "Revoked" in out
    assert counts(tree.db)["roles"] == 0
    assert "does not hold" in tree("grant", "700001", "secretary", "3", "--revoke")[1]
    code, _, err = tree("grant", "700001", "committee", "9")
    assert code == 2 and "No organization with id 9" in err


# --- audit and backup ---------------------------------------------------------------------------------

def test_audit_verify_ok_then_tampering_is_found(members):
    n = counts(members.db)["audit_log"]
    code, out, _ = members("audit", "verify")
    assert code == 0 and out.strip() == f"OK, {n} rows"
    conn = sqlite3.connect(members.db)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET actor = 'someone' WHERE id = 3")
    conn.commit()
    conn.close()
    code, out, _ = members("audit", "verify")
    assert code == 1
    assert "row 3: edited" in out


def test_backup_is_a_readable_copy(members, env):
    dest = env / "backups" / "branch-copy.db"
    code, out, _ = members("backup", str(dest))
    assert code == 0 and "2 members" in out
    assert counts(dest) == counts(members.db)
    code, _, err = members("backup", str(dest))
    assert code == 2 and "already exists" in err
    assert main(["--db", str(dest), "audit", "verify"]) == 0   # the copy carries a sound chain


def test_chinese_is_the_default_language(tree, monkeypatch):
    monkeypatch.delenv("BRANCHBOT_LANGUAGE")
    code, out, _ = tree("audit", "verify")
    assert code == 0 and out.startswith("OK，共")
    code, _, err = tree("grant", "1", "secretary", "99")
    assert code == 2 and "没有编号为 99 的党组织" in err



def test_a_file_that_is_not_a_database_is_refused(env, run):
    run.db.write_text("王XX的名册")
    assert run("init")[0] == 2
    code, _, err = run("member", "list")
    assert code == 2 and "not an SQLite database" in err
    assert run.db.read_text() == "王XX的名册"
