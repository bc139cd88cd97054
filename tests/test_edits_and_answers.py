"""The edit that changes nothing is skipped; a callback query is answered once per update."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, User

from bot.handlers import callback_answers
from bot.handlers.edits import html_as_telegram_shows, shows_already

BOT = User(1, "Branchbot", True)


def message(text: str, entities=(), markup=None) -> Message:
    return Message.de_json({"message_id": 5, "date": 0, "chat": {"id": 9, "type": "private"},
                            "from": BOT.to_dict(), "text": text, "entities": [e.to_dict() for e in entities],
                            "reply_markup": markup.to_dict() if markup else None}, None)


MENU = InlineKeyboardMarkup([[InlineKeyboardButton("报平安", callback_data="m:menu:checkin")]])


def test_html_is_read_as_telegram_stores_it():
    # "<b>联系</b> &amp; 😀<i>x</i>": bold 0–2; "😀" is 2 UTF-16 units, so italic starts at 2+3+2 = 7
    text, entities = html_as_telegram_shows("  <b>联系</b> &amp; 😀<i>x</i>\n")
    assert text == "联系 & 😀x"
    assert entities == {("bold", 0, 2, None), ("italic", 7, 1, None)}
    assert html_as_telegram_shows('<a href="https://t.me/x">卡</a>')[1] == {("text_link", 0, 1, "https://t.me/x")}


def test_shows_already_compares_text_formatting_and_keyboard():
    shown = message("请选择 & 确认", [MessageEntity("bold", 0, 3)], MENU)
    assert shows_already(shown, "<b>请选择</b> &amp; 确认", MENU)
    assert not shows_already(shown, "请选择 &amp; 确认", MENU)                # the bold went: an edit
    assert not shows_already(shown, "<b>请选择</b> &amp; 确认", None)         # the keyboard goes
    other = InlineKeyboardMarkup([[InlineKeyboardButton("报平安", callback_data="m:menu:other")]])
    assert not shows_already(shown, "<b>请选择</b> &amp; 确认", other)
    assert not shows_already(shown, "<b>请选择</b> &amp; 确认!", MENU)
    # a command Telegram found by itself is no formatting of ours
    auto = message("/cancel 取消", [MessageEntity("bot_command", 0, 7)])
    assert shows_already(auto, "/cancel 取消", None)


class FakeQuery:
    def __init__(self, qid: str):
        self.id, self.calls = qid, []

    async def answer(self, text=None, show_alert=False):
        self.calls.append((text, show_alert))


async def test_answer_once_per_update_whoever_asks():
    query = FakeQuery("42")
    with callback_answers.per_update():
        assert await callback_answers.answer_once(query, "语言已设置")      # the handler
        assert not await callback_answers.answer_once(query, "again")       # a second context of it
        assert not await callback_answers.answer_once(query)                # the error handler
    assert query.calls == [("语言已设置", False)]
    with callback_answers.per_update():                                       # another update: its own
        assert await callback_answers.answer_once(query, alert=True)
    assert len(query.calls) == 2
