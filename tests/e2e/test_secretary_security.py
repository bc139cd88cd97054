"""The secretaries' commands and buttons refuse everyone else, and reveal nothing: a stranger, a bound ordinary
member, the secretary of another branch with forged or replayed callback data (`s:…` naming 王XX of the
创意园 branch), and anyone in a group chat."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.codes import Role, TransferKind
from bot.domain.events import Transfer
from bot.handlers.common import GROUP_REFUSAL, INVITE_HINT, NOT_AVAILABLE
from bot.i18n import translator
from bot.storage import transfers as transfer_repo
from bot.storage import users as user_repo

ZH = translator("zh_CN")
EN = translator("en")
REFUSAL = "You are not allowed to do that"
STALE = "This button is no longer active."

SECRETARY_COMMANDS = ("/branch", "/members", "/outofcontact", "/lost", "/noreceipt", "/flow", "/find", "/find 王",
                      "/search", "/search 王XX", "/regained", "/attendance", "/dues", "/transfer", "/receipt",
                      "/officer")
SECRETS = ("王XX", "李XX", "韩XX", "13912345678", "创意园", "深圳")


async def world(env):
    """Branch A (创意园): secretary 李XX, 韩XX, 王XX lost with a transfer awaiting its 回执. Branch B: its secretary 孙XX."""
    sec_a = await env.add_secretary("李XX", language_code="zh-hans", last_contact_on=date(2026, 11, 20))
    chen = await env.add_member("韩XX", last_contact_on=date(2026, 11, 20))
    wang = await env.add_member("王XX", mobile="13912345678", last_contact_on=date(2015, 3, 1))
    async with env.db.write("e2e") as tx:
        tid = await transfer_repo.insert(tx, Transfer(
            member_id=chen, kind=TransferKind.TEMPORARY, to_org="深圳市XX党委", destination="深圳", phone="13800138000",
            backup_name="张XX", backup_phone="13900139000", sent_on=date(2026, 10, 1)))
    sec_b = await env.add_secretary("孙XX", branch_id=env.other_branch_id, language_code="en",
                                    last_contact_on=date(2026, 11, 20))
    zhou = await env.add_member("周XX", branch_id=env.other_branch_id, last_contact_on=date(2026, 11, 20))
    qian = await env.add_member("钱XX", branch_id=env.other_branch_id, last_contact_on=date(2016, 1, 1))
    return {"sec_a": sec_a, "sec_b": sec_b, "chen": chen, "wang": wang, "tid": tid, "zhou": zhou, "qian": qian}


def forged_buttons(w) -> list[str]:
    wang, tid = w["wang"], w["tid"]
    return ["s:menu", "s:ml:0", "s:fq:0", "s:oc:0", "s:ol:0", "s:ot:0", "s:fl:0", f"s:m:{wang}", f"s:sh:{wang}",
            "s:go:ss", f"s:go:ss:{wang}", f"s:go:rg:{wang}", f"s:go:du:{wang}", f"s:go:tr:{wang}",
            f"s:go:of:{wang}", f"s:go:rc:{tid}", "s:go:at", "s:go:fd"]


def assert_nothing_revealed(env, user, since: int = 0) -> None:
    """Nothing of branch A in what the user was shown after their first `since` messages."""
    everything = " ".join(m.body for m in env.emu.messages_to(user)[since:])
    everything += " ".join(str((q.answer or {}).get("text", "")) for q in env.emu.callback_queries
                           if q.user.id == user.id)
    for secret in SECRETS:
        assert secret not in everything, (secret, everything[max(0, everything.find(secret) - 300):everything.find(secret) + 100])


async def test_a_stranger_gets_only_the_invite_hint(bot_env):
    env = bot_env
    w = await world(env)
    stranger = env.stranger("en")
    for command in SECRETARY_COMMANDS:
        [answer] = await env.say(stranger, command)
        assert answer.text == INVITE_HINT, command
    for data in forged_buttons(w) + [f"s:f:ss:member_id:m{w['wang']}", "s:f:ss:ok", f"s:f:at:present:t{w['wang']}"]:
        replies = await env.press_data(stranger, data, expect=1)
        assert [m.text for m in replies] == [INVITE_HINT], data
    assert_nothing_revealed(env, stranger)


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
async def test_an_ordinary_member_is_refused_every_secretary_command(bot_env, lang):
    env = bot_env
    w = await world(env)
    tr = ZH if lang.startswith("zh") else EN
    member_id = await env.add_member("刘XX", last_contact_on=date(2026, 11, 20))
    member = await env.bind_member(member_id, language_code=lang)
    welcomed = len(env.emu.messages_to(member))                 # the welcome names their own branch
    for command in SECRETARY_COMMANDS:
        [answer] = await env.say(member, command)
        assert answer.text == tr.gettext(NOT_AVAILABLE), command
    for data in forged_buttons(w):
        [answer] = await env.press_data(member, data)
        assert answer.text == tr.gettext(NOT_AVAILABLE), data
    for data in (f"s:f:ss:member_id:m{w['wang']}", "s:f:ss:ok", f"s:f:tr:phone:x"):
        await env.press_data(member, data, expect=0)
        assert env.emu.callback_queries[-1].answer["text"] == tr.gettext(STALE)
    assert_nothing_revealed(env, member, since=welcomed)
    assert (await env.db.fetchone("SELECT COUNT(*) FROM search_attempts"))[0] == 0


async def test_the_secretary_of_another_branch_gets_a_refusal_that_reveals_nothing(bot_env):
    env = bot_env
    w = await world(env)
    sec_b = w["sec_b"]
    await env.say(sec_b, "/branch")
    for data in (f"s:m:{w['wang']}", f"s:sh:{w['wang']}", f"s:go:ss:{w['wang']}", f"s:go:rg:{w['wang']}",
                 f"s:go:du:{w['wang']}", f"s:go:tr:{w['wang']}", f"s:go:of:{w['wang']}", f"s:go:rc:{w['tid']}",
                 f"s:m:{w['chen']}"):
        await env.press_data(sec_b, data, expect=0)
        query = env.emu.callback_queries[-1]
        assert query.answer["text"] == EN.gettext(REFUSAL) and query.answer.get("show_alert"), data
    # an id that does not exist, or is not a number: exactly the same words
    for data in ("s:m:99999", "s:m:abc", "s:sh:99999", "s:go:ss:99999", "s:go:rc:99999"):
        await env.press_data(sec_b, data, expect=0)
        assert env.emu.callback_queries[-1].answer["text"] == EN.gettext(REFUSAL), data
    # B's own lists show B's branch only
    for command in ("/members", "/lost", "/noreceipt", "/flow"):
        [page] = await env.say(sec_b, command)
        assert "钱XX" in page.text or command in ("/noreceipt", "/flow"), command
    assert_nothing_revealed(env, sec_b)


async def test_forged_ids_inside_a_conversation_are_refused(bot_env):
    env = bot_env
    w = await world(env)
    sec_b = w["sec_b"]
    [ask] = await env.say(sec_b, "/search")
    await env.press_data(sec_b, f"s:f:ss:member_id:m{w['wang']}", expect=0)      # another branch's member
    assert env.emu.callback_queries[-1].answer["text"] == EN.gettext(REFUSAL)
    [found] = await env.say(sec_b, "王")                                         # by name: nobody
    assert EN.gettext("Members named “{name}”: {n}. Tap one, or type another name.", name="王", n=0) in found.text
    [found] = await env.say(sec_b, "钱")
    await env.tap(sec_b, "钱XX")
    await env.tap(sec_b, EN.gettext("Today"))
    await env.tap(sec_b, "Phone call")
    await env.say(sec_b, "钱XX家属")
    await env.tap(sec_b, EN.gettext("Skip"))
    await env.say(sec_b, "电话无人接听")
    [checklist] = await env.tap(sec_b, "Not reached")
    await env.press_data(sec_b, f"s:f:ss:signer_ids:t{w['chen']}", expect=0)   # a signer of branch A
    assert env.emu.callback_queries[-1].answer["text"] == EN.gettext(REFUSAL)
    await env.tap(sec_b, "☐ 周XX", message=checklist)
    [summary] = await env.tap(sec_b, EN.gettext("Done ✔"))
    assert "韩XX" not in summary.text
    await env.tap(sec_b, EN.gettext("✅ Confirm"))
    rows = await env.db.fetchall("SELECT s.member_id FROM search_signers s")
    assert w["chen"] not in [r[0] for r in rows] and len(rows) == 2
    # the attendance checklist of B refuses A's member
    await env.say(sec_b, "/attendance")
    await env.press_data(sec_b, f"s:f:at:present:t{w['wang']}", expect=0)
    assert env.emu.callback_queries[-1].answer["text"] == EN.gettext(REFUSAL)
    assert_nothing_revealed(env, sec_b)


async def test_a_replayed_button_after_the_role_is_revoked(bot_env):
    env = bot_env
    w = await world(env)
    sec_a = w["sec_a"]
    await env.say(sec_a, "/members")
    [card] = await env.tap(sec_a, "王XX")
    assert "王XX" in card.text
    async with env.db.write("e2e") as tx:
        await user_repo.revoke(tx, sec_a.id, Role.SECRETARY, env.branch_id)
    for data in (f"s:m:{w['wang']}", f"s:go:ss:{w['wang']}", f"s:sh:{w['wang']}"):
        [answer] = await env.press_data(sec_a, data, message=card)
        assert answer.text == ZH.gettext(NOT_AVAILABLE)
    [answer] = await env.tap(sec_a, ZH.gettext("📝 Log a search attempt"), message=card)
    assert answer.text == ZH.gettext(NOT_AVAILABLE)


async def test_a_group_chat_is_refused(bot_env):
    env = bot_env
    w = await world(env)
    sec_a = w["sec_a"]
    group = env.group("创意园党员之家", sec_a)
    for command in ("/branch", "/members", "/lost", "/search", "/find 王", "/attendance"):
        [refusal] = await env.say(sec_a, f"{command}@{env.emu.bot_username}" if " " not in command else command,
                                  chat=group)
        assert refusal.text == ZH.gettext(GROUP_REFUSAL)
    await env.press_data(sec_a, f"s:m:{w['wang']}", expect=0, message=refusal)
    assert env.emu.callback_queries[-1].answer["text"] == ZH.gettext(GROUP_REFUSAL)
    everything = " ".join(m.body for m in env.emu.messages_to(group))
    for secret in SECRETS:
        assert secret not in everything.replace("创意园党员之家", "")
    assert (await env.db.fetchone("SELECT COUNT(*) FROM persistence WHERE kind LIKE 'conversation:%'"))[0] == 0


async def test_only_officers_see_the_secretary_commands(bot_env):
    env = bot_env
    w = await world(env)
    member = await env.bind_member(await env.add_member("刘XX"))
    officer_menu = [c["command"] for c in env.emu.visible_commands(w["sec_a"])]
    for command in ("branch", "members", "lost", "outofcontact", "noreceipt", "flow", "find", "search", "regained",
                    "attendance", "dues", "transfer", "receipt", "officer"):
        assert command in officer_menu, command
    member_menu = [c["command"] for c in env.emu.visible_commands(member)]
    assert "start" in member_menu and "search" not in member_menu and "members" not in member_menu
    descriptions = {c["command"]: c["description"] for c in env.emu.visible_commands(w["sec_a"])}
    assert descriptions["search"] == ZH.gettext("Log a search attempt (联系查找)")
