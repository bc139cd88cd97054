"""Two hundred simulated days of the 创意园党支部 (2026-01-05 to 2026-07-23), one scheduler tick a day at
09:00, the outbox drained into a fake bot: every reminder fires on the day it should, exactly once.

The expected dates below are worked out by hand from the rules (one month → 失控, six months → 失联, a
transfer without 回执 after 30 days, an idle case every 14 days, flow members on the 20th, the 2019
removal 30 days ahead, deadlines 7 and 1 days ahead, the digest on Mondays), not by the scan's code.
Also: the catch-up after a downtime, and the APScheduler job as registered.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.codes import ContactKind
from bot.reminders.scheduler import Reminders, tick
from bot.reminders.sender import Sender
from bot.services.scan import run as scan_module
from bot.services.context import Actor
from bot.services.scan.checkin import check_in
from reminders_world import (
    COMMITTEE_TG, OFFICER_TG, SECRETARY_TG, FakeBot, build_world, fast_sender_options, local_date,
)

SH = ZoneInfo("Asia/Shanghai")
DAY0 = date(2026, 1, 5)                 # a Monday
DAYS = 200
D = date


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


async def setup_branch(world):
    m = {}
    m["王"] = await world.add_member("王XX", DAY0, tg=2001, lang="zh-hans")
    m["周"] = await world.add_member("周XX", None)
    m["孙"] = await world.add_member("孙XX", D(2025, 12, 26), tg=2002, lang="en")
    m["赵"] = await world.add_member("赵XX", D(2025, 12, 28), flow_officer=world.officer)
    for name in ("吴", "郑", "冯"):
        m[name] = await world.add_member(f"{name}XX", D(2026, 1, 1))
    m["钱"] = await world.add_member("钱XX", D(2025, 5, 1))
    m["褚"] = await world.add_member("褚XX", D(2023, 6, 1))
    await world.execute("INSERT INTO contact_levels (member_id, level, since) VALUES (?, 2, '2025-11-01'),"
                        " (?, 2, '2023-12-02')", (m["钱"], m["褚"]))
    t = {}
    insert = ("INSERT INTO transfers (member_id, kind, to_org, destination, phone, backup_name, backup_phone,"
              " sent_on, created_at) VALUES (?, 'permanent', '深圳市南山区某党委', '深圳', '13900000000', '王XX',"
              " '13900000001', ?, 'x')")
    t["吴"] = await world.execute(insert, (m["吴"], "2025-12-01"))
    t["郑"] = await world.execute(insert, (m["郑"], "2026-01-20"))
    t["冯"] = await world.execute(insert, (m["冯"], "2026-02-01"))
    c = {}
    c["钱"] = await world.execute("INSERT INTO cases (member_id, opened_on, state, created_at)"
                                  " VALUES (?, '2025-12-20', 'searching', 'x')", (m["钱"],))
    c["褚"] = await world.execute("INSERT INTO cases (member_id, opened_on, state, outcome, suspended_since,"
                                  " created_at) VALUES (?, '2023-12-10', 'approved', 'suspended_unreachable',"
                                  " '2024-03-15', 'x')", (m["褚"],))
    dl = {}
    add = "INSERT INTO campaign_deadlines (org_id, stage, title, due_on, responsible, done_on) VALUES (?,?,?,?,?,?)"
    dl["study"] = await world.execute(add, (world.branch, "study_deploy", "召开支委会学习部署", "2026-02-28",
                                            OFFICER_TG, None))
    dl["check"] = await world.execute(add, (world.branch, "central_check", "完成集中排查", "2026-03-31", None, None))
    dl["dispose"] = await world.execute(add, (world.branch, "dispose", "规范处置", "2026-06-30", None, "2026-06-01"))
    dl["sum"] = await world.execute(add, (world.branch, "summarize", "总结巩固", "2026-08-31", None, None))
    return m, t, c, dl


async def log_attempt(world, case_id: int, member_id: int, on: date) -> None:
    await world.execute("INSERT INTO search_attempts (case_id, member_id, on_date, method, contacted, narrative,"
                        " result, recorded_by, created_at) VALUES (?, ?, ?, 'letter', '老乡赵XX',"
                        " '向老家发挂号信，告知党组织联系方式', 'not_reached', 'test', 'x')",
                        (case_id, member_id, on.isoformat()))


def expected_reminders(m, t, c, dl, new_cases) -> Counter:
    sec, off = SECRETARY_TG, OFFICER_TG
    e: Counter = Counter()

    def add(day, kind, chat, ref):
        e[(day, kind, chat, ref)] += 1

    # 王XX (bound) and 周XX (no contact on record, entered on DAY0): 失控 on 02-06, 失联 on 07-06, idle 07-20.
    for name in ("王", "周"):
        add(D(2026, 2, 6), "out_of_control", sec, f"member:{m[name]}")
        add(D(2026, 7, 6), "lost", sec, f"member:{m[name]}")
        add(D(2026, 7, 20), "case_idle", sec, f"case:{new_cases[m[name]]}")
    add(D(2026, 2, 6), "check_in", 2001, f"member:{m['王']}")
    # 孙XX checks in the day after each check-in message: a new crossing each time.
    for day in (D(2026, 1, 27), D(2026, 3, 1), D(2026, 4, 3), D(2026, 5, 5), D(2026, 6, 7), D(2026, 7, 9)):
        add(day, "out_of_control", sec, f"member:{m['孙']}")
        add(day, "check_in", 2002, f"member:{m['孙']}")
    # 赵XX, a flow member whose officer 陈XX reaches them on the 10th — except in March and May.
    for day in (D(2026, 3, 11), D(2026, 5, 11)):
        add(day, "out_of_control", off, f"member:{m['赵']}")
    for day in (D(2026, 3, 20), D(2026, 5, 20)):
        add(day, "flow_contact", off, f"member:{m['赵']}")
    # Transfers: 吴XX sent 2025-12-01 (flagged at once), 郑XX got its 回执, 冯XX sent 02-01 (flagged 03-03).
    add(DAY0, "transfer_no_receipt", sec, f"transfer:{t['吴']}")
    add(D(2026, 3, 3), "transfer_no_receipt", sec, f"transfer:{t['冯']}")
    # 钱XX's case: attempts 2025-12-22, 01-25, 04-01 → a reminder every 14 idle days.
    for day in (D(2026, 1, 5), D(2026, 1, 19), D(2026, 2, 8), D(2026, 2, 22), D(2026, 3, 8), D(2026, 3, 22),
                D(2026, 4, 15), D(2026, 4, 29), D(2026, 5, 13), D(2026, 5, 27), D(2026, 6, 10), D(2026, 6, 24),
                D(2026, 7, 8), D(2026, 7, 22)):
        add(day, "case_idle", sec, f"case:{c['钱']}")
    # 褚XX: suspended since 2024-03-15 → removal due 2026-03-15, warned 30 days ahead.
    add(D(2026, 2, 13), "removal_ahead", sec, f"case:{c['褚']}")
    add(D(2026, 3, 15), "removal_due", sec, f"case:{c['褚']}")
    # Campaign deadlines, 7 and 1 days ahead; 规范处置 was done early, 总结巩固 is past the 200 days.
    for day in (D(2026, 2, 21), D(2026, 2, 27)):
        add(day, "deadline", off, f"deadline:{dl['study']}")
    for day in (D(2026, 3, 24), D(2026, 3, 30)):
        add(day, "deadline", sec, f"deadline:{dl['check']}")
    # The weekly digest, every Monday, to the secretary and the committee.
    for week in range(0, DAYS, 7):
        add(DAY0 + timedelta(days=week), "digest", sec, "org:2")
        add(DAY0 + timedelta(days=week), "digest", COMMITTEE_TG, "org:1")
    return e


async def test_two_hundred_days(db, clock):
    clock.set(at(DAY0, 8))
    world = await build_world(db, clock)
    m, t, c, dl = await setup_branch(world)
    await log_attempt(world, c["钱"], m["钱"], D(2025, 12, 22))
    bot = FakeBot()
    sun = Actor(label="tg:2002", tg_id=2002, member_id=m["孙"])
    press_on: set[date] = set()
    for n in range(DAYS):
        day = DAY0 + timedelta(days=n)
        clock.set(at(day, 8))
        # The day's life before the 09:00 scan: 组织生活 on the 1st, the officer's calls on the 10th,
        # 郑XX's 回执, the search attempts, 孙XX tapping 报平安.
        if day.day == 1:
            for name in ("吴", "郑", "冯"):
                await world.contact(m[name], day)
            await world.contact(world.secretary, day)
            await world.contact(world.officer, day)
        if day.day == 10 and day.month not in (3, 5):
            await world.contact(m["赵"], day, ContactKind.BRANCH_CONTACT)
        if day == D(2026, 2, 10):
            await world.execute("UPDATE transfers SET receipt_on = '2026-02-10' WHERE id = ?", (t["郑"],))
        if day in (D(2026, 1, 25), D(2026, 4, 1)):
            await log_attempt(world, c["钱"], m["钱"], day)
        if day in press_on:
            await check_in(world.services, sun, m["孙"])
        clock.set(at(day, 9))
        await tick(world.services)
        before = len(bot.sent)
        await Sender(world.services, bot, **fast_sender_options()).drain()
        if any(msg["chat_id"] == 2002 for msg in bot.sent[before:]):
            press_on.add(day + timedelta(days=1))

    rows = await world.outbox()
    assert {r["state"] for r in rows} == {"sent"}
    assert len(bot.sent) == len(rows)                         # each delivered once
    new_cases = {r[1]: r[0] for r in await world.db.fetchall("SELECT id, member_id FROM cases WHERE opened_on"
                                                                 " = '2026-07-06'")}
    got: Counter = Counter()
    for r in rows:
        for ref in (r["ref"] or "").split(","):
            got[(local_date(r["created_at"], SH), r["kind"], r["chat_id"], ref)] += 1
    want = expected_reminders(m, t, c, dl, new_cases)
    assert got - want == Counter(), f"unexpected: {sorted(got - want)}"
    assert want - got == Counter(), f"missing: {sorted(want - got)}"
    assert await world.db.verify_audit() == []


async def test_catch_up_after_five_days_down_scans_once(db, clock, monkeypatch):
    clock.set(at(D(2026, 11, 23), 9, 5))
    world = await build_world(db, clock)
    wang = await world.add_member("王XX", D(2026, 10, 26), tg=2001)
    runs = []
    real = scan_module.run_scan

    async def counting(*args, **kwargs):
        runs.append(clock.now())
        return await real(*args, **kwargs)

    monkeypatch.setattr("bot.reminders.scheduler.run_scan", counting)
    await tick(world.services)
    assert len(runs) == 1
    clock.advance(minutes=1)
    await tick(world.services)                     # a minute later: nothing due
    assert len(runs) == 1
    # Down from 11-23 09:06 to 11-28 10:00: five scan times missed. 王XX crossed on 11-27.
    clock.set(at(D(2026, 11, 28), 10))
    await tick(world.services)
    assert len(runs) == 2                          # one catch-up scan, not five
    await tick(world.services)
    assert len(runs) == 2
    [msg] = await world.outbox("kind = 'out_of_control'")
    assert local_date(msg["created_at"], SH) == D(2026, 11, 28) and msg["ref"] == f"member:{wang}"
    clock.set(at(D(2026, 11, 29), 8, 59))
    await tick(world.services)
    assert len(runs) == 2                          # before the scan time
    clock.set(at(D(2026, 11, 29), 9))
    await tick(world.services)
    assert len(runs) == 3
    # A scan time changed by the secretary applies at the next tick.
    async with world.db.write("test") as tx:
        from bot.storage import orgs as org_repo
        await org_repo.set_settings(tx, world.branch, {"scan_time": "07:30"})
    clock.set(at(D(2026, 11, 30), 7, 31))
    await tick(world.services)
    assert len(runs) == 4


async def test_the_scheduler_job_and_the_start_catch_up(db, clock):
    world = await build_world(db, clock)
    await world.add_member("王XX", D(2026, 10, 1), tg=2001)
    bot = FakeBot()
    reminders = Reminders(world.services, bot, tick_seconds=60, **fast_sender_options(poll_interval=0.05))
    await reminders.start()
    try:
        job = reminders.scheduler.get_job("reminders.tick")
        assert job.coalesce is True and job.misfire_grace_time is None and job.max_instances == 1
        assert job.trigger.interval == timedelta(seconds=60)
        # The tick runs at start, and the sender delivers and marks each message sent. Wait for the marks
        # too (a send is recorded just after the call returns), and for the tick's end: the sender polls
        # the outbox on its own and may deliver the scan's messages before the tick has finished its
        # later checks. The budget is generous for a loaded machine.
        for _ in range(1000):
            if (reminders.ticks >= 1 and len(bot.sent) >= 2
                    and {r["state"] for r in await world.outbox()} == {"sent"}):
                break
            await asyncio.sleep(0.02)
        assert reminders.ticks >= 1
        assert {m["chat_id"] for m in bot.sent} >= {SECRETARY_TG, 2001}
    finally:
        await reminders.stop()
    assert not reminders.scheduler.running
    assert {r["state"] for r in await world.outbox()} == {"sent"}
