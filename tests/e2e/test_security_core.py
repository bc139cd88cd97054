"""The core's security and robustness: groups, strangers, forged buttons, /me masking, /card,
the error handler, and per-user ordering — over the emulator."""

from __future__ import annotations

import asyncio
import logging
import re

from telegram.ext import ApplicationHandlerStop, CommandHandler

from bot.handlers.common import (
    GROUP_REFUSAL, INVITE_HINT, NOT_AVAILABLE, officer_required, reply,
)
from bot.i18n import translator

ZH = translator("zh_CN")
EN = translator("en")

def valid_id(first17: str) -> str:
    from bot.domain.idcard import check_digit

    return first17 + check_digit(first17)


# ---- groups ------------------------------------------------------------------------------------------

async def test_a_group_gets_one_line_and_no_data(bot_env):
    wang_id = await bot_env.add_member(name="王XX", mobile="13912345678")
    member = await bot_env.bind_member(wang_id)
    secretary = await bot_env.add_secretary(name="李XX", mobile="13800001111")
    group = bot_env.group("创意园党员之家", member, secretary)

    for user, text in ((member, "/me"), (member, "/card"), (secretary, "/start"), (secretary, "/help"),
                       (member, f"/me@{bot_env.emu.bot_username}"), (secretary, f"@{bot_env.emu.bot_username} 名单")):
        [refusal] = await bot_env.say(user, text, chat=group)
        assert refusal.text == ZH.gettext(GROUP_REFUSAL)
        assert "\n" not in refusal.text and refusal.inline_buttons() == []

    # Chatter not addressed to the bot, or addressed to another bot: silence.
    await bot_env.say(member, "大家好", chat=group, expect=0)
    await bot_env.say(member, "/me@some_other_bot", chat=group, expect=0)

    everything = " ".join(m.body for m in bot_env.emu.messages_to(group))
    for secret in ("王XX", "李XX", "13912345678", "13800001111", "创意园党支部"):
        assert secret not in everything


async def test_a_reply_to_the_bot_in_a_group_is_refused(bot_env):
    wang_id = await bot_env.add_member(name="王XX")
    member = await bot_env.bind_member(wang_id)
    group = bot_env.group("创意园党员之家", member)
    [refusal] = await bot_env.say(member, "/start", chat=group)
    await bot_env.emu.send_text(member, "那我的信息呢？", group, reply_to=refusal)
    [again] = await bot_env.emu.wait_for_bot(group)
    assert again.text == ZH.gettext(GROUP_REFUSAL)


# ---- strangers and forged buttons ---------------------------------------------------------------------

async def test_a_stranger_learns_nothing_but_how_to_get_an_invite(bot_env):
    await bot_env.add_member(name="王XX", mobile="13912345678")
    await bot_env.add_secretary(name="李XX", mobile="13800001111")
    stranger = bot_env.stranger("en")

    for text in ("/start", "/me", "/card", "/help", "/members", "王XX", "/cancel"):
        [reply_msg] = await bot_env.say(stranger, text)
        assert reply_msg.text == INVITE_HINT, text
    await bot_env.say(stranger, "/lang")                     # choosing a language reveals nothing
    for forged in ("c:me", "c:card", "c:menu", "m:menu:outflow", "s:menu", "c:cancel", "s:member:1"):
        replies = await bot_env.press_data(stranger, forged, expect=1)
        assert all(m.text in (INVITE_HINT, "Nothing to cancel.") or m.text.startswith("Choose")
                   for m in replies), (forged, [m.text for m in replies])
    everything = " ".join(m.body for m in bot_env.emu.messages_to(stranger))
    for secret in ("王XX", "李XX", "13912345678", "13800001111", "创意园"):
        assert secret not in everything


