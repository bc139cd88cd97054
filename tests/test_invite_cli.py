"""`branchbot invite --branch 3 --unbound -o FILE.xlsx`, `invite --join`, `member list --unbound` (issue 15)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import zipfile
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.domain.errors import DomainError
from bot.forms.invite_sheet import QR_SCALE, qr_png
from bot.storage import users as user_repo
from tests.test_cli import WANG, env, make_id, members, open_db, roster, run, tree  # noqa: F401 (fixtures)

LINK = re.compile(r"https://t\.me/branch_test_bot\?start=([A-Za-z0-9_-]+)")
LI = make_id("19901105", "022")          # the members fixture's 李X明
ZHAO = make_id("19790101", "033")


@pytest.fixture
def branch(members, env, monkeypatch):
    """创意园党支部 (id 3): 王XX (1), 李X明 (2), and 赵XX (3) who is already bound (tg 700003)."""
    monkeypatch.setenv("BRANCHBOT_BOT_USERNAME", "branch_test_bot")
    path = roster(env / "zhao.xlsx", [[1, "赵XX", "男", "汉族", "", "1979.01", "高中", ZHAO, "2000.07", "2001.07",
                                       "", "13700000003", ""]])
    assert members("import", str(path), "--branch", "3")[0] == 0
    code, out, _ = members("invite", "--member", "3")
    assert code == 0
    redeem(env, members.db, 700003, LINK.search(out).group(1))
    return members


def redeem(env, db, tg_id: int, code: str) -> str | None:
    """Open a link as a Telegram user; None when it bound, else the refusal's msgid."""
    async def go():
        async with open_db(env, db) as database:
            try:
                async with database.write(f"tg:{tg_id}") as tx:
                    await user_repo.redeem_invite(tx, tg_id, code)
            except DomainError as err:
                return err.message
        return None
    return asyncio.run(go())


def sheet_rows(path):
    ws = load_workbook(path).active
    return [[c.value for c in row] for row in ws.iter_rows(min_row=3) if row[0].value is not None], ws


def invite_count(db) -> int:
    with sqlite3.connect(db) as conn:
        n = conn.execute("SELECT COUNT(*) FROM invites").fetchone()[0]
    conn.close()
    return n


def test_the_sheet_holds_exactly_the_unbound_members_and_each_link_works_once(branch, env):
    out_file = env / "invites.xlsx"
    code, out, _ = branch("invite", "--branch", "3", "--unbound", "-o", str(out_file))
    assert code == 0 and "2 members not yet connected (2 new invites, 0 printed again)" in out

    rows, ws = sheet_rows(out_file)
    assert "创意园党支部" in ws["A1"].value
    assert [c.value for c in ws[2]] == ["No.", "Name", "ID number", "Invite link", "Valid until", "QR code"]
    # 赵XX is bound: not on the sheet. By name in code-point order: 李 (U+674E) before 王 (U+738B).
    assert [r[1] for r in rows] == ["李X明", "王XX"]
    # Masked as 4 + 10 stars + 4: 330106 19850312 011 + check digit → "3301" + "**********" + "011" + check.
    assert [r[2] for r in rows] == [LI[:4] + "*" * 10 + LI[-4:], WANG[:4] + "*" * 10 + WANG[-4:]]
    every_cell = " ".join(str(c.value) for row in ws.iter_rows() for c in row)
    assert WANG not in every_cell and LI not in every_cell and "13800000001" not in every_cell
    links = [r[3] for r in rows]
    assert all(LINK.fullmatch(link) for link in links)
    week = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=7)          # --days defaults to 7
    assert all(r[4].startswith(f"{week:%b} {week.day}, {week.year}") for r in rows), rows   # babel medium, en
    # One QR picture per row, each the picture of its own row's link.
    with zipfile.ZipFile(out_file) as z:
        media = sorted(n for n in z.namelist() if n.startswith("xl/media/"))
        pictures = {z.read(n) for n in media}
    assert len(media) == 2 and pictures == {qr_png(link, QR_SCALE) for link in links}

    # Printed again: the same links (those handed out keep working), nothing new in the database.
    before = invite_count(branch.db)
    code, out, _ = branch("invite", "--branch", "3", "--unbound", "-o", str(out_file))
    assert code == 0 and "(0 new invites, 2 printed again)" in out
    assert [r[3] for r in sheet_rows(out_file)[0]] == links and invite_count(branch.db) == before

    # Each link works once.
    li_code, wang_code = (LINK.fullmatch(link).group(1) for link in links)
    assert redeem(env, branch.db, 700002, li_code) is None
    assert redeem(env, branch.db, 700009, li_code) == "This invite has already been used"

    # Now only 王XX is missing; --renew replaces his link and the old one stops working.
    code, out, _ = branch("invite", "--branch", "3", "--unbound", "--renew", "-o", str(out_file))
    assert code == 0 and "1 members not yet connected (1 new invites, 0 printed again)" in out
    [[_, name, _, new_link, _, _]] = sheet_rows(out_file)[0]
    assert name == "王XX" and new_link != links[1]
    assert redeem(env, branch.db, 700001, wang_code) == \
        "This invite was replaced by a newer one: ask your branch secretary for it"
    assert redeem(env, branch.db, 700001, LINK.fullmatch(new_link).group(1)) is None


def test_member_list_unbound_and_the_counts(branch):
    code, out, _ = branch("member", "list", "--unbound", "--branch", "3")
    assert code == 0
    assert "王XX" in out and "李X明" in out and "赵XX" not in out
    assert WANG not in out and WANG[:4] + "*" * 10 + WANG[-4:] in out
    assert "创意园党支部: connected to the bot 1/3" in out             # 赵XX of 王, 李, 赵
    code, out, _ = branch("member", "list", "--unbound")
    assert "创意园党支部 (id 3): connected to the bot 1/3" in out
    assert "XX社区党支部 (id 4): connected to the bot 0/0" in out


def test_join_link_print_renew_revoke(branch, env):
    code, out, _ = branch("invite", "--join", "--branch", "3")
    assert code == 0 and "Join link of 创意园党支部" in out
    first = LINK.search(out).group(1)
    assert first.startswith("join_")
    assert LINK.search(branch("invite", "--join", "--branch", "3")[1]).group(1) == first   # the same one
    renewed = LINK.search(branch("invite", "--join", "--branch", "3", "--renew")[1]).group(1)
    assert renewed != first
    code, out, _ = branch("invite", "--join", "--branch", "3", "--revoke")
    assert code == 0 and "revoked" in out
    assert "no join link in force" in branch("invite", "--join", "--branch", "3", "--revoke")[1]


def test_bad_invite_flags(branch, env):
    assert branch("invite", "--branch", "3", "--unbound")[0] == 2                  # no -o
    code, _, err = branch("invite", "--branch", "3", "--unbound", "-o", str(env / "x.csv"))
    assert code == 2 and ".xlsx" in err
    assert branch("invite", "--unbound", "-o", str(env / "x.xlsx"))[0] == 2        # no --branch
    assert branch("invite", "--member", "1", "--revoke")[0] == 2
    code, _, err = branch("invite", "--join", "--branch", "99")
    assert code == 2 and "No organization with id 99" in err
