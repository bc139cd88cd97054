"""The outbox and its sender: idempotent enqueue, per-chat order, Telegram's limits, retries, blocked users,
and a sender killed between "written" and "sent" and between "sent" and "marked delivered".

Nothing really sleeps: the sender's clock and sleep are a FakeTime that moves when the sender waits.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.clock import utc_iso
from bot.reminders.sender import Sender, SlidingWindowLimiter
from bot.storage import outbox as outbox_repo
from reminders_world import SECRETARY_TG, FakeBot, FakeTime, build_world, fast_sender_options, payload


class Kill(BaseException):
    """The process dies here (a kill -9, as far as the sender can tell)."""


@pytest.fixture
async def world(db, clock):
    return await build_world(db, clock)


async def queue(world, n_chats: int, per_chat: int, prefix: str = "m") -> list[int]:
    ids = []
    async with world.db.write("test") as tx:
        for i in range(per_chat):
            for chat in range(n_chats):
                assert await outbox_repo.enqueue(tx, f"{prefix}:{chat}:{i}", 5000 + chat, "test", f"第{i}条 {chat}")
                ids.append((await tx.fetchone("SELECT MAX(id) FROM outbox"))[0])
    return ids


def sender_for(world, bot, t=None, **options):
    return Sender(world.services, bot, **fast_sender_options(t, **options))


async def states(world) -> dict[str, int]:
    return await outbox_repo.counts(world.db)


async def test_enqueue_is_idempotent_and_bulk_counts_new_rows(world):
    async with world.db.write("test") as tx:
        assert await outbox_repo.enqueue(tx, "k1", 1, "test", "<b>hi</b>", [[{"text": "x", "callback_data": "r:ok:1"}]])
        assert not await outbox_repo.enqueue(tx, "k1", 1, "test", "again")
        rows = [("k1", 1, "test", outbox_repo.payload_json("dup"), None),
                ("k2", 2, "test", outbox_repo.payload_json('引号 " 和 \\ 反斜杠'), "member:7")]
        assert await outbox_repo.enqueue_many(tx, rows) == 1
    [first, second] = await world.outbox()
    assert payload(first) == {"text": "<b>hi</b>", "buttons": [[{"text": "x", "callback_data": "r:ok:1"}]]}
    assert payload(second)["text"] == '引号 " 和 \\ 反斜杠' and second["ref"] == "member:7"


async def test_bulk_enqueue_of_thousands_keeps_their_order_and_skips_the_keys_queued(world):
    """5,000 rows go in as multi-row INSERTs of 2,048, 2,048, 512, 256, 128, 8: every row once, in the
    order given, a key already queued (before, or earlier in the same call) left as it was."""
    rows = [(f"bulk:{i}", 9000 + i % 7, "test", outbox_repo.payload_json(f"第{i}条"), f"member:{i}")
            for i in range(5000)]
    rows.insert(3000, ("bulk:10", 1, "test", outbox_repo.payload_json("again"), None))   # same call, later
    async with world.db.write("test") as tx:
        assert await outbox_repo.enqueue(tx, "bulk:4999", 1, "test", "first")          # queued before
        not_before = tx.now + timedelta(hours=2)
        assert await outbox_repo.enqueue_many(tx, rows, not_before) == 4999
    queued = [r for r in await world.outbox() if r["key"].startswith("bulk:")]
    assert [r["key"] for r in queued] == ["bulk:4999"] + [f"bulk:{i}" for i in range(4999)]
    by_key = {r["key"]: r for r in queued}
    assert payload(by_key["bulk:10"])["text"] == "第10条" and payload(by_key["bulk:4999"])["text"] == "first"
    assert by_key["bulk:2048"]["chat_id"] == 9000 + 2048 % 7 and by_key["bulk:2048"]["ref"] == "member:2048"
    assert {r["not_before"] for r in queued[1:]} == {utc_iso(not_before)}


async def test_delivers_everything_once_in_order_per_chat(world):
    await queue(world, n_chats=4, per_chat=3)
    bot = FakeBot()
    stats = await sender_for(world, bot).drain()
    assert stats.sent == 12 and await states(world) == {"sent": 12}
    for chat in range(4):
        assert bot.texts_to(5000 + chat) == [f"第{i}条 {chat}" for i in range(3)]
    assert all(m["parse_mode"] == "HTML" for m in bot.sent)
    ids = [r["message_id"] for r in await world.outbox()]
    assert None not in ids
    assert (await sender_for(world, bot).drain()).sent == 0      # nothing is sent twice


async def test_limits_one_per_second_per_chat_and_thirty_per_second(world):
    await queue(world, n_chats=40, per_chat=3)
    t = FakeTime()
    stamps: list[tuple[float, int]] = []
    bot = FakeBot()
    original = bot.send_message

    async def timed(chat_id, text, parse_mode=None, reply_markup=None):
        stamps.append((t.now, chat_id))
        return await original(chat_id, text, parse_mode, reply_markup)

    bot.send_message = timed
    await sender_for(world, bot, t, rate=30, per_chat_interval=1.0).drain()
    assert len(stamps) == 120
    times = sorted(s for s, _ in stamps)
    assert max(sum(1 for x in times if start <= x < start + 1.0) for start in times) <= 30
    for chat in range(40):
        mine = [s for s, c in stamps if c == 5000 + chat]
        assert all(b - a >= 1.0 for a, b in zip(mine, mine[1:]))


async def test_sliding_window_limiter():
    t = FakeTime()
    limiter = SlidingWindowLimiter(rate=30, period=1.0, time_fn=t.time, sleep=t.sleep)
    stamps = []
    for _ in range(95):
        await limiter.acquire()
        stamps.append(t.now)
    assert stamps[29] == stamps[0] and stamps[30] >= stamps[0] + 1.0
    assert max(sum(1 for x in stamps if s <= x < s + 1.0) for s in stamps) == 30
    assert stamps[-1] - stamps[0] >= 3.0


async def test_429_waits_retry_after_and_retries(world):
    await queue(world, n_chats=1, per_chat=2)
    t = FakeTime()
    bot = FakeBot()
    bot.failures = [RetryAfter(7)]
    sender = sender_for(world, bot, t)
    stats = await sender.drain()
    assert stats.sent == 2 and stats.retried_429 == 1
    assert any(s >= 7 for s in t.sleeps)                      # the retry_after Telegram asked for
    assert await states(world) == {"sent": 2}
    [first, _] = await world.outbox()
    assert first["attempts"] == 2 and first["last_error"] is None


async def test_5xx_and_timeouts_back_off_then_deliver(world):
    await queue(world, n_chats=1, per_chat=1)
    t = FakeTime()
    bot = FakeBot()
    bot.failures = [NetworkError("Bad Gateway"), TimedOut(), NetworkError("Internal Server Error (500)")]
    stats = await sender_for(world, bot, t, backoff_base=0.5, per_chat_interval=0).drain()
    assert stats.sent == 1 and stats.retried_errors == 3
    assert [s for s in t.sleeps if s in (0.5, 1.0, 2.0)] == [0.5, 1.0, 2.0]   # exponential
    assert await states(world) == {"sent": 1}


async def test_a_long_outage_gives_the_message_back_for_later(world, clock):
    await queue(world, n_chats=1, per_chat=1)
    bot = FakeBot()
    bot.failures = [NetworkError("Bad Gateway")] * 3
    stats = await sender_for(world, bot, max_tries=3, release_after=300).drain()
    assert stats.released == 1 and await states(world) == {"pending": 1}
    assert (await sender_for(world, bot).drain()).sent == 0            # not due yet
    clock.advance(minutes=6)
    assert (await sender_for(world, bot).drain()).sent == 1
    assert await states(world) == {"sent": 1}


async def test_bad_request_fails_for_good(world):
    await queue(world, n_chats=1, per_chat=2)
    bot = FakeBot()
    bot.failures = [BadRequest("Chat not found")]
    stats = await sender_for(world, bot).drain()
    assert stats.failed == 1 and stats.sent == 1
    assert await states(world) == {"failed": 1, "sent": 1}


async def test_blocked_user_is_marked_and_the_secretary_told_once(world):
    wang = await world.add_member("王XX", date(2026, 11, 1), tg=2001)
    async with world.db.write("test") as tx:
        await outbox_repo.enqueue(tx, "a", 2001, "check_in", "报平安？")
        await outbox_repo.enqueue(tx, "b", 2001, "check_in", "再问一次")
    bot = FakeBot()
    bot.failures = [Forbidden("Forbidden: bot was blocked by the user")]
    stats = await sender_for(world, bot).drain()
    assert stats.blocked >= 1
    user = await world.db.fetchone("SELECT blocked_at FROM users WHERE tg_id = 2001")
    assert user[0] is not None
    assert [r["state"] for r in await world.outbox("chat_id = 2001")] == ["blocked", "blocked"]
    [notice] = bot.texts_to(SECRETARY_TG)
    assert "屏蔽" in notice and "王XX" in notice
    async with world.db.write("test") as tx:               # a later reminder: not tried, nobody told again
        await outbox_repo.enqueue(tx, "c", 2001, "check_in", "第三次")
    calls = bot.calls
    await sender_for(world, bot).drain()
    assert bot.calls == calls and len(bot.texts_to(SECRETARY_TG)) == 1
    assert (await world.outbox("key = 'c'"))[0]["state"] == "blocked"
    assert await world.db.verify_audit() == []
    assert wang


async def in_the_window(world, bot) -> set[str]:
    """Messages Telegram accepted whose "sent" the dead sender had not committed (still 'sending')."""
    delivered = {m["text"] for m in bot.sent}
    return {payload(r)["text"] for r in await world.outbox("state = 'sending'")} & delivered


async def kill_and_restart(world, point: str, victim: int) -> tuple[FakeBot, set[str], str]:
    bot = FakeBot()

    def kill(at, row):
        if at == point and row["id"] == victim:
            raise Kill()

    with pytest.raises(Kill):
        await sender_for(world, bot, hook=kill, max_inflight=8).drain()
    window = await in_the_window(world, bot)
    victim_text = payload((await world.outbox("id = ?", (victim,)))[0])["text"]
    restarted = sender_for(world, bot)
    assert await restarted.recover() >= 1
    await restarted.drain()
    return bot, window, victim_text


def check_once_except(bot, world_texts: set[str], window: set[str]) -> None:
    texts = [m["text"] for m in bot.sent]
    assert set(texts) == world_texts                                      # nothing lost
    for text in world_texts:
        assert texts.count(text) == (2 if text in window else 1), text   # twice only inside the window


async def test_killed_between_written_and_sent_nothing_lost_nothing_twice(world):
    ids = await queue(world, n_chats=5, per_chat=4)
    bot, window, victim = await kill_and_restart(world, "claimed", ids[7])
    assert victim not in window                      # it never reached Telegram: sent once, after the restart
    assert await states(world) == {"sent": 20}
    check_once_except(bot, {payload(r)["text"] for r in await world.outbox()}, window)
    assert len(window) < 8                           # at most the messages in flight (max_inflight)


async def test_killed_between_sent_and_marked_repeats_only_the_window(world):
    ids = await queue(world, n_chats=5, per_chat=4)
    bot, window, victim = await kill_and_restart(world, "sent", ids[7])
    assert victim in window                          # accepted by Telegram, not marked: sent again
    assert await states(world) == {"sent": 20}
    check_once_except(bot, {payload(r)["text"] for r in await world.outbox()}, window)
    assert len(window) <= 8


async def test_a_scan_reminder_goes_out_with_its_button(world):
    from bot.services.scan.run import run_scan

    wang = await world.add_member("王XX", date(2026, 10, 1), tg=2001)
    await run_scan(world.services)
    bot = FakeBot()
    await sender_for(world, bot).drain()
    [check] = [m for m in bot.sent if m["chat_id"] == 2001]
    assert check["buttons"] == [[f"r:ok:{wang}"]]
    assert any("王XX" in m["text"] for m in bot.sent if m["chat_id"] == SECRETARY_TG)
    assert await states(world) == {"sent": 2}


def test_payload_json_round_trip():
    for text in ("plain", '"quoted" \\ back', "换行\n和\t制表", "<b>&amp;</b>"):
        assert json.loads(outbox_repo.payload_json(text)) == {"text": text, "buttons": []}
    assert timedelta(seconds=1)