async def test_a_forged_language_button_changes_nothing(bot_env):
    wang_id = await bot_env.add_member(name="王XX")
    member = await bot_env.bind_member(wang_id, language_code="en")
    await bot_env.say(member, "/lang")
    await bot_env.press_data(member, "c:lang:de", expect=0)
    query = bot_env.emu.callback_queries[-1]
    assert query.answered and query.answer["text"] == "This button is no longer active."
    row = await bot_env.db.fetchone("SELECT locale FROM users WHERE tg_id = ?", (member.id,))
    assert row[0] is None


async def test_officer_required_refuses_without_revealing(bot_env):
    calls = []

    @officer_required
    async def secret(update, context, ctx):
        calls.append(ctx.actor.tg_id)
        await reply(update, ctx, "officer stuff")

    async def only_this(update, context):
        await secret(update, context)
        raise ApplicationHandlerStop  # keep the core's "unknown command" out of this test

    bot_env.app.add_handler(CommandHandler("secretstuff", only_this), group=-50)
    stranger = bot_env.stranger("en")
    wang_id = await bot_env.add_member(name="王XX")
    member = await bot_env.bind_member(wang_id, language_code="en")
    secretary = await bot_env.add_secretary(name="李XX", language_code="en")

    assert (await bot_env.say(stranger, "/secretstuff"))[0].text == INVITE_HINT
    assert (await bot_env.say(member, "/secretstuff"))[0].text == NOT_AVAILABLE
    assert (await bot_env.say(secretary, "/secretstuff"))[0].text == "officer stuff"
    assert calls == [secretary.id]


# ---- /me and /card ----------------------------------------------------------------------------------

async def test_me_shows_the_own_record_with_the_id_number_masked(bot_env):
    id_number = valid_id("11010519850307123")
    wang_id = await bot_env.add_member(name="王<b>&XX", id_number=id_number, mobile="13912345678",
                                       residence="北京市朝阳区<创意园>1号", work_unit="某科技公司 & 设计部")
    member = await bot_env.bind_member(wang_id)

    [record] = await bot_env.say(member, "/me")

    assert id_number not in record.text
    assert re.search(r"1101\*{10}123[0-9X]", record.text)
    assert "王<b>&XX" in record.text                        # escaped: shown literally, no HTML broken
    assert "北京市朝阳区<创意园>1号" in record.text and "某科技公司 & 设计部" in record.text
    assert "13912345678" in record.text                     # one's own phone, in one's own chat
    assert ZH.date(__import__("datetime").date(1985, 3, 7)) in record.text
    assert "m:menu:correction" in [b["callback_data"] for b in record.inline_buttons()]

    # The same from the menu button edits the menu message in place.
    await bot_env.say(member, "/start")
    [edited] = await bot_env.tap(member, "c:me")
    assert edited.edited and id_number not in edited.text


async def test_me_only_ever_shows_ones_own_record(bot_env):
    wang_id = await bot_env.add_member(name="王XX", mobile="13912345678")
    zhao_id = await bot_env.add_member(name="赵XX", mobile="13700000000")
    wang = await bot_env.bind_member(wang_id, language_code="en")
    await bot_env.bind_member(zhao_id)
    [record] = await bot_env.say(wang, "/me")
    assert "王XX" in record.text and "赵XX" not in record.text and "13700000000" not in record.text
    await bot_env.say(wang, "/start")
    await bot_env.press_data(wang, f"c:me:{zhao_id}", expect=0)      # a forged id opens nothing
    assert bot_env.emu.callback_queries[-1].answer["text"] == "This button is no longer active."
    assert all("赵XX" not in m.body for m in bot_env.emu.messages_to(wang))


