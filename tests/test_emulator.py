"""The Telegram Bot API emulator, exercised through the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import io
import json
import time

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    MenuButtonCommands,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.emulator import Emulator

TOKEN = "123456:TEST-token"

# PTB itself reads RetryAfter.retry_after while building the exception.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")


@pytest.fixture
async def emu():
    async with Emulator(TOKEN, callback_answer_window=0.3) as emulator:
        yield emulator


@pytest.fixture
async def bot(emu):
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as client:
        yield client


@pytest.fixture
async def user(emu):
    person = emu.add_user("王XX", language_code="zh-hans")
    await emu.send_text(person, "/start")
    return person


async def raw_call(emu, method, *, json_body=None, data=None, params=None, http="POST"):
    async with aiohttp.ClientSession() as session:
        async with session.request(http, f"{emu.base_url}{emu.token}/{method}", json=json_body, data=data,
                                   params=params) as resp:
            return resp.status, await resp.json()


async def expect(emu, exc_type, awaitable, description):
    """The call fails with PTB's exception type and Telegram's exact description."""
    with pytest.raises(exc_type):
        await awaitable
    assert emu.errors, "the emulator recorded no error"
    assert emu.errors[-1].description == description


def inline(*pairs):
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data)] for text, data in pairs])


# ----- HTTP surface -----------------------------------------------------------


async def test_get_me_describes_the_bot(bot):
    me = await bot.get_me()
    assert me.is_bot and me.username == "branchbot_test_bot" and me.id == 123456
    assert me.can_join_groups is True and me.supports_inline_queries is False


async def test_wrong_token_is_unauthorized(emu):
    other = Bot("999:WRONG", base_url=emu.base_url)
    with pytest.raises(InvalidToken):
        await other.initialize()
    await other.shutdown()
    assert emu.errors[-1].error_code == 401 and emu.errors[-1].description == "Unauthorized"


async def test_method_names_are_case_insensitive_and_checked_against_the_spec(emu):
    status, body = await raw_call(emu, "GETME", http="GET")
    assert status == 200 and body["result"]["username"] == "branchbot_test_bot"

    status, body = await raw_call(emu, "sendMessagez", json_body={})
    assert (status, body["ok"], body["error_code"]) == (400, False, 400)
    assert body["description"].startswith("Bad Request: method not found")

    status, body = await raw_call(emu, "sendPhoto", json_body={"chat_id": 1, "photo": "x"})
    assert status == 400 and body["description"] == "Bad Request: method not emulated: sendPhoto"

    status, body = await raw_call(emu, "answerCallbackQuery", json_body={})
    assert body["description"] == 'Bad Request: parameter "callback_query_id" is required'
    status, body = await raw_call(emu, "sendMessage", json_body={"text": "x"})
    assert body["description"] == "Bad Request: chat_id is empty"
    assert [call[0] for call in emu.calls] == [
        "getMe", "sendMessagez", "sendPhoto", "answerCallbackQuery", "sendMessage"]
    assert (emu.call_count("SENDMESSAGE"), emu.call_count("getMe"), emu.call_count("sendVoice")) == (1, 1, 0)


async def test_form_bodies_decode_json_values_but_keep_strings(emu, user):
    markup = json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})
    status, body = await raw_call(emu, "sendMessage",
                                  data={"chat_id": str(user.id), "text": "00123", "reply_markup": markup})
    assert status == 200, body
    assert body["result"]["text"] == "00123"
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    status, body = await raw_call(emu, "sendMessage", http="GET", params={"chat_id": user.id, "text": "q"})
    assert status == 200 and body["result"]["text"] == "q"
    status, body = await raw_call(emu, "sendMessage", data={"chat_id": user.id, "text": "x", "reply_markup": "{"})
    assert body["description"] == "Bad Request: can't parse reply_markup JSON object"


async def test_emulator_without_spec_file_still_serves(tmp_path):
    async with Emulator(TOKEN, spec_path=tmp_path / "missing.json") as emu:
        status, body = await raw_call(emu, "getMe", json_body={})
        assert status == 200
        status, body = await raw_call(emu, "sendPhoto", json_body={})
        assert body["description"] == "Bad Request: method not emulated: sendPhoto"


# ----- updates ---------------------------------------------------------------


async def test_get_updates_offsets_limits_and_commands(emu, bot):
    alice = emu.add_user("Alice", username="alice")
    group = emu.add_group("支部群", members=[alice])
    await emu.send_text(alice, "/start abc")
    await emu.send_text(alice, "/help@branchbot_test_bot see https://example.org", chat=group)
    await emu.send_text(alice, "third")

    first_two = await bot.get_updates(limit=2)
    assert [u.message.text for u in first_two] == ["/start abc", "/help@branchbot_test_bot see https://example.org"]
    start = first_two[0].message
    assert start.chat.type == "private" and start.from_user.id == alice.id == start.chat.id
    assert [(e.type, e.offset, e.length) for e in start.entities] == [("bot_command", 0, 6)]
    group_msg = first_two[1].message
    assert group_msg.chat.id == group.id and group_msg.chat.title == "支部群"
    assert [(e.type, e.length) for e in group_msg.entities] == [("bot_command", 24), ("url", 19)]

    again = await bot.get_updates()
    assert len(again) == 3  # nothing confirmed yet
    rest = await bot.get_updates(offset=first_two[1].update_id + 1)
    assert [u.message.text for u in rest] == ["third"]
    assert await bot.get_updates(offset=rest[0].update_id + 1) == ()


async def test_long_poll_wakes_up_on_new_update(emu, bot):
    user = emu.add_user("Bob")
    loop = asyncio.get_running_loop()
    began = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done()
    await emu.send_text(user, "hi")
    updates = await asyncio.wait_for(poll, 2)
    assert [u.message.text for u in updates] == ["hi"]
    assert loop.time() - began < 1.5


async def test_second_poller_conflicts_with_the_first(emu, bot):
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with Bot(TOKEN, base_url=emu.base_url) as second_instance:
        second = asyncio.create_task(second_instance.get_updates(timeout=5))
        with pytest.raises(Conflict):
            await asyncio.wait_for(first, 2)
        await emu.send_text(emu.add_user("C"), "x")
        assert len(await asyncio.wait_for(second, 2)) == 1
    assert emu.errors[-1].error_code == 409


async def test_webhook_is_stored_and_blocks_get_updates(emu, bot):
    assert await bot.set_webhook("https://example.org/hook", max_connections=5)
    info = await bot.get_webhook_info()
    assert info.url == "https://example.org/hook" and info.max_connections == 5
    await expect(emu, Conflict, bot.get_updates(), "Conflict: can't use getUpdates method while webhook is "
                 "active; use deleteWebhook to delete the webhook first")
    await emu.send_text(emu.add_user("D"), "x")
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates() == ()


# ----- chats and texts --------------------------------------------------------


async def test_chat_must_be_known_and_not_blocked(emu, bot):
    stranger = emu.add_user("Stranger")
    await expect(emu, BadRequest, bot.send_message(stranger.id, "hi"), "Bad Request: chat not found")
    await expect(emu, BadRequest, bot.send_message(42, "hi"), "Bad Request: chat not found")

    group = emu.add_group("群", members=[stranger])
    await emu.send_text(stranger, "hello group", chat=group)
    await expect(emu, Forbidden, bot.send_message(stranger.id, "hi"),
                 "Forbidden: bot can't initiate conversation with a user")
    assert (await bot.send_message(group.id, "hi all")).chat.type == "group"

    await emu.send_text(stranger, "/start")
    assert (await bot.send_message(stranger.id, "welcome")).text == "welcome"
    emu.block(stranger)
    await expect(emu, Forbidden, bot.send_message(stranger.id, "still there?"),
                 "Forbidden: bot was blocked by the user")
    blocked = (await bot.get_updates())[-1].my_chat_member
    assert blocked.new_chat_member.status == "kicked" and blocked.from_user.id == stranger.id
    await emu.send_text(stranger, "/start")  # writing again unblocks, as restarting the bot does
    assert await bot.send_message(stranger.id, "back")

    late = emu.add_user("Registered", started=True)
    assert await bot.send_message(late.id, "known without writing")


async def test_text_empty_blank_and_length_in_utf16(emu, bot, user):
    await expect(emu, BadRequest, bot.send_message(user.id, ""), "Bad Request: message text is empty")
    await expect(emu, BadRequest, bot.send_message(user.id, " \n "), "Bad Request: message must be non-empty")
    assert await bot.send_message(user.id, "😀" * 2048)  # 4096 UTF-16 code units
    await expect(emu, BadRequest, bot.send_message(user.id, "😀" * 2049), "Bad Request: message is too long")
    await expect(emu, BadRequest, bot.send_message(user.id, "x" * 4097), "Bad Request: message is too long")
    # markup does not count, only the text after entity parsing
    sent = await bot.send_message(user.id, "<b>" + "党" * 4096 + "</b>", parse_mode="HTML")
    assert len(sent.text) == 4096
    assert (await bot.send_message(user.id, "  padded \n")).text == "padded"


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("line<br>next", 'Unsupported start tag "br" at byte offset 4'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("党<i", "Unclosed start tag at byte offset 3"),
        ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("AT&T", 'Unescaped "&" at byte offset 2 (write it as &amp;)'),
        ("&nbsp;", 'Unescaped "&" at byte offset 0 (write it as &amp;)'),
    ],
)
async def test_html_parse_errors_use_telegram_wording(emu, bot, user, html, error):
    await expect(emu, BadRequest, bot.send_message(user.id, html, parse_mode="HTML"),
                 f"Bad Request: can't parse entities: {error}")


async def test_html_supported_markup_becomes_entities(bot, user):
    html = ('<b>b</b><strong>s</strong><i>i</i><u>u</u><s>x</s><del>d</del><tg-spoiler>p</tg-spoiler>'
            '<span class="tg-spoiler">q</span><a href="https://example.org/?a=1&amp;b=2">link</a>'
            '<code>c</code><pre><code class="language-python">py</code></pre>'
            '<blockquote expandable>quote</blockquote> &lt;&gt;&amp;&quot;&#39;&#x41;')
    sent = await bot.send_message(user.id, html, parse_mode="HTML")
    assert sent.text == "bsiuxdpqlinkcpyquote <>&\"'A"
    kinds = [e.type for e in sent.entities]
    assert kinds == ["bold", "bold", "italic", "underline", "strikethrough", "strikethrough", "spoiler",
                     "spoiler", "text_link", "code", "pre", "expandable_blockquote"]
    assert sent.entities[8].url == "https://example.org/?a=1&b=2"
    assert sent.entities[10].language == "python"


async def test_html_entity_offsets_count_utf16_across_plain_runs(bot, user):
    # Plain runs are emitted whole: offsets must still be UTF-16 code units (an emoji counts 2).
    sent = await bot.send_message(user.id, "😀 a&amp;b <b>党😀</b> tail <i>x</i>", parse_mode="HTML")
    assert sent.text == "😀 a&b 党😀 tail x"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 7, 3), ("italic", 16, 1)]


async def test_markdown_v2_reserved_characters(emu, bot, user):
    await expect(emu, BadRequest, bot.send_message(user.id, "Done.", parse_mode="MarkdownV2"),
                 "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
                 "with the preceding '\\'")
    await expect(emu, BadRequest, bot.send_message(user.id, "*bold", parse_mode="MarkdownV2"),
                 "Bad Request: can't parse entities: Can't find end of Bold entity at byte offset 0")
    sent = await bot.send_message(user.id, r"*粗* _it_ [l](https://e.org) `a.b` Done\.", parse_mode="MarkdownV2")
    assert sent.text == "粗 it l a.b Done."
    assert [e.type for e in sent.entities] == ["bold", "italic", "text_link", "code"]


# ----- keyboards ---------------------------------------------------------------


async def test_inline_keyboard_limits(emu, bot, user):
    assert await bot.send_message(user.id, "ok", reply_markup=inline(("a", "x" * 64), ("b", "党" * 21)))
    await expect(emu, BadRequest, bot.send_message(user.id, "t", reply_markup=inline(("a", "x" * 65))),
                 "Bad Request: BUTTON_DATA_INVALID")
    await expect(emu, BadRequest, bot.send_message(user.id, "t", reply_markup=inline(("a", "党" * 22))),
                 "Bad Request: BUTTON_DATA_INVALID")
    await expect(emu, BadRequest, bot.send_message(user.id, "t", reply_markup=inline(("", "a"))),
                 "Bad Request: BUTTON_TEXT_INVALID")
    await expect(emu, BadRequest,
                 bot.send_message(user.id, "t", reply_markup=ReplyKeyboardMarkup([[KeyboardButton("")]])),
                 "Bad Request: BUTTON_TEXT_INVALID")
    status, body = await raw_call(emu, "sendMessage", json_body={
        "chat_id": user.id, "text": "t", "reply_markup": {"inline_keyboard": [[{"text": "plain"}]]}})
    assert body["description"] == ("Bad Request: can't parse InlineKeyboardButton: "
                                   "Text buttons are not allowed in the inline keyboard")


async def test_reply_keyboards_contacts_replies_and_previews(emu, bot, user):
    share = ReplyKeyboardMarkup([[KeyboardButton("分享手机号", request_contact=True)]], resize_keyboard=True)
    asked = await bot.send_message(user.id, "请分享", reply_markup=share,
                                   link_preview_options=LinkPreviewOptions(is_disabled=True))
    assert asked.reply_markup is None  # Telegram echoes only inline keyboards
    assert emu.reply_keyboard(user)["keyboard"][0][0]["request_contact"] is True
    assert emu.last_message_to(user).link_preview_options == {"is_disabled": True}
    assert emu.last_message_to(user).button_texts() == ["分享手机号"]

    contact_msg = await emu.share_contact(user, phone_number="+8613800000000")
    assert contact_msg["contact"] == {"phone_number": "+8613800000000", "first_name": "王XX", "user_id": user.id}
    updates = await bot.get_updates()
    assert updates[-1].message.contact.user_id == user.id

    reply = await bot.send_message(user.id, "收到", reply_markup=ReplyKeyboardRemove(),
                                   reply_parameters=ReplyParameters(contact_msg["message_id"]))
    assert reply.reply_to_message.contact.phone_number == "+8613800000000"
    assert emu.reply_keyboard(user) is None
    await expect(emu, BadRequest, bot.send_message(user.id, "x", reply_parameters=ReplyParameters(999)),
                 "Bad Request: message to be replied not found")
    assert await bot.send_message(
        user.id, "x", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True))

    group = emu.add_group("g", members=[user])
    await expect(emu, BadRequest, bot.send_message(group.id, "x", reply_markup=share),
                 "Bad Request: phone number can be requested in private chats only")


# ----- edits, deletes, callbacks ----------------------------------------------------


async def test_edit_message_text_and_markup(emu, bot, user):
    sent = await bot.send_message(user.id, "<b>v1</b>", parse_mode="HTML", reply_markup=inline(("Go", "go")))
    not_modified = ("Bad Request: message is not modified: specified new message content and reply markup "
                    "are exactly the same as a current content and reply markup of the message")
    await expect(emu, BadRequest, bot.edit_message_text("<b>v1</b>", user.id, sent.message_id,
                                                        parse_mode="HTML", reply_markup=inline(("Go", "go"))),
                 not_modified)
    await expect(emu, BadRequest, bot.edit_message_text("v2", user.id, 9999), "Bad Request: message to edit not found")

    markup_only = await bot.edit_message_reply_markup(user.id, sent.message_id, reply_markup=inline(("Stop", "stop")))
    assert markup_only.reply_markup.inline_keyboard[0][0].callback_data == "stop"
    await expect(emu, BadRequest, bot.edit_message_reply_markup(user.id, sent.message_id,
                                                               reply_markup=inline(("Stop", "stop"))),
                 not_modified)
    edited = await bot.edit_message_text("v2", user.id, sent.message_id)
    assert edited.text == "v2" and edited.edit_date is not None
    assert edited.reply_markup is None  # an edit without reply_markup drops the keyboard
    [now] = emu.messages_to(user)
    assert (now.text, now.raw_text, now.edited, now.reply_markup) == ("v2", "v2", True, None)
    [user_msg] = [m for m in emu.state.messages[user.id].values() if not m.from_bot]
    await expect(emu, BadRequest, bot.edit_message_text("x", user.id, user_msg.message_id),
                 "Bad Request: message can't be edited")


async def test_delete_message(emu, bot, user):
    sent = await bot.send_message(user.id, "temp")
    assert await bot.delete_message(user.id, sent.message_id)
    assert emu.messages_to(user) == []
    assert emu.messages_to(user, include_deleted=True)[0].deleted
    await expect(emu, BadRequest, bot.delete_message(user.id, sent.message_id),
                 "Bad Request: message to delete not found")


async def test_callback_queries_must_be_answered_in_time(emu, bot, user):
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    await bot.send_message(user.id, "选择", reply_markup=inline(("同意 ✅", "yes:1"), ("拒绝", "no:1")))
    menu = emu.last_message_to(user)
    assert menu.button_data("同意") == "yes:1" and menu.button_data("拒绝") == "no:1"
    with pytest.raises(KeyError):
        menu.button_data("missing")

    qid = await emu.press(user, menu, "yes:1")
    query = (await bot.get_updates())[-1].callback_query
    assert (query.id, query.data, query.message.message_id) == (qid, "yes:1", menu.message_id)
    assert [q.id for q in emu.unanswered_callbacks()] == [qid]
    assert await bot.answer_callback_query(qid, text="好")
    assert emu.unanswered_callbacks() == [] and emu.callback_queries[0].answer == {"text": "好"}
    await expect(emu, BadRequest, bot.answer_callback_query(qid), too_old)  # twice
    await expect(emu, BadRequest, bot.answer_callback_query("12345"), too_old)

    late = await emu.press(user, menu, "拒绝")  # by label works too
    await asyncio.sleep(0.35)
    await expect(emu, BadRequest, bot.answer_callback_query(late), too_old)
    assert [q.id for q in emu.unanswered_callbacks()] == [late]
    with pytest.raises(KeyError):
        await emu.press(user, menu, "nope")


# ----- files, commands, misc methods -------------------------------------------------


async def test_document_upload_and_download_byte_for_byte(emu, bot, user):
    payload = bytes(range(256)) * 400 + "名册".encode()
    sent = await bot.send_document(user.id, io.BytesIO(payload), filename="名册.xlsx", caption="<i>导出</i>",
                                   parse_mode="HTML")
    assert sent.document.file_name == "名册.xlsx" and sent.document.file_size == len(payload)
    assert sent.caption == "导出" and sent.caption_entities[0].type == "italic"
    assert emu.last_message_to(user).document == payload
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == payload
    again = await bot.send_document(user.id, sent.document.file_id)
    assert again.document.file_id == sent.document.file_id
    await expect(emu, BadRequest, bot.get_file("nope"), "Bad Request: invalid file_id")
    await expect(emu, BadRequest, bot.send_document(user.id, io.BytesIO(b""), filename="e.txt"),
                 "Bad Request: file must be non-empty")

    uploaded = await emu.send_document(user, b"a,b\n1,2\n", "roster.csv", caption="名单")
    incoming = (await bot.get_updates())[-1].message
    assert incoming.document.file_unique_id == uploaded["document"]["file_unique_id"]
    data = await (await bot.get_file(incoming.document.file_id)).download_as_bytearray()
    assert bytes(data) == b"a,b\n1,2\n"


async def test_commands_are_stored_per_scope_and_language(emu, bot, user):
    assert await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    assert await bot.set_my_commands([BotCommand("start", "开始")], language_code="zh")
    assert await bot.set_my_commands([BotCommand("report", "报表")], scope=BotCommandScopeAllPrivateChats(),
                                     language_code="zh")
    assert [c["command"] for c in emu.commands()] == ["start", "help"]
    assert emu.commands(language_code="zh") == [{"command": "start", "description": "开始"}]
    assert emu.commands("all_private_chats", "zh") == [{"command": "report", "description": "报表"}]
    assert [c.command for c in await bot.get_my_commands(language_code="zh")] == ["start"]
    assert await bot.get_my_commands(language_code="en") == ()  # no fallback in getMyCommands
    assert emu.visible_commands(user) == [{"command": "report", "description": "报表"}]
    assert [c["command"] for c in emu.visible_commands(emu.add_user("E", language_code="en"))] == ["start", "help"]

    await expect(emu, BadRequest, bot.set_my_commands([BotCommand("start", "x")], language_code="zh-hans"),
                 "Bad Request: invalid language code specified")
    await expect(emu, BadRequest, bot.set_my_commands([BotCommand("Start", "x")]), "Bad Request: BOT_COMMAND_INVALID")
    assert await bot.delete_my_commands(language_code="zh")
    assert emu.commands(language_code="zh") == []


async def test_chat_action_menu_button_close_and_logout(emu, bot, user):
    assert await bot.send_chat_action(user.id, "typing")
    await expect(emu, BadRequest, bot.send_chat_action(user.id, "dancing"),
                 "Bad Request: wrong parameter action in request")
    assert await bot.set_chat_menu_button(chat_id=user.id, menu_button=MenuButtonCommands())
    assert emu.state.menu_buttons[user.id] == {"type": "commands"}
    assert (await bot.get_chat_menu_button(user.id)).type == "commands"
    assert await bot.close() and await bot.log_out()


# ----- failure modes ------------------------------------------------------------


async def test_injected_429_502_and_timeout(emu, bot, user):
    emu.inject_fault("429", count=1, method="sendMessage", retry_after=7)
    with pytest.raises(RetryAfter):
        await bot.send_message(user.id, "a")
    assert (await bot.send_message(user.id, "b")).text == "b"

    emu.inject_fault("502", count=2)
    for _ in range(2):
        with pytest.raises(NetworkError) as caught:
            await bot.get_webhook_info()
        assert not isinstance(caught.value, BadRequest | TimedOut)
        assert "Bad Gateway" in caught.value.message
    assert await bot.get_webhook_info()

    emu.inject_fault("timeout", method="getWebhookInfo", delay=2)
    with pytest.raises(TimedOut):
        await bot.get_webhook_info(read_timeout=0.2)
    assert [f.kind for f in emu.faults_fired] == ["429", "502", "502", "timeout"]
    assert emu.errors == []  # injected faults are not the bot's mistakes


async def test_rate_limits_model_telegram_flood_control(emu, bot, user):
    for i in range(5):  # off by default
        await bot.send_message(user.id, f"fast {i}")
    emu.set_rate_limits(True, private_burst=3)
    for i in range(3):
        await bot.send_message(user.id, f"burst {i}")
    with pytest.raises(RetryAfter):
        await bot.send_message(user.id, "one too many")
    assert emu.errors[-1].description == "Too Many Requests: retry after 1"

    group = emu.add_group("g", members=[user])
    for i in range(20):
        await bot.send_message(group.id, f"g{i}")
    with pytest.raises(RetryAfter):
        await bot.send_message(group.id, "g21")
    assert emu.errors[-1].description == "Too Many Requests: retry after 3"

    emu.set_rate_limits(True, global_per_second=2)
    others = [emu.add_user(f"u{i}", started=True) for i in range(3)]
    await bot.send_message(others[0].id, "1")
    await bot.send_message(others[1].id, "2")
    with pytest.raises(RetryAfter):
        await bot.send_message(others[2].id, "3")


async def test_wait_for_bot_consumes_sends_and_edits_in_order(emu, bot, user):
    async def later():
        await asyncio.sleep(0.05)
        first = await bot.send_message(user.id, "one")
        await asyncio.sleep(0.05)
        await bot.send_message(user.id, "two")
        await bot.edit_message_text("one!", user.id, first.message_id)

    task = asyncio.create_task(later())
    got = await emu.wait_for_bot(user, count=2, timeout=2)
    assert [(m.text, m.event) for m in got] == [("one", "sent"), ("two", "sent")]
    [edit] = await emu.wait_for_bot(user, timeout=2)
    assert (edit.text, edit.event, edit.edited) == ("one!", "edited", True)
    await task
    began = time.monotonic()
    with pytest.raises(TimeoutError, match="0 of 1"):
        await emu.wait_for_bot(user, timeout=0.1)
    assert time.monotonic() - began < 1


# ----- a real Application ----------------------------------------------------------------


async def test_application_polling_echo_and_button(emu):
    app = ApplicationBuilder().token(TOKEN).base_url(emu.base_url).base_file_url(emu.base_file_url).build()

    async def start(update, context):
        await update.message.reply_text("请确认", reply_markup=inline(("确认 ✅", "confirm:1")))

    async def echo(update, context):
        await update.message.reply_html(f"<b>echo</b>: {update.message.text}")

    async def on_button(update, context):
        await update.callback_query.answer("已确认")
        await update.callback_query.edit_message_text(f"done {update.callback_query.data}")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(on_button))

    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        user = emu.add_user("王XX", language_code="zh-hans")
        await emu.send_text(user, "/start")
        [menu] = await emu.wait_for_bot(user)
        assert menu.text == "请确认"

        await emu.send_text(user, "你好")
        [reply] = await emu.wait_for_bot(user)
        assert (reply.text, reply.raw_text, reply.parse_mode) == ("echo: 你好", "<b>echo</b>: 你好", "HTML")

        await emu.press(user, menu, menu.button_data("确认"))
        [edited] = await emu.wait_for_bot(user)
        assert (edited.event, edited.text, edited.reply_markup) == ("edited", "done confirm:1", None)
        assert emu.unanswered_callbacks() == []
        assert emu.callback_queries[0].answer == {"text": "已确认"}
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert emu.errors == []
    assert {"getMe", "deleteWebhook", "getUpdates", "sendMessage", "answerCallbackQuery",
            "editMessageText"} <= {name for name, _ in emu.calls}


# ----- webhook delivery ----------------------------------------------------------------------------


async def test_webhook_delivery_in_order_with_the_secret_and_retries(emu, bot):
    from aiohttp import web

    received: list[tuple[int, str | None, str]] = []
    answers = iter([500])                       # the first attempt fails, then everything is accepted

    async def hook(request: web.Request) -> web.Response:
        body = await request.json()
        received.append((body["update_id"], request.headers.get("X-Telegram-Bot-Api-Secret-Token"), request.path))
        return web.Response(status=next(answers, 200))

    app = web.Application()
    app.router.add_post("/tg/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        person = emu.add_user("王XX", started=True)
        await emu.send_text(person, "one")           # pending before the webhook exists: delivered too
        emu.webhook_proxy = f"http://127.0.0.1:{port}"
        assert await bot.set_webhook("https://bot.example.org/tg/hook?x=1", secret_token="abc_DEF-1")
        await expect(emu, Conflict, bot.get_updates(), "Conflict: can't use getUpdates method while webhook is "
                     "active; use deleteWebhook to delete the webhook first")
        await emu.send_text(person, "two")
        for _ in range(200):
            if len(emu.updates.pending) == 0 and len(received) == 3:
                break
            await asyncio.sleep(0.02)
        first, second = received[0][0], received[2][0]
        assert [r[0] for r in received] == [first, first, second]      # retried, then in order
        assert {r[1] for r in received} == {"abc_DEF-1"} and {r[2] for r in received} == {"/tg/hook"}
        assert emu.webhook_failures == [f"500 for update {first}"]
        assert (await bot.get_webhook_info()).pending_update_count == 0
    finally:
        await runner.cleanup()
