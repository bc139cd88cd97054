"""The daily scan: who crosses 失控 / 失联 and when, once per crossing; cases, 口袋党员, idle cases, the 2019
rule, campaign deadlines, the digest, dry runs, the CLI and the settings a secretary may change.

The branch is the 创意园党支部: 王XX left the 创意园 for 深圳, 赵XX has not been heard of since spring.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.codes import ContactKind, ContactLevel, PolicyVersion, Role
from bot.domain.dates import add_months
from bot.domain.errors import DomainError, PermissionDenied
from bot.domain.rules import Thresholds, contact_level
from bot.services.context import OPERATOR, Actor
from bot.services.deadlines import lead_due, set_deadline
from bot.services.digest import run_digest
from bot.services.scan.run import contact_cutoff, run_scan
from bot.services.scan.checkin import check_in
from bot.services.scan.settings import change_reminder_setting, effective_settings
from bot.storage import members as member_repo
from bot.storage import scan_repo
from reminders_world import COMMITTEE_TG, OFFICER_TG, SECRETARY_TG, build_world, payload

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def world(db, clock):
    return await build_world(db, clock)


def test_cutoff_is_the_boundary_of_the_rules():
    """`last < contact_cutoff(today, k)` holds exactly when rules.contact_level says "more than k months"."""
    day = date(2024, 1, 1)
    while day < date(2026, 12, 31):
        for months, level in ((1, ContactLevel.OUT_OF_CONTROL), (6, ContactLevel.LOST), (2, ContactLevel.LOST)):
            cut = contact_cutoff(day, months)
            th = Thresholds(1, months) if level is ContactLevel.LOST else Thresholds(months, 12)
            for last in (cut - timedelta(days=1), cut, cut + timedelta(days=1)):
                reached = contact_level(last, day, th).code >= level.code
                assert reached == (last < cut), (day, months, last, cut)
        day += timedelta(days=3)


async def test_out_of_control_told_once_with_a_check_in_button(world, clock):
    wang = await world.add_member("王XX", date(2026, 10, 1), tg=2001, lang="zh-hans")
    report = await run_scan(world.services)
    assert report.counts == {"out_of_control": 1}
    row = await member_repo.get_row(world.db, wang)
    assert (row["contact_level"], row["level_since"]) == (ContactLevel.OUT_OF_CONTROL.code, "2026-11-23")
    to_secretary = await world.outbox("chat_id = ? AND kind = 'out_of_control'", (SECRETARY_TG,))
    assert len(to_secretary) == 1 and "王XX" in payload(to_secretary[0])["text"]
    assert "最近一次联系 2026-10-01（53天前）" in payload(to_secretary[0])["text"]
    [check] = await world.outbox("chat_id = 2001")
    assert check["kind"] == "check_in" and "王XX同志您好" in payload(check)["text"]
    assert payload(check)["buttons"] == [[{"text": "报平安", "callback_data": f"r:ok:{wang}"}]]
    # The same day again, and the next days: the crossing is not told twice.
    assert (await run_scan(world.services)).messages == 0
    for _ in range(5):
        clock.advance(days=1)
        assert (await run_scan(world.services)).messages == 0
    assert await world.db.verify_audit() == []


async def test_lost_enters_register_opens_case_and_tells_secretary(world):
    zhao = await world.add_member("赵XX", date(2026, 3, 1))
    report = await run_scan(world.services)
    assert report.counts == {"lost": 1}     # straight to 失联: not also 失控
    row = await member_repo.get_row(world.db, zhao)
    assert row["contact_level"] == ContactLevel.LOST.code
    [case] = await world.db.fetchall("SELECT * FROM cases WHERE member_id = ?", (zhao,))
    assert (case["state"], case["opened_on"]) == ("searching", "2026-11-23")
    [msg] = await world.outbox("kind = 'lost'")
    assert msg["chat_id"] == SECRETARY_TG and "已列入失联党员名册" in payload(msg)["text"]
    audit = await world.db.fetchall("SELECT after FROM audit_log WHERE entity = 'case' AND action = 'open_many'")
    assert [[case["id"], zhao]] == json.loads(audit[0][0])["cases"]
    assert await world.db.verify_audit() == []
    # A case already in progress is not opened twice when the member crosses again.
    await world.contact(zhao, date(2026, 11, 1))
    clock_next = world.clock
    clock_next.set(datetime(2027, 5, 3, 9, 0, tzinfo=SH))
    await run_scan(world.services)
    assert len(await world.db.fetchall("SELECT id FROM cases WHERE member_id = ?", (zhao,))) == 1



async def test_cases_opened_in_bulk_skip_each_member_with_a_case_in_progress(world):
    """scan_repo.flag_levels looks up the chunk's members with a case in progress: the ones at both ends
    of the id range and inside it are skipped; finished cases (closed, regained) do not stop a new one."""
    ids = [await world.add_member(f"成员{i}XX", date(2026, 3, 1)) for i in range(7)]
    finished = {ids[1]: ("decided", "2026-10-01"), ids[3]: ("regained", None)}
    in_progress = {ids[0]: ("searching", None), ids[2]: ("searching", None), ids[5]: ("searching", None),
                   ids[6]: ("searching", None)}       # ids[6] is outside the chunk
    async with world.db.write("test") as tx:
        for mid, (state, closed) in (finished | in_progress).items():
            await tx.execute("INSERT INTO cases (member_id, opened_on, state, closed_on, created_at)"
                             " VALUES (?, '2026-09-01', ?, ?, ?)", (mid, state, closed, tx.now_iso))
    async with world.db.write("test") as tx:
        opened = json.loads(await scan_repo.flag_levels(tx, scan_repo.ids_json([ids[4], ids[0], ids[5], ids[2],
                                                                                 ids[3], ids[1]]), "[]", 2, 1,
                                                        date(2026, 11, 23), "searching"))
    assert [m for _c, m in opened] == [ids[4], ids[3], ids[1]]            # opened in the order given
    rows = await world.db.fetchall("SELECT id, member_id FROM cases WHERE opened_on = '2026-11-23' ORDER BY id")
    assert [list(r) for r in rows] == opened
    per_member = dict(await world.db.fetchall("SELECT member_id, COUNT(*) FROM cases GROUP BY member_id"))
    assert per_member == {ids[0]: 1, ids[1]: 2, ids[2]: 1, ids[3]: 2, ids[4]: 1, ids[5]: 1, ids[6]: 1}

async def test_decided_cases_stay_indexed_by_decision_date_and_new_cases_are_not_indexed(db):
    """Migration 0013: the index of cases holds the decided ones only (a case the scan opens is not
    indexed by its state), and the summary tables' lookup of decisions by date still uses it."""
    plan = await db.fetchall("EXPLAIN QUERY PLAN SELECT id FROM cases WHERE state = 'decided' AND decided_on <= ?",
                             ("2026-11-23",))
    assert any("cases_decided" in r[3] for r in plan), [tuple(r) for r in plan]
    sql = (await db.fetchone("SELECT sql FROM sqlite_master WHERE name = 'cases_decided'"))[0]
    assert sql.endswith("WHERE decided_on IS NOT NULL")


