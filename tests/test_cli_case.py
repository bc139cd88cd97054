"""`branchbot case …`: the 自行脱党除名 path of a paper file entered step by step from the back office, each step
`--as` the user who took it, with the same guards as the bot."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from bot.clock import Clock
from bot.config import Settings
from bot.storage import Database
from bot.storage import orgs as org_repo
from tests.cases_world import VOTERS_A, build
from tests.test_cli import env, run  # noqa: F401  (the CLI fixtures)


@pytest.fixture
def cli(run):
    """`run` of test_cli (a fresh database, English operator) with the cases world seeded into it."""
    assert run("init")[0] == 0

    async def seed():
        db = Database(run.db, Settings().audit_key_bytes(), Clock())
        await db.open()
        try:
            world = await build(db, Clock())
            async with db.write("cli:test") as tx:
                await org_repo.set_settings(tx, world.ids["committee"], {"policy": "2016"})
            return world.ids
        finally:
            await db.close()

    def call(*argv):
        return run(*map(str, argv))

    call.ids = asyncio.run(seed())  # type: ignore[attr-defined]
    call.path = run.db  # type: ignore[attr-defined]
    return call


def ok(result: tuple[int, str, str]) -> str:
    code, out, err = result
    assert code == 0, err
    return out


def refused(result: tuple[int, str, str]) -> str:
    code, out, err = result
    assert code == 2 and out == "", (code, out, err)
    return err


def test_the_lapsed_removal_walks_the_whole_chain_from_the_cli(cli):
    run = cli
    ids = run.ids
    wang, signers = ids["王XX"], ("--signer", ids["陈XX"], "--signer", ids["赵XX"])
    out = ok(run("case", "attempt", "--as", 101, "--member", wang, "--date", "2026-10-01", "--method", "former_unit",
                 "--contacted", "创意园办事员陈XX", "--phone", "0571-8888XXXX",
                 "--narrative", "致电原工作单位创意园，称王XX已离职，去向不明", "--result", "not_reached", *signers))
    case_id = int(out.split("case ")[1].split(" ")[0])
    for day, method, text in (("2026-10-08", "police_registry", "到派出所查询户籍，无迁移记录"),
                              ("2026-10-15", "letter", "向其老家寄信，未收到回复")):
        ok(run("case", "attempt", "--as", 101, "--member", wang, "--date", day, "--method", method,
               "--contacted", "派出所户籍民警", "--narrative", text, "--result", "not_reached", *signers))
    # Two signers at least, as in the bot.
    assert "two signing" in refused(run("case", "attempt", "--as", 101, "--member", wang, "--date", "2026-10-20",
                                        "--method", "phone", "--contacted", "王XX", "--narrative", "空号",
                                        "--result", "not_reached", "--signer", ids["陈XX"]))
    ok(run("case", "unreachable", case_id, "--as", 101, "--note", "经多方努力确实无法取得联系"))
    ok(run("case", "findings", case_id, "--as", 101, "--kind", "none"))
    # The committee user may not propose; the secretary may.
    assert "branch" in refused(run("case", "propose", case_id, "--as", 303, "--outcome", "removed_lapsed",
                                   "--opinion", "拟除名"))
    out = ok(run("case", "propose", case_id, "--as", 101, "--outcome", "自行脱党除名",
                 "--opinion", "因通过多方努力联系王XX未果，提出按自行脱党予以除名的初步处理意见"))
    assert "Committee pre-review" in out
    # The department before the committee: refused, nothing changes.
    refused(run("case", "review", case_id, "--as", 404, "--opinion", "同意"))
    ok(run("case", "review", case_id, "--as", 303, "--opinion", "同意，报组织部预审"))
    ok(run("case", "review", case_id, "--as", 404, "--opinion", "预审同意"))
    # 应到 8: 4 present is not more than half.
    assert "quorum" in refused(run("case", "resolve", case_id, "--as", 101, "--entitled", VOTERS_A, "--present", 4,
                                   "--for", 4, "--opinion", "同意"))
    ok(run("case", "resolve", case_id, "--as", 101, "--entitled", VOTERS_A, "--present", 7, "--for", 6,
           "--opinion", "支部党员大会表决同意按自行脱党除名"))
    ok(run("case", "approve", case_id, "--as", 303, "--opinion", "审核同意，报组织部审批"))
    out = ok(run("case", "approve", case_id, "--as", 404, "--opinion", "批准按自行脱党予以除名"))
    assert "decided" in out
    card = json.loads(ok(run("case", "show", case_id, "--json")))
    assert card["case"]["state"] == "decided" and card["case"]["outcome"] == "removed_lapsed"
    assert card["member_active"] is False
    chain = [(s["step"], s["role"], s["tg_id"]) for s in card["steps"] if s["step"] not in ("unreachable", "findings")]
    assert chain == [("branch_proposal", "secretary", 101), ("committee_prereview", "committee", 303),
                     ("dept_prereview", "org_dept", 404), ("general_meeting", "secretary", 101),
                     ("committee_approval", "committee", 303), ("dept_approval", "org_dept", 404)]
    meeting = next(s for s in card["steps"] if s["step"] == "general_meeting")
    assert meeting["votes"] == {"entitled": 8, "present": 7, "in_favour": 6}
    # A replay of the last approval changes nothing.
    assert "decided" in refused(run("case", "approve", case_id, "--as", 404, "--opinion", "批准"))
    # The list: as the secretary, closed cases only with --all.
    lines = [json.loads(x) for x in ok(run("case", "list", "--as", 101, "--json", "--all")).splitlines()]
    assert [(c["case_id"], c["state"]) for c in lines] == [(case_id, "decided")]
    assert ok(run("case", "list", "--as", 101)).strip() == "No cases."
    # The other county's department sees nothing of it.
    assert refused(run("case", "show", case_id, "--as", 505))
    # Each step's audit row names who acted; the trail verifies.
    assert ok(run("audit", "verify")).startswith("OK, ")
    with sqlite3.connect(run.path) as conn:
        actors = [r[0] for r in conn.execute("SELECT actor FROM audit_log WHERE entity = 'case_step' ORDER BY id")]
    conn.close()
    assert actors[-6:] == ["tg:101", "tg:303", "tg:404", "tg:101", "tg:303", "tg:404"]
