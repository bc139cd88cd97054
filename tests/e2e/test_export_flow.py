"""/export through the emulator: pick a form, the node, the date and the format; the progress line; the file
in the private chat, opened with openpyxl; members, strangers and forged callbacks refused. And the two
records the 回执 table needs: a transfer in and the province."""

from __future__ import annotations

import io
from datetime import date

import openpyxl

from bot.domain.codes import OrgCategory, OrgLevel
from bot.domain.org import Organization
from bot.i18n import translator
from bot.storage import orgs as org_repo

EN = translator("en")
ZH = translator("zh_CN")


async def test_a_secretary_exports_the_roster_and_receives_the_file(bot_env):
    env = bot_env
    secretary = await env.add_secretary(language_code="en")
    for name in ("王XX", "赵XX"):
        await env.add_member(name, last_contact_on=date(2026, 11, 1))
    await env.add_member("钱XX", env.other_branch_id)                     # another branch: not on this roster
    [ask] = await env.say(secretary, "/export")
    assert EN.gettext("Which form?") in ask.text
    assert "1. " + EN.gettext("Branch member roster") in ask.button_texts()
    [ask] = await env.tap(secretary, "1. " + EN.gettext("Branch member roster"))
    # one branch only: the node is not asked
    assert EN.gettext("The date the form is filled in (填表日期): tap Today, or type a date.") in ask.text
    [ask] = await env.tap(secretary, EN.gettext("Today"))
    assert ask.button_texts()[:2] == ["XLSX", "CSV"]
    [summary] = await env.tap(secretary, "XLSX")
    assert "创意园党支部" in summary.text and "XLSX" in summary.text
    progress, document, result = await env.tap(secretary, EN.gettext("✅ Confirm"), expect=3)
    assert (progress.event, progress.text) == ("edited", EN.gettext("Filling in the form…"))
    assert document.document_name == "支部党员名册-创意园党支部-2026-11-23.xlsx"
    assert document.caption == "支部党员名册 · 创意园党支部 · " + EN.date(date(2026, 11, 23)) + " · 3 row(s)"
    ws = openpyxl.load_workbook(io.BytesIO(document.document)).worksheets[0]
    assert ws["A1"].value == "支部党员名册" and ws["G2"].value == "填表日期：2026年11月23日"
    assert sorted(ws.cell(r, 2).value for r in (4, 5, 6)) == ["李XX", "王XX", "赵XX"]   # the secretary too
    assert ws.cell(7, 2).value is None or ws.cell(7, 1).value.startswith("填表人")
    assert (result.message_id, result.text) == (progress.message_id,
                                                 EN.gettext("Sent: {file}", file=document.document_name))
    row = await env.db.fetchone("SELECT actor, after FROM audit_log WHERE entity = 'export' ORDER BY id DESC")
    assert row["actor"] == f"tg:{secretary.id}" and '"rows":3' in row["after"] and "王XX" not in row["after"]


async def test_members_and_strangers_are_refused(bot_env):
    env = bot_env
    member = await env.bind_member(await env.add_member("王XX"), language_code="en")
    [refusal] = await env.say(member, "/export")
    assert refusal.text == EN.gettext("This is not available to you.")
    stranger = env.stranger()
    [hint] = await env.say(stranger, "/export")
    assert EN.gettext("ask your branch secretary") in hint.text or "invite" in hint.text.lower()
    assert await env.db.fetchone("SELECT 1 FROM audit_log WHERE entity = 'export'") is None


async def test_a_committee_user_picks_a_node_and_a_forged_node_is_refused(bot_env):
    env = bot_env
    async with env.db.write("e2e") as tx:
        elsewhere = await org_repo.add(tx, Organization(name="外街党工委", level=OrgLevel.PRIMARY_COMMITTEE,
                                                         category=OrgCategory.COMMUNITY))
        outside = await org_repo.add(tx, Organization(name="外街支部", level=OrgLevel.BRANCH,
                                                      category=OrgCategory.COMMUNITY, parent_id=elsewhere))
    wang = await env.add_member("王XX", last_contact_on=date(2026, 1, 5))      # 失联 on 2026-11-23
    await env.add_member("孙XX", env.other_branch_id, last_contact_on=date(2026, 2, 1))
    stranger_member = await env.add_member("外XX", outside, last_contact_on=date(2026, 1, 1))
    committee = await env.add_committee_user(language_code="en")
    [ask] = await env.say(committee, "/export")
    [scope] = await env.tap(committee, "5. " + EN.gettext("Register of members still unreachable"))
    assert scope.button_texts()[:3] == ["街道党工委", "· 创意园党支部", "· 另一支部"]   # the tree, branches by name
    await env.press_data(committee, f"s:f:ex:scope:m{outside}", expect=0)       # a node outside the subtree
    assert env.emu.callback_queries[-1].answer["text"] == EN.gettext("You are not allowed to do that")
    [ask] = await env.tap(committee, "街道党工委")
    await env.tap(committee, EN.gettext("Today"))
    await env.tap(committee, "XLSX")
    _progress, document, _result = await env.tap(committee, EN.gettext("✅ Confirm"), expect=3)
    assert document.document_name == "经查找仍然无法取得联系党员登记表-街道党工委-2026-11-23.xlsx"
    ws = openpyxl.load_workbook(io.BytesIO(document.document)).worksheets[0]
    rows = [(ws.cell(r, 1).value, ws.cell(r, 12).value) for r in (4, 5)]
    assert rows == [("王XX", "创意园党支部"), ("孙XX", "另一支部")]            # by branch id, each with its branch
    # a per-member form: a member outside the node is refused even if forged
    await env.say(committee, "/export")
    await env.tap(committee, "7. " + EN.gettext("Search record (one per member)"))
    [members] = await env.tap(committee, "· 创意园党支部")
    assert EN.gettext("All members the form applies to") in members.button_texts()
    await env.press_data(committee, f"s:f:ex:member_id:m{stranger_member}", expect=0)
    assert env.emu.callback_queries[-1].answer["text"] == EN.gettext("You are not allowed to do that")
    [found] = await env.say(committee, "王")
    assert any(t.startswith("王XX") for t in found.button_texts())
    [ask] = await env.tap(committee, next(t for t in found.button_texts() if t.startswith("王XX")))
    assert EN.gettext("The date the form is filled in (填表日期): tap Today, or type a date.") in ask.text
    assert wang