async def test_the_removal_check_reads_only_the_suspended_cases_and_new_cases_are_not_indexed(db):
    """Migration 0015: the daily removal check (scan_repo.suspended_cases) finds the cases under 停止党籍
    by an index holding only them, not by reading every case; a case the scan opens is not in it."""
    sql = (await db.fetchone("SELECT sql FROM sqlite_master WHERE name = 'cases_suspended'"))[0]
    assert sql.endswith("WHERE suspended_since IS NOT NULL AND regained_on IS NULL")
    captured = []

    class Plan:
        async def fetchall(self, query, params=()):
            captured.append(await db.fetchall("EXPLAIN QUERY PLAN " + query, params))
            return []

    await scan_repo.suspended_cases(Plan(), None)
    [plan] = captured
    assert any("cases_suspended" in r[3] for r in plan), [tuple(r) for r in plan]
    assert not any(r[3] == "SCAN c" for r in plan), [tuple(r) for r in plan]      # not the whole table


async def test_officer_is_asked_in_english_and_secretary_not(world):
    flow = await world.add_member("赵XX", date(2026, 10, 10), flow_officer=world.officer)
    await run_scan(world.services)
    [msg] = await world.outbox("kind = 'out_of_control'")
    assert msg["chat_id"] == OFFICER_TG
    assert payload(msg)["text"].startswith("No contact for more than 1 month(s)")
    assert f"member:{flow}" == msg["ref"]