async def test_card_lists_the_branch_officers_and_note(bot_env):
    await bot_env.add_secretary(name="李XX", mobile="13800001111")
    from bot.domain.codes import Role

    await bot_env.add_secretary(name="周XX", mobile="13600002222", role=Role.ORGANIZER)
    await bot_env.add_secretary(name="孙XX", mobile="13500003333", branch_id=bot_env.other_branch_id)
    wang_id = await bot_env.add_member(name="王XX")
    member = await bot_env.bind_member(wang_id)

    [card] = await bot_env.say(member, "/card")

    assert "创意园党支部" in card.text and "街道党工委" in card.text
    assert "李XX" in card.text and "13800001111" in card.text
    assert "周XX" in card.text and "13600002222" in card.text
    assert card.text.index("李XX") < card.text.index("周XX")     # the secretary first
    assert "孙XX" not in card.text                               # another branch's secretary
    assert "支部微信群：创意园党员之家" in card.text
    assert Role.SECRETARY.label(ZH) in card.text


async def test_an_officer_without_a_member_record_has_no_me(bot_env):
    committee = await bot_env.add_committee_user(language_code="en")
    [reply_msg] = await bot_env.say(committee, "/me")
    assert reply_msg.text == EN.gettext(
        "Your account is not linked to a member record. Ask your branch secretary for a member invite.")


# ---- errors and ordering ----------------------------------------------------------------------------

async def test_an_unhandled_exception_is_apologised_for_and_logged_without_personal_data(bot_env, caplog):
    async def boom(update, context):
        raise ValueError(f"cannot parse {update.message.text} for 13912345678 / 110105198503071234")

    bot_env.app.add_handler(CommandHandler("boom", boom), group=-50)
    bot_env.allow_bot_errors(ValueError)
    wang_id = await bot_env.add_member(name="王XX")
    member = await bot_env.bind_member(wang_id)
    caplog.set_level(logging.DEBUG)

    replies = await bot_env.say(member, "/boom 王XX 13912345678", expect=2)

    apology = ZH.gettext("Sorry, something went wrong on our side. Please try again, or send /cancel to start over.")
    assert apology in [m.text for m in replies]
    errors = bot_env.bot_errors
    assert len(errors) == 1 and isinstance(errors[0], ValueError)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "ValueError" in logged and "test_security_core.py" in logged
    for secret in ("13912345678", "110105198503071234", "王XX", "cannot parse"):
        assert secret not in logged


async def test_a_users_updates_run_in_order_and_users_run_concurrently(bot_env):
    seen: list[tuple[int, str]] = []

    async def slow(update, context):
        text = update.message.text
        delay = {"/slow 1": 0.3, "/slow 2": 0.0, "/slow 3": 0.1}.get(text, 0)
        await asyncio.sleep(delay)
        seen.append((update.effective_user.id, text))
        await update.effective_chat.send_message(text)
        raise ApplicationHandlerStop

    bot_env.app.add_handler(CommandHandler("slow", slow), group=-50)
    first = bot_env.stranger("en", "A")
    second = bot_env.stranger("en", "B")
    for text in ("/slow 1", "/slow 2", "/slow 3"):
        await bot_env.emu.send_text(first, text)
    await bot_env.emu.send_text(second, "/slow 2")
    await bot_env.emu.wait_for_bot(first, count=3)
    await bot_env.emu.wait_for_bot(second, count=1)

    assert [t for u, t in seen if u == first.id] == ["/slow 1", "/slow 2", "/slow 3"]
    # B's instant command did not wait behind A's slow one.
    assert seen.index((second.id, "/slow 2")) < seen.index((first.id, "/slow 1"))


# ---- the kit's limits (no bot needed) ----------------------------------------------------------------

def test_callback_data_over_64_bytes_is_refused_before_telegram_sees_it():
    import pytest

    from bot.handlers.markup import cb, keyboard, parse_cb

    assert cb("s:member", 12, "page", 3) == "s:member:12:page:3"
    assert parse_cb("s:member:12:page:3") == ["s", "member", "12", "page", "3"]
    with pytest.raises(ValueError):
        cb("s:find", "王" * 20)          # 20 characters are 60 bytes in UTF-8; with the prefix, 67
    with pytest.raises(ValueError):
        keyboard([[("x", "m:" + "a" * 63)]])


