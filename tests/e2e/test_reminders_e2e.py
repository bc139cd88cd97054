"""Reminders end to end: the real Application and python-telegram-bot's HTTP client against the Bot API
emulator. Telegram answers 429 and 502 and every reminder still arrives, once; 王XX taps 报平安; a member
who blocked the bot is marked and the secretary told; the secretary moves the scan time from the chat.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date

import pytest

from bot.app import app_state
from bot.telegram_retry import retry_stats
from bot.reminders import reminders_of
from bot.reminders.scheduler import Reminders
from bot.services.scan.run import run_scan
from bot.services.scan.settings import effective_settings

FAST = 20.0   # the sender's clock runs 20× faster in these tests: retry_after=1 costs 50 ms


def fast_clock_options() -> dict:
    start = time.monotonic()
    return {"time_fn": lambda: start + (time.monotonic() - start) * FAST,
            "sleep": lambda s: asyncio.sleep(max(0.0, s) / FAST), "poll_interval": 0.05}


async def drained(env, reminders=None, timeout: float = 15.0) -> None:
    """Wait for the start tick (the scan), then until nothing is left to send."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while reminders is not None and reminders.ticks == 0 and loop.time() < deadline:
        await asyncio.sleep(0.02)
    while loop.time() < deadline:
        row = await env.db.fetchone("SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')")
        if row[0] == 0:
            return
        await asyncio.sleep(0.05)
    rows = await env.db.fetchall("SELECT id, chat_id, kind, state, attempts, last_error FROM outbox")
    raise AssertionError(f"outbox not drained: {[tuple(r) for r in rows]}")


async def test_every_reminder_arrives_through_429_and_502(bot_env):
    env = bot_env
    env.expect_api_errors(429, 502)
    secretary = await env.add_secretary("陈XX", last_contact_on=date(2026, 11, 20))
    users = {}
    for i in range(6):
        mid = await env.add_member(f"王{i}X", last_contact_on=date(2026, 10, 1))
        users[mid] = await env.bind_member(mid)
    lost = [await env.add_member(f"赵{i}X", last_contact_on=date(2026, 3, 1)) for i in range(3)]
    await env.settle()
    before = {u.id: len(env.emu.messages_to(u)) for u in users.values()}
    before_secretary = len(env.emu.messages_to(secretary))
    env.emu.inject_fault("429", count=3, method="sendMessage", retry_after=1)
    env.emu.inject_fault("502", count=3, method="sendMessage")
    reminders = Reminders(app_state(env.app).services, env.app.bot, **fast_clock_options())
    await reminders.start()                       # the start tick is the day's (catch-up) scan
    try:
        await drained(env, reminders)
    finally:
        await reminders.stop()
    fired = [f.kind for f in env.emu.faults_fired]
    assert fired.count("429") == 3 and fired.count("502") == 3
    # the 429s are the sender's to wait out; the 502s never reached Telegram, so the bot's request layer
    # repeats them at once (bot.telegram_retry) and the sender may never see them
    layer = retry_stats(env.app.bot).by_method.get("sendMessage", 0)
    assert reminders.sender.stats.retried_429 == 3
    assert reminders.sender.stats.retried_errors + layer == 3
    rows = await env.db.fetchall("SELECT state, chat_id, kind FROM outbox")
    assert {r[0] for r in rows} == {"sent"}
    for mid, user in users.items():
        new = env.emu.messages_to(user)[before[user.id]:]
        assert len(new) == 1, [m.text for m in new]                      # once, despite the retries
        assert "同志您好" in new[0].text and new[0].button_data("报平安") == f"r:ok:{mid}"
    new_for_secretary = env.emu.messages_to(secretary)[before_secretary:]
    assert sum("每周情况" in m.text for m in new_for_secretary) == 1      # the first start also sends the digest
    to_secretary = " ".join(m.text for m in new_for_secretary if "每周情况" not in m.text)
    for i in range(6):
        assert to_secretary.count(f"王{i}X") == 1
    for i in range(3):
        assert to_secretary.count(f"赵{i}X") == 1
    assert len(lost) == 3