async def keep_in_touch(world, on: date) -> None:
    """The secretary and the officer attend the branch's 组织生活 (so only the member under test is flagged)."""
    for mid in (world.secretary, world.officer):
        await world.contact(mid, on)


async def test_no_contact_on_record_counts_from_entry(world, clock):
    zhou = await world.add_member("周XX", None)
    await keep_in_touch(world, date(2026, 12, 20))
    clock.set(datetime(2026, 12, 23, 9, 0, tzinfo=SH))      # one month after entry: not yet
    assert (await run_scan(world.services)).counts.get("out_of_control") is None
    clock.set(datetime(2026, 12, 24, 9, 0, tzinfo=SH))
    assert (await run_scan(world.services)).counts == {"out_of_control": 1}
    [msg] = await world.outbox("kind = 'out_of_control'")
    assert "周XX：无联系记录（2026-11-23录入）" in payload(msg)["text"]
    await keep_in_touch(world, date(2027, 5, 20))
    clock.set(datetime(2027, 5, 24, 9, 0, tzinfo=SH))
    assert (await run_scan(world.services)).counts.get("lost") == 1
    assert (await member_repo.get_row(world.db, zhou))["contact_level"] == 2


async def test_new_contact_resets_and_the_next_crossing_is_told_again(world, clock):
    wang = await world.add_member("王XX", date(2026, 10, 1), tg=2001)
    await run_scan(world.services)
    await world.contact(wang, date(2026, 11, 25), ContactKind.CHECK_IN)
    assert (await member_repo.get_row(world.db, wang))["contact_level"] == 0
    await keep_in_touch(world, date(2026, 12, 20))
    clock.set(datetime(2026, 12, 25, 9, 0, tzinfo=SH))
    assert (await run_scan(world.services)).counts == {}
    clock.set(datetime(2026, 12, 26, 9, 0, tzinfo=SH))
    assert (await run_scan(world.services)).counts == {"out_of_control": 1}
    assert len(await world.outbox("chat_id = 2001 AND kind = 'check_in'")) == 2


async def test_transfer_without_receipt_marks_pocket_member(world, clock):
    wu = await world.add_member("吴XX", date(2026, 11, 1))
    zheng = await world.add_member("郑XX", date(2026, 11, 1))
    insert = ("INSERT INTO transfers (member_id, kind, to_org, destination, phone, backup_name, backup_phone,"
              " sent_on, receipt_on, created_at) VALUES (?, 'permanent', ?, '深圳', '13900000000', '王XX',"
              " '13900000001', ?, ?, '2026-10-01T00:00:00+00:00')")
    late = await world.execute(insert, (wu, "深圳市<南山>区某党委 & 其他", "2026-10-25", None))
    await world.execute(insert, (zheng, "杭州市某党委", "2026-10-01", "2026-10-20"))
    assert (await run_scan(world.services)).counts == {}              # 29 days on 11-23: not yet
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=SH))                 # 30 days without 回执
    assert (await run_scan(world.services)).counts == {"transfer_no_receipt": 1}
    m = await member_repo.get(world.db, wu)
    assert [s.value for s in m.special_statuses] == ["pocket"]
    assert (await member_repo.get(world.db, zheng)).special_statuses == []
    [msg] = await world.outbox("kind = 'transfer_no_receipt'")
    assert msg["ref"] == f"transfer:{late}"
    assert "深圳市&lt;南山&gt;区某党委 &amp; 其他" in payload(msg)["text"]     # user text escaped for HTML
    clock.advance(days=3)
    assert (await run_scan(world.services)).counts == {}
    assert await world.db.verify_audit() == []


