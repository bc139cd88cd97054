"""Members report from their phones, end to end: the real Application over HTTP through the emulator.

王XX left the 创意园 for 深圳, came back, moved, changed unit and phone, went abroad for labour, checked
in, asked for a correction — in Chinese (zh-hans) and in English, with hostile text in every free-text
step (HTML, 5,000 characters, emoji, control characters): no crash, no broken HTML, no lost conversation.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date

import pytest

from bot.domain.member import FlowInfo
from bot.i18n import translator
from bot.storage import members as member_repo

LANGS = ["zh-hans", "en"]
HAN = re.compile(r"[\u3400-\u9fff]")
HTML_TEXT = "<b>x</b> & <script>alert(1)</script> 😀🇨🇳"
CONTROL_ONLY = "".join(chr(c) for c in range(0x00, 0x20))
LONG_TEXT = "深" * 5000
WHERE = "Where are you going? Type the province, city and county, or the unit (e.g. 广东省深圳市南山区)."


def tr_for(lang: str):
    return translator("zh_CN" if lang.startswith("zh") else "en")


async def setup_member(env, lang: str, **fields):
    """The branch secretary 陈XX (reads Chinese) and the member 王XX bound in `lang`."""
    secretary = await env.add_secretary("陈XX")
    fields.setdefault("residence", "创意园宿舍3栋")
    fields.setdefault("work_unit", "创意园某科技公司")
    wang = await env.add_member(name="王XX", **fields)
    user = await env.bind_member(wang, language_code=lang)
    await env.say(user, "/start")
    return secretary, wang, user


async def outbox_for(env, chat_id: int) -> list[str]:
    rows = await env.db.fetchall("SELECT payload FROM outbox WHERE chat_id = ? AND kind = 'member_report'"
                                 " ORDER BY id", (chat_id,))
    return [json.loads(r[0])["text"] for r in rows]


async def reports_of(env, member_id: int) -> list[tuple[str, dict]]:
    rows = await env.db.fetchall("SELECT kind, details FROM status_reports WHERE member_id = ? ORDER BY id",
                                 (member_id,))
    return [(r[0], json.loads(r[1])) for r in rows]


async def hostile_text_step(env, user, tr, prompt_msgid: str, **params) -> None:
    """At a free-text step: too long and control-only text are refused with a message and the same
    question; the conversation stays at that step (the caller then sends the HTML/emoji text)."""
    prompt = tr.gettext(prompt_msgid, **params)
    [too_long] = await env.say(user, LONG_TEXT)
    assert "⚠️" in too_long.text and prompt in too_long.text
    assert "5000" in too_long.text
    [empty] = await env.say(user, CONTROL_ONLY)
    assert tr.gettext("Please type some text") in empty.text and prompt in empty.text


def assert_language(message, lang: str) -> None:
    """The bot's own words are in the member's language (user text aside)."""
    has_han = bool(HAN.search(message.text))
    assert has_han if lang.startswith("zh") else not has_han, message.text


def assert_escaped(message, text: str = "<b>x</b>") -> None:
    """The user's text reads literally and was sent escaped (no HTML of theirs reached Telegram)."""
    assert text in message.text
    assert "&lt;b&gt;x&lt;/b&gt;" in message.raw_text and "<script>" not in message.raw_text


