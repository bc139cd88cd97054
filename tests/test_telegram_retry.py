"""The request layer's retries (bot.telegram_retry) against the emulator: what is repeated, what never is."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.emulator import Emulator
from bot.telegram_http import NOT_SENT_ERRORS
from bot.telegram_retry import (BLOCKED, PERMANENT, RETRY_AFTER, TRANSIENT, Backoff, RetryingRequest, RetryPolicy,
                                classify, retry_stats)

TOKEN = "4440001234:retry-test-token"
FAST = RetryPolicy(max_tries=5, backoff=Backoff(base=0.01, cap=0.05, jitter=lambda: 1.0), deadline=5.0)


@pytest.fixture
async def emu():
    async with Emulator(token=TOKEN) as e:
        yield e


def bot_for(url: str, policy: RetryPolicy = FAST, read_timeout: float = 5.0) -> Bot:
    return Bot(TOKEN, base_url=url, request=RetryingRequest(policy=policy, read_timeout=read_timeout),
               get_updates_request=RetryingRequest(policy=policy))


async def test_a_502_is_retried_and_the_message_arrives_once(emu, caplog):
    user = emu.add_user("王XX", started=True)
    emu.inject_fault("502", count=3, method="sendMessage")
    caplog.set_level(logging.WARNING, logger="bot.telegram_retry")
    async with bot_for(emu.base_url) as bot:
        await bot.send_message(user.id, "您好")
        stats = retry_stats(bot)
    assert [m.text for m in emu.messages_to(user)] == ["您好"]
    assert emu.call_count("sendMessage") == 4              # 3 refused by the proxy, then the one carried out
    assert stats.retried == 3 and stats.by_method == {"sendMessage": 3}
    lines = [r for r in caplog.records if r.name == "bot.telegram_retry"]
    assert [r.levelno for r in lines] == [logging.WARNING] * 3
    assert "sendMessage failed (502): retry 1 of 4" in lines[0].getMessage()
    assert TOKEN not in caplog.text                          # never the URL


async def test_it_gives_up_after_max_tries_with_the_usual_error(emu):
    user = emu.add_user("王XX", started=True)
    emu.inject_fault("502", count=10, method="sendMessage")
    async with bot_for(emu.base_url) as bot:
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(user.id, "您好")
        assert retry_stats(bot).gave_up == 1
    assert emu.call_count("sendMessage") == 5 and emu.messages_to(user) == []


async def test_a_send_that_timed_out_is_never_repeated(emu):
    # The emulator hangs 0.6 s, then carries the call out (a slow Telegram): the user has the message,
    # so a repeat would be a duplicate.
    user = emu.add_user("王XX", started=True)
    emu.inject_fault("timeout", count=1, method="sendMessage", delay=0.6)
    async with bot_for(emu.base_url, read_timeout=0.2) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(user.id, "只发一次")
        assert retry_stats(bot).retried == 0
    await emu.sleep_unless_stopped(0.7)
    assert [m.text for m in emu.messages_to(user)] == ["只发一次"]
    assert emu.call_count("sendMessage") == 1


async def test_an_idempotent_call_that_timed_out_is_repeated(emu):
    emu.inject_fault("timeout", count=1, method="getMe", delay=0.6)
    async with bot_for(emu.base_url, read_timeout=0.2) as bot:   # initialize() calls getMe
        assert bot.username == emu.bot_username
        assert retry_stats(bot).by_method == {"getMe": 1}


async def test_a_refused_connection_is_retried_for_any_method():
    with socket.socket() as s:                 # a port nobody listens on: every connect is refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bot = bot_for(f"http://127.0.0.1:{port}/bot")
    await bot.request.initialize()
    with pytest.raises(NetworkError):
        await bot._post("sendMessage", {"chat_id": 1, "text": "x"})
    assert retry_stats(bot).retried == 4 and retry_stats(bot).gave_up == 1
    await bot.shutdown()


async def test_a_connection_dropped_after_the_request_was_written_repeats_only_what_is_safe():
    # The server reads each request whole and hangs up without an answer: Telegram may have carried it
    # out. getMe is repeated; a sendMessage is not (the user may already have it).
    seen: list[bytes] = []

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.lower().split(b"\r\n")
        await reader.readexactly(int(next(line.split(b":")[1] for line in lines if line.startswith(b"content-length"))))
        seen.append(head.split(b" ")[1].rsplit(b"/", 1)[1])
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    bot = bot_for(f"http://127.0.0.1:{port}/bot")
    await bot.request.initialize()
    try:
        with pytest.raises(NetworkError) as dropped:
            await bot._post("sendMessage", {"chat_id": 1, "text": "只发一次"})
        assert seen == [b"sendMessage"] and retry_stats(bot).retried == 0
        assert not isinstance(dropped.value.__cause__, NOT_SENT_ERRORS)
        with pytest.raises(NetworkError):
            await bot._post("getMe", {})
        assert seen == [b"sendMessage"] + [b"getMe"] * 5 and retry_stats(bot).by_method == {"getMe": 4}
    finally:
        await bot.shutdown()
        server.close()
        await server.wait_closed()


async def test_the_deadline_bounds_the_whole_call(emu):
    # Backoff 0.2 s per retry, deadline 0.5 s: attempts at ~0, ~0.2, ~0.4; the next would start after 0.5 s.
    user = emu.add_user("王XX", started=True)
    emu.inject_fault("502", count=10, method="sendMessage")
    policy = RetryPolicy(max_tries=10, backoff=Backoff(base=0.2, cap=0.2, jitter=lambda: 1.0), deadline=0.5)
    async with bot_for(emu.base_url, policy) as bot:
        with pytest.raises(NetworkError):
            await bot.send_message(user.id, "x")
    assert emu.call_count("sendMessage") == 3


def test_classify_sorts_the_failures_the_sender_acts_on():
    from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

    assert classify(RetryAfter(3)) == RETRY_AFTER
    assert classify(Forbidden("bot was blocked by the user")) == BLOCKED
    assert classify(BadRequest("chat not found")) == PERMANENT and classify(ChatMigrated(5)) == PERMANENT
    assert classify(NetworkError("Bad Gateway")) == TRANSIENT and classify(TimedOut()) == TRANSIENT
    # attempt n waits base·2^(n-1), capped: 0.5, 1, 2, 4, 8, 16, 30, 30 with base 0.5 and cap 30
    assert [Backoff(0.5, 30.0, lambda: 1.0).delay(n) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