async def test_idle_case_reminded_once_per_period(world, clock):
    qian = await world.add_member("钱XX", date(2026, 11, 1))
    case = await world.execute("INSERT INTO cases (member_id, opened_on, state, created_at)"
                               " VALUES (?, '2026-11-01', 'searching', '2026-11-01T00:00:00+00:00')", (qian,))
    await world.execute("INSERT INTO search_attempts (case_id, member_id, on_date, method, contacted, narrative,"
                        " result, recorded_by, created_at) VALUES (?, ?, '2026-11-10', 'police_registry',"
                        " '户籍民警金XX', '到派出所查询户籍信息', 'not_reached', 'test', '2026-11-10T00:00:00+00:00')",
                        (case, qian))
    await keep_in_touch(world, date(2026, 12, 20))
    seen = []
    for _ in range(40):
        report = await run_scan(world.services)
        if report.counts.get("case_idle"):
            seen.append(world.clock.today())
        world.clock.advance(days=1)
    # last attempt 11-10: idle from 11-24, then every 14 days
    assert seen == [date(2026, 11, 24), date(2026, 12, 8), date(2026, 12, 22)]


async def test_removal_under_2019_rule_and_not_under_2016(world, clock):
    chu = await world.add_member("褚XX", date(2023, 6, 1))
    await world.execute("INSERT INTO contact_levels (member_id, level, since) VALUES (?, 2, '2023-12-02')", (chu,))
    await world.execute("INSERT INTO cases (member_id, opened_on, state, outcome, suspended_since, created_at)"
                        " VALUES (?, '2024-01-01', 'approved', 'suspended_unreachable', '2024-12-20', 'x')", (chu,))
    clock.set(datetime(2026, 11, 19, 9, 0, tzinfo=SH))
    assert (await run_scan(world.services)).counts == {}
    clock.set(datetime(2026, 11, 20, 9, 0, tzinfo=SH))                 # 30 days before 2026-12-20
    assert (await run_scan(world.services)).counts == {"removal_ahead": 1}
    await keep_in_touch(world, date(2026, 12, 19))
    clock.set(datetime(2026, 12, 20, 9, 0, tzinfo=SH))
    assert (await run_scan(world.services)).counts == {"removal_due": 1}
    clock.advance(days=1)
    assert (await run_scan(world.services)).counts == {}
    async with world.db.write("test") as tx:
        from bot.storage import orgs as org_repo
        await org_repo.set_settings(tx, world.committee, {"policy": PolicyVersion.CAMPAIGN_2016.value})
    await world.execute("DELETE FROM reminder_marks")
    assert (await run_scan(world.services)).counts == {}                 # the 2016 rule has no such step


def test_deadline_lead_is_the_nearest_reached():
    due = date(2027, 3, 31)
    assert lead_due(due, date(2027, 3, 23), (7, 1)) is None
    assert lead_due(due, date(2027, 3, 24), (7, 1)) == 7
    assert lead_due(due, date(2027, 3, 30), (7, 1)) == 1
    assert lead_due(due, date(2027, 3, 31), (7, 1)) == 1     # on the day: the missed 1-day reminder, late
    assert lead_due(due, date(2027, 3, 31), (7, 1, 0)) == 0
    assert lead_due(due, date(2027, 4, 1), (7, 1, 0)) is None


async def test_deadline_reminders_and_catch_up(world, clock):
    check = await set_deadline(world.services, OPERATOR, world.branch, "central_check", "完成集中排查",
                               date(2026, 12, 1), responsible=OFFICER_TG)
    await set_deadline(world.services, OPERATOR, world.branch, "dispose", "规范处置", date(2026, 12, 31))
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=SH))
    assert (await run_scan(world.services)).counts == {"deadline": 1}
    [msg] = await world.outbox("kind = 'deadline'")
    assert msg["chat_id"] == OFFICER_TG and "Central check: 完成集中排查, due 2026-12-01 (in 7 days)" in payload(msg)["text"]
    assert msg["ref"] == f"deadline:{check}"
    # Down from 12-22 to 12-31: only the 1-day reminder of the second deadline, not the 7-day one too.
    await keep_in_touch(world, date(2026, 12, 28))
    clock.set(datetime(2026, 12, 30, 9, 0, tzinfo=SH))
    assert (await run_scan(world.services)).counts == {"deadline": 1}
    last = (await world.outbox("kind = 'deadline'"))[-1]
    assert last["chat_id"] == SECRETARY_TG and "规范处置：规范处置，截止 2026-12-31（还有1天）" in payload(last)["text"]