# ---- 流出 ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
async def test_going_out_with_pledge_and_contact_card(bot_env, lang):
    env, tr = bot_env, tr_for(lang)
    secretary, wang, user = await setup_member(env, lang)
    [ask_date] = await env.tap(user, "m:menu:outflow")
    assert tr.gettext("Going out") in ask_date.text
    assert HAN.search(ask_date.text.split("\n")[0]) if lang.startswith("zh") else "Going out" in ask_date.text
    assert set(ask_date.button_texts()) >= {tr.gettext("Today"), tr.gettext("Yesterday"), tr.gettext("« Back"),
                                             tr.gettext("✖ Cancel")}
    # a bad date, a future date, then a good one
    [bad] = await env.say(user, "下个月吧")
    assert "2026-11-20" in bad.text and "⚠️" in bad.text
    [future] = await env.say(user, "2026-12-01")
    assert "2026-12-01" in future.text and "⚠️" in future.text
    [ask_where] = await env.say(user, "2026年11月20日")
    assert tr.gettext(WHERE) in ask_where.text
    await hostile_text_step(env, user, tr, WHERE)
    [ask_type] = await env.say(user, "广东省深圳市\x07 " + HTML_TEXT)
    assert tr.gettext("To another province") in ask_type.button_texts()
    assert tr.gettext("Abroad") not in ask_type.button_texts(), "abroad has its own report"
    # a forged choice that was not offered is refused and changes nothing
    await env.press_data(user, "m:out:outflow_type:abroad", expect=0)
    [ask_reason] = await env.tap(user, tr.gettext("To another province"))
    [ask_back] = await env.tap(user, tr.gettext("Work or business"))
    assert tr.gettext("Not sure yet") in ask_back.button_texts()
    [bad_return] = await env.say(user, "2026-11-01")
    assert tr.gettext("The expected return cannot be before the day you left") in bad_return.text
    [ask_contact] = await env.say(user, "2027-02-01")
    await hostile_text_step(env, user, tr, "Who can the branch contact at the destination? Type a name and phone, "
                                           "or the Party organization there.")
    [pledge] = await env.say(user, "刘XX 13612345678 " + HTML_TEXT)
    assert tr.gettext("I will observe the Party's discipline and the laws of the state.") in pledge.text
    [summary] = await env.tap(user, tr.gettext("🤝 I promise"))
    assert tr.gettext("Please check, then confirm:") in summary.text
    assert_escaped(summary)
    assert "\x07" not in summary.text
    saved, card = await env.tap(user, "m:out:ok", expect=2)
    assert tr.gettext("Saved. Your branch secretary has been told.") in saved.text
    assert_language(saved, lang)
    assert "创意园党支部" in card.text and "陈XX" in card.text and "创意园党员之家" in card.text

    member = await member_repo.get(env.db, wang)
    assert member.flow.destination.startswith("广东省深圳市 <b>x</b> &")
    assert member.flow.left_on == date(2026, 11, 20) and member.flow.expected_return == date(2027, 2, 1)
    assert member.flow.outflow_type.value == "out_of_province" and member.flow.outflow_reason.value == "work"
    [(kind, details)] = await reports_of(env, wang)
    assert kind == "outflow" and details["pledge"]["accepted"] is True
    [notice] = await outbox_for(env, secretary.id)
    assert "王XX" in notice and "&lt;script&gt;" in notice and "<script>" not in notice
    assert "报告" in notice, "the secretary is told in Chinese whatever the member's language"
    assert (await env.db.fetchone("SELECT COUNT(*) FROM contact_events WHERE member_id = ?", (wang,)))[0] == 1


@pytest.mark.parametrize("lang", LANGS)
async def test_back_and_cancel_at_every_step(bot_env, lang):
    env, tr = bot_env, tr_for(lang)
    _secretary, wang, user = await setup_member(env, lang)
    await env.tap(user, "m:menu:outflow")
    await env.tap(user, tr.gettext("Yesterday"))
    await env.say(user, "深圳")
    [ask_reason] = await env.tap(user, "m:out:outflow_type:in_province")
    [ask_type] = await env.tap(user, tr.gettext("« Back"))
    assert tr.gettext("How far is it?") in ask_type.text
    [ask_where] = await env.tap(user, tr.gettext("« Back"))
    assert tr.gettext(WHERE) in ask_where.text
    [ask_date] = await env.tap(user, tr.gettext("« Back"))
    assert tr.gettext("Today") in ask_date.button_texts()
    [menu] = await env.tap(user, tr.gettext("« Back"))
    assert "m:menu:outflow" in [b["callback_data"] for b in menu.inline_buttons()]
    # the conversation is over: typed text goes to the core, not to a stale step
    await env.say(user, "深圳")
    assert await reports_of(env, wang) == []

    # /cancel in the middle, and ✖ Cancel on the summary
    await env.tap(user, "m:menu:moved")
    [cancelled] = await env.say(user, "/cancel")
    assert tr.gettext("Cancelled. Nothing was saved.") in cancelled.text
    await env.say(user, "/start")
    await env.tap(user, "m:menu:work_unit")
    [summary] = await env.say(user, "深圳某电子厂")
    [back] = await env.tap(user, tr.gettext("« Back"))
    assert tr.gettext("Type your new work unit and post.") in back.text
    await env.say(user, "深圳某电子厂 技术员")
    [cancelled] = await env.tap(user, tr.gettext("✖ Cancel"))
    assert tr.gettext("Cancelled. Nothing was saved.") in cancelled.text
    assert await reports_of(env, wang) == []
    assert (await member_repo.get(env.db, wang)).work_unit == "创意园某科技公司"