def test_a_long_list_paginates_under_4096_characters():
    from bot.handlers.markup import esc, paginate, short

    members = [f"王XX{i} <创意园> & 某某公司某某部门某某职务" * 3 for i in range(95)]
    text, rows = paginate(members, 0, 40, lambda m: "• " + esc(short(m, 200)), "s:list", header="<b>名单</b>")
    assert len(text) < 4096 and text.startswith("<b>名单</b>\n")
    assert rows[-1] == [("1/3", "c:noop"), ("›", "s:list:1")]
    text, rows = paginate(members, 99, 40, lambda m: esc(m), "s:list")    # a forged page number: clamped
    assert rows[-1] == [("‹", "s:list:1"), ("3/3", "c:noop")]
    assert text.count("\n") == 14
    huge, _ = paginate(["x" * 3000, "y" * 3000], 0, 10, str, "s:x")
    assert len(huge) < 4096 and huge.endswith("…")


async def test_an_edited_message_is_not_taken_as_a_new_answer(bot_env):
    from telegram.ext import MessageHandler, filters

    from bot.handlers import add_feature_handler

    async def answer_step(update, context):   # a conversation step taking any text, as the flows have
        await update.effective_chat.send_message("step answered")

    bot_env.on_build(lambda app: add_feature_handler(app, MessageHandler(filters.TEXT, answer_step)))
    wang_id = await bot_env.add_member(name="王XX")
    member = await bot_env.bind_member(wang_id, language_code="en")
    sent = await bot_env.emu.send_text(member, "深圳市")
    [answered] = await bot_env.emu.wait_for_bot(member)
    assert answered.text == "step answered"
    bot_env.emu.updates.push("edited_message", {**sent, "text": "广州市", "edit_date": sent["date"] + 5})
    await bot_env.settle()
    assert bot_env.emu.outbox.pending(member.id) == []


async def test_a_members_reports_leave_no_personal_data_in_the_logs(bot_env, caplog):
    """Everything at DEBUG, through a phone change, a move and /me: the logs hold no ID number, phone,
    address or name, and not the token (httpx logs request URLs at INFO, PTB whole updates at DEBUG)."""
    from tests.e2e.harness import TOKEN

    caplog.set_level(logging.DEBUG)
    wang_id = await bot_env.add_member(name="王XX", residence="创意园宿舍3栋")
    member = await bot_env.bind_member(wang_id)
    id_number = (await bot_env.db.fetchone("SELECT id_number FROM members WHERE id = ?", (wang_id,)))[0]
    await bot_env.say(member, "/start")
    await bot_env.tap(member, "m:menu:phone")
    await bot_env.say(member, "13912345678", expect=2)   # the share-contact keyboard removed, then the summary
    await bot_env.tap(member, "m:ph:ok")
    await bot_env.say(member, "/start")
    await bot_env.tap(member, "m:menu:moved")
    await bot_env.say(member, "杭州市西湖区XX路88号")
    await bot_env.tap(member, "m:mov:ok")
    [record] = await bot_env.say(member, "/me")
    assert "13912345678" in record.text                      # the flow really carried the data
    await bot_env.settle()
    # What keeps the libraries quiet even with the root logger at DEBUG (httpx logs the token-bearing URL
    # at INFO, PTB whole updates at DEBUG): their own levels, set when the Application is built.
    for name in ("httpx", "httpcore", "aiohttp", "aiohttp.client", "telegram", "telegram.ext"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING, name
    assert not [r for r in caplog.records if r.name.startswith(("httpx", "httpcore", "aiohttp", "telegram"))
                and r.levelno < logging.WARNING]
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    for secret in (id_number, id_number[-6:], "13912345678", "杭州市西湖区", "创意园宿舍", "王XX", TOKEN):
        assert secret not in logged, secret