async def test_dry_run_writes_nothing_and_predicts_the_run(world):
    await world.add_member("王XX", date(2026, 10, 1), tg=2001)
    await world.add_member("赵XX", date(2026, 3, 1))
    tables = ("outbox", "cases", "audit_log", "reminder_marks", "job_runs")

    async def snapshot():
        counts = [(await world.db.fetchone(f"SELECT COUNT(*) FROM {t}"))[0] for t in tables]
        levels = await world.db.fetchall("SELECT member_id, level, since FROM contact_levels ORDER BY 1")
        return counts, [tuple(r) for r in levels]

    before = await snapshot()
    flags = []
    dry = await run_scan(world.services, dry_run=True, sink=flags.append)
    assert await snapshot() == before
    assert sorted(f.kind for f in flags) == ["lost", "out_of_control"]
    real = await run_scan(world.services)
    assert (real.counts, real.messages) == (dry.counts, dry.messages)


async def test_a_dry_run_without_a_sink_counts_the_messages_the_run_queues(world):
    """Without a sink the scan leaves a chunk's outbox rows for its COMMIT (Tx.at_commit); a dry run is never
    committed, so it must queue them in its transaction: both report the messages the outbox receives."""
    await world.add_member("王XX", date(2026, 10, 1), tg=2001)
    await world.add_member("赵XX", date(2026, 3, 1))
    await world.add_member("钱XX", date(2026, 9, 15), tg=2002)
    dry = await run_scan(world.services, dry_run=True)
    assert (await world.db.fetchone("SELECT COUNT(*) FROM outbox"))[0] == 0
    real = await run_scan(world.services)
    queued = (await world.db.fetchone("SELECT COUNT(*) FROM outbox"))[0]
    assert queued == 4              # the 失联 list, the 失控 list, two check-ins
    assert (dry.counts, dry.messages) == (real.counts, real.messages) == ({"lost": 1, "out_of_control": 2}, queued)


async def test_the_report_path_queues_exactly_what_the_fast_path_queues(tmp_path, clock):
    """With a sink (the CLI's report) each line is built with its flag; without one (the scheduler) a
    branch's lines are rendered in one go: both must queue the same messages, word for word."""
    from bot.clock import FrozenClock
    from bot.services.context import Services
    from bot.storage import Database
    from conftest import AUDIT_KEY

    async def queued(with_sink: bool) -> list[tuple]:
        own = FrozenClock(clock.now())
        db = Database(tmp_path / f"sink-{with_sink}.db", AUDIT_KEY, own)
        await db.open()
        try:
            w = await build_world(db, own)
            await w.add_member("王XX", date(2026, 10, 1), tg=2001, lang="zh-hans")
            await w.add_member("<b>赵</b> & co", date(2026, 3, 1))
            await w.add_member("钱XX", None)
            await w.add_member("孙XX", date(2026, 9, 20), tg=2002, lang="en", flow_officer=w.officer)
            async with db.write("test") as tx:     # the officer is bound (English): told directly
                await tx.execute("UPDATE users SET member_id = ?, lang_code = 'en' WHERE tg_id = ?",
                                 (w.officer, OFFICER_TG))
            async with db.write("test") as tx:     # 钱XX was entered long ago: no contact on record
                await tx.execute("UPDATE members SET created_at = '2025-01-01T00:00:00+00:00' WHERE name = '钱XX'")
            flags: list = []
            await run_scan(Services(db, own), sink=flags.append if with_sink else None)
            assert bool(flags) == with_sink
            rows = await db.fetchall("SELECT key, chat_id, kind, payload, ref FROM outbox ORDER BY id")
            return [tuple(r) for r in rows]
        finally:
            await db.close()

    fast, reported = await queued(False), await queued(True)
    assert {r[2] for r in fast} >= {"lost", "out_of_control", "check_in"}
    assert fast == reported