# ---- 返回, 居住地, 工作单位 ------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
async def test_returned_clears_the_flow_block(bot_env, lang):
    env, tr = bot_env, tr_for(lang)
    _secretary, wang, user = await setup_member(
        env, lang, flow=FlowInfo(left_on=date(2026, 3, 1), destination="广东省深圳市"))
    await env.tap(user, "m:menu:returned")
    [bad] = await env.say(user, "2026-02-30")
    assert "⚠️" in bad.text
    for hostile in (LONG_TEXT, HTML_TEXT, CONTROL_ONLY):
        [refused] = await env.say(user, hostile)
        assert "⚠️" in refused.text and tr.gettext("Today") in refused.button_texts()
    [summary] = await env.say(user, "yesterday" if lang == "en" else "昨天")
    assert tr.date(date(2026, 11, 22)) in summary.text and "广东省深圳市" in summary.text
    [saved] = await env.tap(user, "m:ret:ok")
    assert tr.gettext("Saved. Your branch secretary has been told.") in saved.text
    assert_language(saved, lang)
    assert (await member_repo.get(env.db, wang)).flow is None
    [(kind, details)] = await reports_of(env, wang)
    assert kind == "returned" and details["flow"]["destination"] == "广东省深圳市"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("action, code, prompt, field", [
    ("moved", "mov", "Type your new address (where you actually live).", "residence"),
    ("work_unit", "wu", "Type your new work unit and post.", "work_unit"),
])
async def test_moved_and_work_unit_with_hostile_text(bot_env, lang, action, code, prompt, field):
    env, tr = bot_env, tr_for(lang)
    secretary, wang, user = await setup_member(env, lang)
    [ask] = await env.tap(user, f"m:menu:{action}")
    assert tr.gettext(prompt) in ask.text
    await hostile_text_step(env, user, tr, prompt)
    [summary] = await env.say(user, "深圳市南山区\n某小区\x00 5栋 " + HTML_TEXT)
    assert_escaped(summary)
    [saved] = await env.tap(user, f"m:{code}:ok")
    assert tr.gettext("Saved. Your branch secretary has been told.") in saved.text
    assert_language(saved, lang)
    value = getattr(await member_repo.get(env.db, wang), field)
    assert value.startswith("深圳市南山区 某小区 5栋 <b>x</b>") and "\x00" not in value and "😀" in value
    [notice] = await outbox_for(env, secretary.id)
    assert "&lt;b&gt;x&lt;/b&gt;" in notice