async def test_transfer_in_and_province_then_the_receipts_table(bot_env):
    env = bot_env
    secretary = await env.add_secretary(language_code="zh-hans", education="postgraduate")
    wang = await env.add_member("王XX", education="bachelor")
    await env.say(secretary, "/start")
    [ask] = await env.press_data(secretary, "s:go:pv")
    assert ZH.gettext("In which province is it? e.g. 浙江") in ask.text
    [bad] = await env.say(secretary, "火星")
    assert "⚠️" in bad.text
    [summary] = await env.say(secretary, "浙江省")
    [done] = await env.tap(secretary, ZH.gettext("✅ Confirm"))
    assert "浙江" in done.text
    [ask] = await env.press_data(secretary, "s:go:ti")
    [ask] = await env.say(secretary, "王")
    await env.tap(secretary, next(t for t in ask.button_texts() if "王XX" in t))
    await env.say(secretary, "2026-03-01")
    await env.say(secretary, "南京XX党支部")
    await env.say(secretary, "江苏")
    [summary] = await env.say(secretary, "2026-03-05")
    assert "南京XX党支部" in summary.text and "江苏" in summary.text
    await env.tap(secretary, ZH.gettext("✅ Confirm"))
    row = await env.db.fetchone("SELECT member_id, province, receipt_sent_on FROM transfers_in")
    assert tuple(row) == (wang, "江苏", "2026-03-05")
    await env.say(secretary, "/export")
    await env.tap(secretary, "9. " + ZH.gettext("Yearly 回执 statistics"))
    await env.tap(secretary, ZH.gettext("Today"))
    await env.tap(secretary, "XLSX")
    _p, document, _r = await env.tap(secretary, ZH.gettext("✅ Confirm"), expect=3)
    ws = openpyxl.load_workbook(io.BytesIO(document.document)).worksheets[0]
    #                                    总数 研究生 本科生 专科生 省内 省外 回执
    assert [c.value for c in ws[4]] == ["转入组织关系数", 1, 0, 1, 0, 0, 1, 1]


async def test_receipts_without_a_province_say_what_to_do_and_lose_nothing(bot_env):
    env = bot_env
    secretary = await env.add_secretary(language_code="en")
    await env.say(secretary, "/export")
    await env.tap(secretary, "9. " + EN.gettext("Yearly 回执 statistics"))
    await env.tap(secretary, EN.gettext("Today"))
    await env.tap(secretary, "XLSX")
    replies = await env.tap(secretary, EN.gettext("✅ Confirm"), expect=2)
    text = " ".join(m.text or "" for m in replies)
    assert "Set the province of 创意园党支部 first" in text
    assert all(m.document is None for m in replies)


async def test_a_variant_and_the_csv_twin(bot_env):
    env = bot_env
    secretary = await env.add_secretary(language_code="en")
    await env.say(secretary, "/export")
    [ask] = await env.tap(secretary, "4. " + EN.gettext("Register of members reached after search"))
    assert ask.button_texts()[:2] == [EN.gettext("Standard form"), EN.gettext("With current work unit and residence")]
    await env.tap(secretary, EN.gettext("With current work unit and residence"))
    await env.tap(secretary, EN.gettext("Today"))
    await env.tap(secretary, "CSV")
    _p, document, _r = await env.tap(secretary, EN.gettext("✅ Confirm"), expect=3)
    assert document.document_name == "经查找取得联系党员登记表-创意园党支部-2026-11-23.csv"
    header = document.document.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[7:9] == ["现工作（学习）单位", "现居住地"]
    # and the standard form has no such columns (the empty variant value is a real choice)
    await env.say(secretary, "/export")
    await env.tap(secretary, "4. " + EN.gettext("Register of members reached after search"))
    await env.tap(secretary, EN.gettext("Standard form"))
    await env.tap(secretary, EN.gettext("Today"))
    await env.tap(secretary, "CSV")
    _p, document, _r = await env.tap(secretary, EN.gettext("✅ Confirm"), expect=3)
    assert "现居住地" not in document.document.decode("utf-8-sig").splitlines()[0]
