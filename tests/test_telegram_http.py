"""The HTTP client under the Bot (bot.telegram_http): JSON bodies, no cookie jar, the idle-connection check."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.emulator import Emulator
from bot.telegram_http import LeanHTTPXRequest, _LeanPool, _readable
from bot.telegram_retry import RetryingRequest

TOKEN = "4440001234:http-test-token"
MESSAGE = {"message_id": 1, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "您好"}


def recording_bot(seen: list[httpx.Request], cookie: bool = False) -> Bot:
    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        method = request.url.path.rsplit("/", 1)[-1]
        result = {"id": 1, "is_bot": True, "first_name": "b", "username": "b_bot"} if method == "getMe" else MESSAGE
        headers = {"Set-Cookie": "session=abc; Path=/"} if cookie else {}
        return httpx.Response(200, json={"ok": True, "result": result}, headers=headers)

    request = LeanHTTPXRequest(httpx_kwargs={"transport": httpx.MockTransport(reply)})
    return Bot(TOKEN, request=request, get_updates_request=LeanHTTPXRequest())


async def test_a_call_without_files_goes_as_one_utf8_json_document():
    seen: list[httpx.Request] = []
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("报告更正", callback_data="m:menu:correction")]])
    async with recording_bot(seen) as bot:
        await bot.send_message(42, "<b>我的档案</b> 王XX", parse_mode="HTML", reply_markup=keyboard)
    sent = seen[-1]
    assert sent.headers["content-type"] == "application/json"
    assert "我的档案".encode() in sent.content                      # not \\u-escaped, not %-encoded
    body = json.loads(sent.content)
    assert body["chat_id"] == 42 and body["text"] == "<b>我的档案</b> 王XX" and body["parse_mode"] == "HTML"
    assert body["reply_markup"] == {"inline_keyboard": [[{"text": "报告更正", "callback_data": "m:menu:correction"}]]}


async def test_a_file_still_goes_multipart():
    seen: list[httpx.Request] = []
    async with recording_bot(seen) as bot:
        await bot.send_document(42, b"PK\x03\x04 roster", filename="名册.xlsx")
    assert seen[-1].headers["content-type"].startswith("multipart/form-data")


async def test_cookies_a_server_sets_are_not_kept():
    seen: list[httpx.Request] = []
    async with recording_bot(seen, cookie=True) as bot:
        await bot.send_message(42, "一")
        await bot.send_message(42, "二")
    assert "cookie" not in seen[-1].headers


def test_an_idle_connection_closed_by_the_server_is_seen_as_readable():
    left, right = socket.socketpair()
    try:
        assert not _readable(left)          # open and quiet: reusable
        right.close()
        assert _readable(left)              # the peer closed it: the pool must drop it
    finally:
        left.close()
    assert _readable(left)                  # no descriptor any more
    assert _readable(None)


async def test_the_bot_against_the_emulator_keeps_few_connections_and_delivers_everything():
    # Eight sends at once need eight connections at most; twenty after them reuse those.
    async with Emulator(token=TOKEN) as emu:
        user = emu.add_user("王XX", started=True)
        request = RetryingRequest(connection_pool_size=16)
        async with Bot(TOKEN, base_url=emu.base_url, request=request) as bot:
            await asyncio.gather(*(bot.send_message(user.id, f"第{i}条") for i in range(8)))
            for i in range(8, 28):
                await bot.send_message(user.id, f"第{i}条")
            pool = request._client._transport._pool                      # noqa: SLF001
            assert isinstance(pool, _LeanPool)
            assert 1 <= len(pool.connections) <= 8
        assert sorted(m.text for m in emu.messages_to(user)) == sorted(f"第{i}条" for i in range(28))
        assert emu.call_count("sendMessage") == 28