# ---- 手机号码 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
async def test_phone_by_sharing_my_contact(bot_env, lang):
    env, tr = bot_env, tr_for(lang)
    secretary, wang, user = await setup_member(env, lang)
    [ask] = await env.tap(user, "m:menu:phone")
    keyboard = env.emu.reply_keyboard(user)
    assert keyboard is not None
    share = [b for row in keyboard["keyboard"] for b in row if isinstance(b, dict) and b.get("request_contact")]
    assert share and share[0]["text"] == tr.gettext("📱 Share my contact")
    # a contact card of someone else (no user_id: not the sender's own) is refused
    [refused] = await env.share_contact(user, "+86 137 0013 7000", own=False)
    assert tr.gettext("Please share your own contact, not someone else's") in refused.text
    thanks, summary = await env.share_contact(user, "+8613912345678", expect=2)
    assert env.emu.reply_keyboard(user) is None, "the reply keyboard is removed"
    assert "13912345678" in summary.text
    [saved] = await env.tap(user, "m:ph:ok")
    assert tr.gettext("Saved. Your branch secretary has been told.") in saved.text
    assert_language(saved, lang)
    assert (await member_repo.get(env.db, wang)).mobile == "13912345678"
    [(kind, details)] = await reports_of(env, wang)
    assert kind == "phone" and details["source"] == "shared_contact" and details["mobile"] == "139****5678"
    [notice] = await outbox_for(env, secretary.id)
    assert "13912345678" in notice
    audit = await env.db.fetchall("SELECT before, after FROM audit_log WHERE actor = ?", (f"tg:{user.id}",))
    assert audit and all("13912345678" not in (r[0] or "") + (r[1] or "") for r in audit)


@pytest.mark.parametrize("lang", LANGS)
async def test_phone_typed_bad_then_good_and_cancel_from_the_reply_keyboard(bot_env, lang):
    env, tr = bot_env, tr_for(lang)
    _secretary, wang, user = await setup_member(env, lang)
    await env.tap(user, "m:menu:phone")
    for hostile in (LONG_TEXT, HTML_TEXT, "12345"):
        [bad] = await env.say(user, hostile)
        assert "⚠️" in bad.text and "<script>" not in bad.raw_text
    assert env.emu.reply_keyboard(user) is not None, "still at the phone step"
    _thanks, summary = await env.say(user, "139-1234-5678", expect=2)
    assert "13912345678" in summary.text
    [again] = await env.tap(user, tr.gettext("« Back"))
    assert env.emu.reply_keyboard(user) is not None, "back to the phone step, share button again"
    [cancelled] = await env.say(user, tr.gettext("✖ Cancel"))
    assert tr.gettext("Cancelled. Nothing was saved.") in cancelled.text
    assert env.emu.reply_keyboard(user) is None
    assert (await member_repo.get(env.db, wang)).mobile != "13912345678"
    # /cancel removes the reply keyboard too
    await env.say(user, "/start")
    await env.tap(user, "m:menu:phone")
    assert env.emu.reply_keyboard(user) is not None
    await env.say(user, "/cancel")
    assert env.emu.reply_keyboard(user) is None
    assert await reports_of(env, wang) == []


# ---- 出国（境） -------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
async def test_going_abroad_for_labour_requests_to_keep_the_relationship(bot_env, lang):
    env, tr = bot_env, tr_for(lang)
    secretary, wang, user = await setup_member(env, lang)
    await env.tap(user, "m:menu:abroad")
    [bad] = await env.say(user, "2026/11/31")
    assert "⚠️" in bad.text
    [ask_where] = await env.tap(user, tr.gettext("Today"))
    await hostile_text_step(env, user, tr, "Which country or region are you going to?")
    [ask_purpose] = await env.say(user, "新加坡 " + HTML_TEXT)
    assert tr.gettext("Work abroad (labour)") in ask_purpose.button_texts()
    await env.tap(user, tr.gettext("Work abroad (labour)"))
    await hostile_text_step(env, user, tr, "Describe the reason in a few words (e.g. the school or the employer).")
    await env.say(user, "外派劳务两年 " + HTML_TEXT)
    [ask_keep] = await env.say(user, "2028-11-01")
    assert tr.gettext("Yes, I request it") in ask_keep.button_texts()
    [summary] = await env.tap(user, tr.gettext("Yes, I request it"))
    assert_escaped(summary)
    assert tr.gettext("Requests to keep the organizational relationship: awaiting the branch's decision") \
        in summary.text
    [saved] = await env.tap(user, "m:ab:ok")
    assert tr.gettext("Your request to keep the organizational relationship awaits the branch's decision.") \
        in saved.text
    member = await member_repo.get(env.db, wang)
    assert member.flow.outflow_type.value == "abroad" and member.flow.expected_return == date(2028, 11, 1)
    [(kind, details)] = await reports_of(env, wang)
    assert kind == "abroad" and details["keep_relationship_requested"] is True and details["purpose"] == "labour"
    [notice] = await outbox_for(env, secretary.id)
    assert "保留组织关系" in notice