@pytest.mark.reminders
async def test_check_in_button_and_a_forged_press(bot_env):
    env = bot_env
    await env.add_secretary("陈XX", last_contact_on=date(2026, 11, 20))
    wang = await env.add_member("王XX", last_contact_on=date(2026, 10, 1))
    user = await env.bind_member(wang)
    li = await env.add_member("李XX", last_contact_on=date(2026, 11, 20))
    other = await env.bind_member(li)
    reminders = reminders_of(env.app)
    assert reminders is not None
    await run_scan(app_state(env.app).services)
    reminders.sender.kick()
    [check] = await env.emu.wait_for_bot(user, 1, timeout=10)
    assert "王XX同志您好" in check.text
    [thanks] = await env.tap(user, "报平安")
    assert "谢谢王XX同志" in thanks.text
    row = await env.db.fetchone("SELECT (SELECT COUNT(*) FROM contact_levels WHERE member_id = m.id),"
                                " last_contact_on FROM members m WHERE id = ?", (wang,))
    assert tuple(row) == (0, "2026-11-23")
    events = await env.db.fetchall("SELECT kind FROM contact_events WHERE member_id = ?", (wang,))
    assert [e[0] for e in events] == ["check_in"]
    # 李XX forges 王XX's button: refused, nothing recorded for 王XX.
    await env.say(other, "/start")
    await env.press_data(other, f"r:ok:{wang}", expect=0)
    assert len(await env.db.fetchall("SELECT id FROM contact_events WHERE member_id = ?", (wang,))) == 1
    answered = [q for q in env.emu.callback_queries if q.data == f"r:ok:{wang}"]
    assert answered and all(q.answered for q in answered)


async def test_blocked_member_is_marked_and_the_secretary_told(bot_env):
    env = bot_env
    env.expect_api_errors(403)
    secretary = await env.add_secretary("陈XX", last_contact_on=date(2026, 11, 20))
    wang = await env.add_member("王XX", last_contact_on=date(2026, 10, 1))
    user = await env.bind_member(wang)
    await env.settle()
    env.emu.block(user, notify=False)
    before = len(env.emu.messages_to(secretary))
    reminders = Reminders(app_state(env.app).services, env.app.bot, **fast_clock_options())
    await reminders.start()
    try:
        await drained(env, reminders)
        for _ in range(100):
            if any("屏蔽" in m.text for m in env.emu.messages_to(secretary)[before:]):
                break
            await asyncio.sleep(0.05)
    finally:
        await reminders.stop()
    blocked = await env.db.fetchone("SELECT blocked_at FROM users WHERE tg_id = ?", (user.id,))
    assert blocked[0] is not None
    notices = [m.text for m in env.emu.messages_to(secretary)[before:] if "屏蔽" in m.text]
    assert len(notices) == 1 and "王XX" in notices[0]
    states = await env.db.fetchall("SELECT state FROM outbox WHERE chat_id = ?", (user.id,))
    assert [s[0] for s in states] == ["blocked"]


async def test_secretary_moves_the_scan_time(bot_env):
    env = bot_env
    secretary = await env.add_secretary("陈XX")
    [view] = await env.say(secretary, "/reminders")
    assert "创意园党支部提醒设置" in view.text and "09:00" in view.text
    [view] = await env.tap(secretary, "+15m")
    assert "09:15" in view.text
    conf = await effective_settings(env.db, env.branch_id)
    assert conf.scan_time == "09:15"
    [reply] = await env.say(secretary, "/reminders scan_time 23:30")
    assert "06:00" in reply.text and "22:00" in reply.text                 # out of bounds: refused
    assert (await effective_settings(env.db, env.branch_id)).scan_time == "09:15"