async def test_member_names_are_escaped(world):
    await world.add_member("<b>王</b> & co", date(2026, 10, 1), tg=2001)
    await run_scan(world.services)
    [msg] = await world.outbox("kind = 'out_of_control'")
    assert "&lt;b&gt;王&lt;/b&gt; &amp; co" in payload(msg)["text"]
    assert "<b>" not in payload(msg)["text"]


async def test_settings_within_bounds_by_the_secretary_only(world, clock):
    secretary = Actor(label="tg:1001", tg_id=SECRETARY_TG, roles=[(Role.SECRETARY, world.branch)])
    stranger = Actor(label="tg:9", tg_id=9)
    with pytest.raises(PermissionDenied):
        await change_reminder_setting(world.services, stranger, world.branch, "scan_time", "08:00")
    for key, value in (("scan_time", "03:00"), ("scan_time", "25:00"), ("out_of_control_months", "0"),
                       ("receipt_days", "1000"), ("lost_months", "1"), ("policy", "2016")):
        with pytest.raises(DomainError):
            await change_reminder_setting(world.services, secretary, world.branch, key, value)
    conf = await change_reminder_setting(world.services, secretary, world.branch, "out_of_control_months", "2")
    assert conf.out_of_control_months == 2 and conf.lost_months == 6
    assert (await effective_settings(world.db, world.branch)).out_of_control_months == 2
    await world.add_member("王XX", date(2026, 10, 1))
    assert (await run_scan(world.services)).counts == {}                 # 53 days: within two months now
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=SH))
    assert (await run_scan(world.services)).counts == {"out_of_control": 1}     # Oct 1 + 2 months < Dec 2


async def test_check_in_only_by_that_member(world):
    wang = await world.add_member("王XX", date(2026, 3, 1), tg=2001)
    await run_scan(world.services)                                        # 失联: a case is opened
    other = Actor(label="tg:2002", tg_id=2002, member_id=world.officer)
    with pytest.raises(PermissionDenied):
        await check_in(world.services, other, wang)
    me = Actor(label="tg:2001", tg_id=2001, member_id=wang)
    result = await check_in(world.services, me, wang)
    assert result.case_open and result.name == "王XX"
    row = await member_repo.get_row(world.db, wang)
    assert (row["contact_level"], row["last_contact_on"]) == (0, "2026-11-23")
    [notice] = await world.outbox("kind = 'checked_in'")
    assert notice["chat_id"] == SECRETARY_TG and "王XX" in payload(notice)["text"]


async def test_weekly_digest_for_secretary_and_committee(world):
    await world.add_member("王XX", date(2026, 10, 1))
    await world.add_member("赵XX", date(2026, 3, 1))
    await run_scan(world.services)
    assert await run_digest(world.services) == 2
    assert await run_digest(world.services) == 0                          # once a week
    [sec] = await world.outbox("kind = 'digest' AND chat_id = ?", (SECRETARY_TG,))
    text = payload(sec)["text"]
    assert "正常联系：2人" in text and "失控（超过一个月未联系）：1人" in text and "失联（超过六个月未联系）：1人" in text
    assert "赵XX：失联" in text and "王XX：超过一个月未联系" in text
    [com] = await world.outbox("kind = 'digest' AND chat_id = ?", (COMMITTEE_TG,))
    assert "创意园党支部：正常2人，失控1人，失联1人，本周新增2人" in payload(com)["text"]


async def test_cli_scan_json_dry_run(world, tmp_path, monkeypatch, capsys, db):
    from bot import cli
    from tests.conftest import AUDIT_KEY

    await world.add_member("王XX", date(2026, 10, 1), tg=2001)
    await world.add_member("赵XX", date(2026, 3, 1))
    monkeypatch.setenv("BRANCHBOT_AUDIT_KEY", AUDIT_KEY.decode())
    code = await _run_cli(cli, ["--db", str(db.path), "scan", "--now", "2026-11-23 09:00", "--dry-run", "--json"])
    assert code == 0
    objects = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_name = {o["name"]: o for o in objects}
    assert by_name["王XX"]["level"] == "out_of_control" and by_name["王XX"]["days_since_contact"] == 53
    assert {r["kind"] for r in by_name["王XX"]["reminders"]} == {"out_of_control", "check_in"}
    assert by_name["赵XX"]["level"] == "lost" and by_name["赵XX"]["reminders"][0]["chat_id"] == SECRETARY_TG
    assert (await world.db.fetchone("SELECT COUNT(*) FROM outbox"))[0] == 0