@pytest.mark.parametrize("lang", LANGS)
async def test_going_abroad_to_visit_family_asks_nothing_about_the_relationship(bot_env, lang):
    env, tr = bot_env, tr_for(lang)
    _secretary, wang, user = await setup_member(env, lang)
    await env.tap(user, "m:menu:abroad")
    await env.say(user, "2026-11-21")
    await env.say(user, "日本")
    await env.tap(user, "m:ab:purpose:other")
    await env.say(user, "探亲")
    [summary] = await env.tap(user, tr.gettext("Not sure yet"))
    assert tr.gettext("✅ Confirm") in summary.button_texts()
    # « Back from the summary skips the question that did not apply
    [back] = await env.tap(user, tr.gettext("« Back"))
    assert tr.gettext("Not sure yet") in back.button_texts()
    await env.tap(user, tr.gettext("Not sure yet"))
    await env.tap(user, "m:ab:ok")
    [(kind, details)] = await reports_of(env, wang)
    assert details["keep_relationship_requested"] is False


# ---- 报平安, 更正 -----------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
async def test_check_in_is_one_tap(bot_env, lang):
    env, tr = bot_env, tr_for(lang)
    secretary, wang, user = await setup_member(env, lang, last_contact_on=None)
    [thanks] = await env.tap(user, "m:menu:checkin")
    assert tr.gettext("Thank you! Your branch knows you are well. 🌟") in thanks.text
    assert_language(thanks, lang)
    event = await env.db.fetchone("SELECT kind, on_date FROM contact_events WHERE member_id = ?", (wang,))
    assert tuple(event) == ("check_in", "2026-11-23")
    [notice] = await outbox_for(env, secretary.id)
    assert "王XX" in notice


@pytest.mark.parametrize("lang", LANGS)
async def test_correction_from_my_record(bot_env, lang):
    env, tr = bot_env, tr_for(lang)
    secretary, wang, user = await setup_member(env, lang)
    await env.say(user, "/me")
    [ask] = await env.tap(user, "m:menu:correction")
    assert tr.gettext("What should be corrected in your record? Type it in one message (at most {max} characters).",
                      max=500) in ask.text
    [too_long] = await env.say(user, "x" * 501)
    assert "⚠️" in too_long.text and "501" in too_long.text
    await hostile_text_step(env, user, tr, "What should be corrected in your record? Type it in one message "
                                           "(at most {max} characters).", max=500)
    [summary] = await env.say(user, "入党日期应为2005年7月1日\n\n\n\n" + HTML_TEXT + "\x1b[31m")
    assert_escaped(summary)
    [saved] = await env.tap(user, "m:cor:ok")
    assert tr.gettext("Saved. Your branch secretary has been told.") in saved.text
    assert_language(saved, lang)
    [(kind, details)] = await reports_of(env, wang)
    assert kind == "correction" and details["text"].startswith("入党日期应为2005年7月1日\n\n<b>x</b>")
    assert "\x1b" not in details["text"]
    [notice] = await outbox_for(env, secretary.id)
    assert "入党日期" in notice


async def test_my_record_shows_the_register_as_it_is_now(bot_env):
    """/me renders each version of the record once (cached by the row): a change to the record, to the
    last contact or to the branch's name shows at the next tap."""
    env = bot_env
    _secretary, wang, user = await setup_member(env, "zh-hans")
    [first] = await env.say(user, "/me")
    assert "创意园宿舍3栋" in first.text and "创意园党支部" in first.text
    # Sent without PTB's Message being built from the answer (common.send): still HTML, still no link
    # preview, still its buttons — what the Defaults give every other reply.
    assert first.parse_mode == "HTML" and first.entities and first.entities[0]["type"] == "bold"
    assert first.link_preview_options == {"is_disabled": True}
    assert [b["callback_data"] for row in first.reply_markup["inline_keyboard"] for b in row] == ["m:menu:correction",
                                                                                                 "c:menu"]
    [again] = await env.say(user, "/me")
    assert again.text == first.text
    async with env.db.write("test") as tx:
        member = await member_repo.get_in(tx, wang)
        await member_repo.update(tx, member.model_copy(update={"residence": "城东新村5栋"}))
        await tx.execute("UPDATE orgs SET name = '创意园联合党支部' WHERE id = ?", (env.branch_id,))
    [changed] = await env.say(user, "/me")
    assert "城东新村5栋" in changed.text and "创意园宿舍3栋" not in changed.text
    assert "创意园联合党支部" in changed.text


