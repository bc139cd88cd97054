"""The summary tables through the bot: /summary picked, the node picked, today confirmed, the xlsx received
and read back with openpyxl — for a committee (both branches summed) and for a branch; a secretary cannot
pick another branch (a forged node id), a plain member is refused."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from bot.handlers.common import NOT_AVAILABLE
from bot.i18n import translator

EN = translator("en")
TITLE_6 = "与党组织失去联系党员情况汇总表"


async def world(env):
    """创意园: secretary 李XX, 王XX lost since 2015 (no 职业 on record: ⑧其他). 另一支部: 钱XX lost since 2016."""
    from summary_world import ensure_case_columns   # issue 10's case columns until its migration is merged

    await ensure_case_columns(env.db)
    sec = await env.add_secretary("李XX", language_code="en", last_contact_on=date(2026, 11, 20))
    wang = await env.add_member("王XX", last_contact_on=date(2015, 3, 1))
    await env.add_member("钱XX", branch_id=env.other_branch_id, last_contact_on=date(2016, 1, 1),
                         occupation="graduate")
    return sec, wang


async def export_through_the_bot(env, user, org_label: str):
    [ask_form] = await env.say(user, "/summary")
    assert TITLE_6 in ask_form.button_texts()
    [ask_org] = await env.tap(user, TITLE_6)
    [ask_date] = await env.tap(user, org_label)
    [summary] = await env.tap(user, EN.gettext("Today"))
    assert org_label in summary.text
    progress, document, result = await env.tap(user, EN.gettext("✅ Confirm"), expect=3)
    assert "Filling" in progress.text
    assert document.document_name == f"{TITLE_6}-{org_label}-2026-11-23.xlsx"
    assert result.text.startswith("Sent ")
    return load_workbook(io.BytesIO(document.document)), document


async def test_committee_and_branch_exports(bot_env):
    env = bot_env
    sec, _wang = await world(env)
    committee = await env.add_committee_user(language_code="en")
    wb, doc = await export_through_the_bot(env, committee, await org_name(env, env.committee_id))
    ws = wb["汇总表"]
    assert ws["A1"].value == TITLE_6
    # Rows ①–⑧ from row 7: 钱XX under ⑤高校毕业生, 王XX and 李XX (no 职业) under ⑧其他; 合计 on row 15.
    assert ws.cell(15, 1).value == "合计" and ws.cell(15, 2).value == 3 and ws.cell(15, 4).value == 2
    assert ws.cell(11, 4).value == 1 and ws.cell(14, 4).value == 1
    assert "2 counted" in doc.caption
    branches = wb["分支部"]
    assert sorted(branches.cell(r, 1).value for r in (7, 8)) == sorted(["创意园党支部", "另一支部"])

    wb, _doc = await export_through_the_bot(env, sec, "创意园党支部")
    ws = wb["汇总表"]
    assert ws.cell(15, 2).value == 2 and ws.cell(15, 4).value == 1          # 李XX, 王XX; only 王XX lost


async def org_name(env, org_id: int) -> str:
    row = await env.db.fetchone("SELECT name FROM orgs WHERE id = ?", (org_id,))
    return row[0]


async def test_a_secretary_cannot_pick_another_branch_and_members_are_refused(bot_env):
    env = bot_env
    sec, wang = await world(env)
    [ask_form] = await env.say(sec, "/summary")
    [ask_org] = await env.tap(sec, TITLE_6)
    assert "另一支部" not in " ".join(ask_org.button_texts())
    await env.press_data(sec, f"s:f:sx:org:m{env.other_branch_id}", expect=0, message=ask_org)    # forged: a node not offered
    answers = [q.answer for q in env.emu.callback_queries if q.user.id == sec.id]
    assert answers[-1] and answers[-1].get("text") == EN.gettext("You are not allowed to do that")
    member = await env.bind_member(wang, language_code="en")
    [refused] = await env.say(member, "/summary")
    assert refused.text == EN.gettext(NOT_AVAILABLE)