async def _run_cli(cli, argv):
    import asyncio

    return await asyncio.to_thread(cli.main, argv)


def test_add_months_sanity():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


async def test_checks_list_each_item_in_each_recipients_language_with_names_escaped(world):
    """A branch with two secretaries (Chinese, English) gets each idle case, transfer and flow member in
    each one's language; a flow member whose officer is bound goes to the officer alone."""
    from bot.storage import users as user_repo
    async with world.db.write("test") as tx:
        await user_repo.grant(tx, 1003, Role.SECRETARY, world.branch)
        await tx.execute("UPDATE users SET lang_code = 'en' WHERE tg_id = 1003")
        await tx.execute("UPDATE users SET member_id = NULL WHERE tg_id = ?", (OFFICER_TG,))    # not bound yet
    await world.add_member("<钱> & 孙", date(2026, 10, 30), flow_officer=world.officer)     # 24 days
    zhou = await world.add_member("周&XX", date(2026, 11, 20))
    await world.execute("INSERT INTO cases (member_id, opened_on, state, created_at)"
                        " VALUES (?, '2026-11-01', 'searching', '2026-11-01T00:00:00+00:00')", (zhou,))
    wu = await world.add_member("吴XX", date(2026, 11, 20))
    await world.execute("INSERT INTO transfers (member_id, kind, to_org, destination, phone, backup_name,"
                        " backup_phone, sent_on, receipt_on, created_at) VALUES (?, 'permanent', '<某>党委', '深圳',"
                        " '13900000000', '王XX', '13900000001', '2026-10-01', NULL, '2026-10-01T00:00:00+00:00')", (wu,))
    report = await run_scan(world.services)
    assert report.counts == {"flow_contact": 1, "case_idle": 1, "transfer_no_receipt": 1}
    text = {(r["chat_id"], r["kind"]): payload(r)["text"] for r in await world.outbox()}
    assert "&lt;钱&gt; &amp; 孙：最近一次联系 2026-10-30（24天前）" in text[(SECRETARY_TG, "flow_contact")]
    assert "&lt;钱&gt; &amp; 孙: last contact 2026-10-30 (24 days ago)" in text[(1003, "flow_contact")]
    assert "周&amp;XX：2026-11-01开始查找，尚无查找记录" in text[(SECRETARY_TG, "case_idle")]
    assert "周&amp;XX: case opened 2026-11-01, no search attempt yet" in text[(1003, "case_idle")]
    assert "&lt;某&gt;党委" in text[(SECRETARY_TG, "transfer_no_receipt")]
    assert "transferred to &lt;某&gt;党委 on 2026-10-01" in text[(1003, "transfer_no_receipt")]
    # Next month the officer is bound (English): the flow member is listed to the officer only.
    async with world.db.write("test") as tx:
        await tx.execute("UPDATE users SET member_id = ? WHERE tg_id = ?", (world.officer, OFFICER_TG))
    world.clock.set(datetime(2026, 12, 21, 9, 0, tzinfo=SH))
    await world.contact(zhou, date(2026, 12, 20))
    await run_scan(world.services)
    [to_officer] = await world.outbox("kind = 'flow_contact' AND created_at >= '2026-12-21'")
    assert to_officer["chat_id"] == OFFICER_TG
    assert "&lt;钱&gt; &amp; 孙: last contact 2026-10-30 (52 days ago)" in payload(to_officer)["text"]