@pytest.mark.reminders
async def test_the_secretary_is_told_at_once(bot_env):
    """With the outbox sender running, the notice reaches the secretary's chat, in Chinese, valid HTML."""
    env = bot_env
    secretary, wang, user = await setup_member(env, "en")
    await env.tap(user, "m:menu:moved")
    await env.say(user, "深圳市南山区 " + HTML_TEXT)
    await env.tap(user, "m:mov:ok")
    notice = None
    for _ in range(100):  # other reminders (a weekly summary) may reach the secretary too: find ours
        notice = next((m for m in env.emu.messages_to(secretary) if "居住地改变" in (m.text or "")), None)
        if notice is not None:
            break
        await asyncio.sleep(0.05)
    assert notice is not None, [m.text for m in env.emu.messages_to(secretary)]
    assert "王XX" in notice.text and "<b>x</b>" in notice.text and "居住地改变" in notice.text
    assert "&lt;script&gt;" in notice.raw_text


# ---- robustness ------------------------------------------------------------------------------------

async def test_a_restart_in_the_middle_loses_nothing(bot_env):
    env, tr = bot_env, tr_for("zh-hans")
    _secretary, wang, user = await setup_member(env, "zh-hans")
    await env.tap(user, "m:menu:outflow")
    await env.say(user, "2026-11-20")
    await env.say(user, "广东省深圳市南山区")
    await env.restart()
    await env.tap(user, "m:out:outflow_type:out_of_province")
    await env.tap(user, "m:out:outflow_reason:work")
    await env.tap(user, tr.gettext("Not sure yet"))
    await env.say(user, "刘XX 13612345678")
    await env.tap(user, "m:out:pledge:yes")
    await env.tap(user, "m:out:ok", expect=2)
    member = await member_repo.get(env.db, wang)
    assert member.flow.destination == "广东省深圳市南山区" and member.flow.expected_return is None


async def test_switching_reports_midway_and_stale_buttons(bot_env):
    env, tr = bot_env, tr_for("en")
    _secretary, wang, user = await setup_member(env, "en")
    await env.tap(user, "m:menu:outflow")
    await env.say(user, "2026-11-20")
    # the member changes their mind and reports a move instead, from a fresh menu
    [menu] = await env.say(user, "/start")
    [ask_address] = await env.tap(user, "m:menu:moved", message=menu)
    assert tr.gettext("Type your new address (where you actually live).") in ask_address.text
    # a button of the abandoned report is stale: answered, nothing changes
    await env.press_data(user, "m:out:outflow_type:in_county", expect=0)
    [summary] = await env.say(user, "深圳市南山区某小区")
    assert "深圳市南山区某小区" in summary.text
    # a forged confirm from another report while this one waits is refused
    await env.press_data(user, "m:out:ok", expect=0)
    await env.tap(user, "m:mov:ok")
    assert [k for k, _d in await reports_of(env, wang)] == ["moved"]


async def test_strangers_get_nothing(bot_env):
    env = bot_env
    _secretary, wang, user = await setup_member(env, "zh-hans")
    stranger = env.stranger()
    await env.say(stranger, "/start")
    [hint] = await env.press_data(stranger, "m:menu:checkin")
    assert "invite" in hint.text.lower()
    assert await reports_of(env, wang) == []
    assert (await env.db.fetchone("SELECT COUNT(*) FROM contact_events"))[0] == 0