async def test_mark_pocket_adds_the_status_once_and_names_only_the_members_it_marked(world):
    from bot.domain.codes import SpecialStatus
    plain, already, religious = [await world.add_member(n) for n in ("郑XX", "冯XX", "褚XX")]
    async with world.db.write("test") as tx:
        await scan_repo.mark_pocket(tx, [already], SpecialStatus.POCKET.value)
        await tx.execute("UPDATE members SET record = json_set(record, '$.special_statuses', json('[\"religious\"]'))"
                         " WHERE id = ?", (religious,))
    async with world.db.write("test") as tx:
        marked = await scan_repo.mark_pocket(tx, [religious, plain, already], SpecialStatus.POCKET.value)
        assert await scan_repo.mark_pocket(tx, [], SpecialStatus.POCKET.value) == []
    assert marked == sorted([plain, religious])
    statuses = {mid: [s.value for s in (await member_repo.get(world.db, mid)).special_statuses]
                for mid in (plain, already, religious)}
    assert statuses == {plain: ["pocket"], already: ["pocket"], religious: ["religious", "pocket"]}


async def test_the_cyclic_collector_is_paused_from_the_scans_first_read_to_its_end(world, monkeypatch):
    """bot.services.scan.gc_pause: the startup reads (every node's settings, contacts and window state:
    thousands of rows) ran with the collector on, and a full collection of what the last scan left took
    a tenth of a daily scan there (34 ms of window_states' 37, measured on the 1M register bench)."""
    import gc

    from bot.services.scan import run as scan_run
    seen: list[bool] = []
    settings, states = scan_run.all_effective_settings, scan_repo.window_states

    async def settings_read(*args, **kwargs):
        seen.append(gc.isenabled())
        return await settings(*args, **kwargs)

    async def states_read(*args, **kwargs):
        seen.append(gc.isenabled())
        return await states(*args, **kwargs)

    monkeypatch.setattr(scan_run, "all_effective_settings", settings_read)
    monkeypatch.setattr(scan_repo, "window_states", states_read)
    assert gc.isenabled()
    await world.add_member("赵XX", date(2026, 3, 1))
    assert (await run_scan(world.services)).counts == {"lost": 1}
    assert seen == [False, False] and gc.isenabled()


async def test_a_scans_runs_and_window_states_are_written_one_row_per_node_in_one_statement_each(db):
    """scan_repo.runs_statement / states_statement: every node's row from one JSON value (a scan covers
    thousands of nodes); a group's state is stored as its JSON text, the same text for each node in it,
    and a later run overwrites both."""
    first, later = datetime(2026, 11, 23, 1, tzinfo=ZoneInfo("UTC")), datetime(2026, 11, 24, 1, tzinfo=ZoneInfo("UTC"))
    states = [(["1", "2"], {"2": ["2026-05-24", "i2"], "1": ["2026-10-24", "i1"]}), (["3"], {"1": ["2026-10-20", "j"]})]
    async with db.write("test") as tx:
        await tx.execute_all([scan_repo.runs_statement("scan", ["1", "2", "3"], first),
                              scan_repo.states_statement("scan_window", states, first)])
    async with db.write("test") as tx:
        await tx.execute_all([scan_repo.runs_statement("scan", ["2"], later),
                              scan_repo.states_statement("scan_window", [(["2"], {"1": ["x", "y"]})], later)])
    rows = [tuple(r) for r in await db.fetchall("SELECT job, scope, last_run, state FROM job_runs"
                                                " WHERE job IN ('scan', 'scan_window') ORDER BY job, scope")]
    t1, t2 = "2026-11-23T01:00:00.000000+00:00", "2026-11-24T01:00:00.000000+00:00"
    assert rows == [
        ("scan", "1", t1, None), ("scan", "2", t2, None), ("scan", "3", t1, None),
        ("scan_window", "1", t1, '{"1": ["2026-10-24", "i1"], "2": ["2026-05-24", "i2"]}'),
        ("scan_window", "2", t2, '{"1": ["x", "y"]}'),
        ("scan_window", "3", t1, '{"1": ["2026-10-20", "j"]}'),
    ]
    assert await scan_repo.window_states(db, "scan_window") == {
        "1": (t1, '{"1": ["2026-10-24", "i1"], "2": ["2026-05-24", "i2"]}'), "2": (t2, '{"1": ["x", "y"]}'),
        "3": (t1, '{"1": ["2026-10-20", "j"]}')}
