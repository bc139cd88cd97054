"""A member's own status reports: 王XX left the 创意园 for 深圳, came back, moved, changed his phone …"""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.domain.codes import ContactKind, OrgCategory, OrgLevel, OutflowReason, OutflowType, ReportKind, Role
from bot.domain.errors import DomainError, PermissionDenied
from bot.domain.member import FlowInfo, Member
from bot.domain.org import Organization
from bot.services.status_reports import use_cases as reports
from bot.services.context import OPERATOR, Actor, Services, actor_for
from bot.services.status_reports.pledge import render_pledge
from bot.i18n import translator
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from bot.storage import users as user_repo

SECRETARY_TG = 1001
ORGANIZER_TG = 1002
OFFICER_TG = 1003        # 李XX, the 指定专人 for 王XX
WANG_TG = 2001
ZHANG_TG = 2002
WANG_PHONE = "13800138000"


@pytest.fixture
async def branch(db, clock):
    """创意园党支部: secretary 陈XX (zh), organizer (en), officer 李XX, members 王XX and 张XX."""
    async with db.write("cli:test") as tx:
        bid = await org_repo.add(tx, Organization(name="创意园党支部", level=OrgLevel.BRANCH,
                                                  category=OrgCategory.PRIVATE, card_note="支部微信群：创意园党员之家"))
        chen = await member_repo.insert(tx, Member(branch_id=bid, name="陈XX", mobile="13900139000"))
        li = await member_repo.insert(tx, Member(branch_id=bid, name="李XX", mobile="13700137000"))
        wang = await member_repo.insert(
            tx, Member(branch_id=bid, name="王XX", mobile=WANG_PHONE, residence="创意园宿舍3栋",
                       work_unit="创意园某科技公司", flow=FlowInfo(left_on=date(2026, 1, 5), destination="西安",
                                                                 officer_member_id=None)),
            last_contact_on=date(2026, 6, 1))
        zhang = await member_repo.insert(tx, Member(branch_id=bid, name="张XX"))
        for tg, mid in ((SECRETARY_TG, chen), (OFFICER_TG, li), (WANG_TG, wang), (ZHANG_TG, zhang)):
            await user_repo.ensure_user(tx, tg)
            await tx.execute("UPDATE users SET member_id = ? WHERE tg_id = ?", (mid, tg))
        await user_repo.grant(tx, SECRETARY_TG, Role.SECRETARY, bid)
        await user_repo.grant(tx, ORGANIZER_TG, Role.ORGANIZER, bid)
        await user_repo.set_locale(tx, ORGANIZER_TG, "en")
        await user_repo.seen(tx, SECRETARY_TG, "zh-hans")
        # 李XX is the 指定专人 responsible for 王XX.
        m = await member_repo.get_in(tx, wang)
        await member_repo.update(tx, m.model_copy(update={"flow": m.flow.model_copy(update={"officer_member_id": li})}))
    return {"branch": bid, "wang": wang, "zhang": zhang, "li": li, "chen": chen}


@pytest.fixture
def svc(db, clock):
    return Services(db, clock)


async def wang_actor(db) -> Actor:
    return await actor_for(db, WANG_TG)


async def outbox_rows(db, report_id):
    rows = await db.fetchall("SELECT key, chat_id, kind, payload FROM outbox WHERE key LIKE ? ORDER BY chat_id",
                             (f"report:{report_id}:%",))
    return {r["chat_id"]: json.loads(r["payload"])["text"] for r in rows}


async def audit_rows(db, entity=None):
    sql = "SELECT entity, entity_id, action, before, after FROM audit_log"
    rows = await db.fetchall(sql + (" WHERE entity = ?" if entity else "") + " ORDER BY id", (entity,) if entity else ())
    return rows


async def test_outflow_fills_the_flow_block_and_tells_secretary_and_officer(db, svc, branch):
    actor = await wang_actor(db)
    result = await reports.report_outflow(
        svc, actor, left_on=date(2026, 11, 20), destination="广东省深圳市南山区", outflow_type=OutflowType.OUT_OF_PROVINCE,
        outflow_reason=OutflowReason.WORK, expected_return=date(2027, 2, 1), contact="深圳某公司党支部 刘XX 13612345678",
        pledge_accepted=True)
    member = await member_repo.get(db, branch["wang"])
    assert member.flow is not None and member.flow.destination == "广东省深圳市南山区"
    assert member.flow.left_on == date(2026, 11, 20)
    assert member.flow.outflow_type is OutflowType.OUT_OF_PROVINCE
    assert member.flow.outflow_reason is OutflowReason.WORK
    assert member.flow.expected_return == date(2027, 2, 1)
    assert member.flow.inflow_contact == "深圳某公司党支部 刘XX 13612345678"
    assert member.flow.officer_member_id == branch["li"], "the 指定专人 survives a new outflow"
    row = await member_repo.get_row(db, branch["wang"])
    assert row["is_flow"] == 1 and row["last_contact_on"] == "2026-11-23"

    report = await db.fetchone("SELECT kind, on_date, details FROM status_reports WHERE id = ?", (result.report_id,))
    assert report["kind"] == "outflow" and report["on_date"] == "2026-11-20"
    details = json.loads(report["details"])
    assert details["pledge"]["accepted"] is True
    assert details["previous_flow"]["destination"] == "西安"
    event = await db.fetchone("SELECT kind, on_date, recorded_by FROM contact_events WHERE member_id = ?",
                              (branch["wang"],))
    assert (event["kind"], event["on_date"], event["recorded_by"]) == ("self_report", "2026-11-23", f"tg:{WANG_TG}")

    notices = await outbox_rows(db, result.report_id)
    assert set(notices) == {SECRETARY_TG, ORGANIZER_TG, OFFICER_TG} == set(result.notified)
    assert "王XX" in notices[SECRETARY_TG] and "深圳" in notices[SECRETARY_TG]
    assert "reported" in notices[ORGANIZER_TG], "the organizer reads English"
    assert "报告" in notices[SECRETARY_TG], "the secretary reads Chinese"
    assert await db.verify_audit() == []
    actions = [(r["entity"], r["action"]) for r in await audit_rows(db) if r["entity"] != "org"]
    assert ("status_report", "create") in actions and ("member", "report:outflow") in actions
    assert ("contact_event", "create") in actions


async def test_outflow_needs_the_pledge_and_sane_dates(db, svc, branch):
    actor = await wang_actor(db)
    kwargs = dict(destination="深圳", outflow_type="out_of_province", outflow_reason="work", contact="刘XX")
    with pytest.raises(DomainError) as err:
        await reports.report_outflow(svc, actor, left_on=date(2026, 11, 20), expected_return=None,
                                     pledge_accepted=False, **kwargs)
    assert err.value.field == "pledge"
    with pytest.raises(DomainError):
        await reports.report_outflow(svc, actor, left_on=date(2026, 12, 1), expected_return=None,
                                     pledge_accepted=True, **kwargs)
    with pytest.raises(DomainError) as err:
        await reports.report_outflow(svc, actor, left_on=date(2026, 11, 20), expected_return=date(2026, 11, 1),
                                     pledge_accepted=True, **kwargs)
    assert err.value.field == "expected_return"
    assert (await db.fetchone("SELECT COUNT(*) FROM status_reports"))[0] == 0
    assert (await db.fetchone("SELECT COUNT(*) FROM outbox"))[0] == 0


async def test_returned_clears_the_flow_block_and_keeps_history(db, svc, branch):
    actor = await wang_actor(db)
    result = await reports.report_returned(svc, actor, returned_on=date(2026, 11, 22))
    member = await member_repo.get(db, branch["wang"])
    assert member.flow is None
    row = await member_repo.get_row(db, branch["wang"])
    assert row["is_flow"] == 0 and row["officer_id"] is None
    details = json.loads((await db.fetchone("SELECT details FROM status_reports WHERE id = ?",
                                            (result.report_id,)))[0])
    assert details["flow"]["destination"] == "西安" and details["returned_on"] == "2026-11-22"
    # the officer responsible while he was away is told, though no longer on the record
    assert OFFICER_TG in await outbox_rows(db, result.report_id)


async def test_moved_and_work_unit_update_the_record(db, svc, branch):
    actor = await wang_actor(db)
    moved = await reports.report_moved(svc, actor, residence="  深圳市南山区\n某小区 5栋\x00 ")
    unit = await reports.report_work_unit(svc, actor, work_unit="深圳某电子厂 技术员")
    member = await member_repo.get(db, branch["wang"])
    assert member.residence == "深圳市南山区 某小区 5栋"
    assert member.work_unit == "深圳某电子厂 技术员"
    assert json.loads((await db.fetchone("SELECT details FROM status_reports WHERE id = ?",
                                         (moved.report_id,)))[0])["previous"] == "创意园宿舍3栋"
    assert set(await outbox_rows(db, unit.report_id)) == {SECRETARY_TG, ORGANIZER_TG, OFFICER_TG}
    events = await db.fetchall("SELECT kind FROM contact_events WHERE member_id = ?", (branch["wang"],))
    assert [e[0] for e in events] == ["self_report", "self_report"]
    with pytest.raises(DomainError) as err:
        await reports.report_moved(svc, actor, residence="深" * 201)
    assert err.value.params["max"] == 200
    with pytest.raises(DomainError):
        await reports.report_work_unit(svc, actor, work_unit=" \x01\x02 ")


async def test_phone_typed_is_validated_and_never_audited_raw(db, svc, branch):
    actor = await wang_actor(db)
    with pytest.raises(DomainError):
        await reports.report_phone(svc, actor, phone="12345")
    result = await reports.report_phone(svc, actor, phone="+86 139-1234-5678")
    assert (await member_repo.get(db, branch["wang"])).mobile == "13912345678"
    details = json.loads((await db.fetchone("SELECT details FROM status_reports WHERE id = ?",
                                            (result.report_id,)))[0])
    assert details["mobile"] == "139****5678" and details["source"] == "typed"
    for r in await audit_rows(db):
        for blob in (r["before"], r["after"]):
            assert "13912345678" not in (blob or "") and WANG_PHONE not in (blob or "")
    # the secretary needs the full number to call him
    assert "13912345678" in (await outbox_rows(db, result.report_id))[SECRETARY_TG]


async def test_shared_contact_must_be_the_senders_own(db, svc, branch):
    actor = await wang_actor(db)
    with pytest.raises(PermissionDenied):
        await reports.report_phone(svc, actor, phone="13912345678", shared=True, contact_user_id=ZHANG_TG)
    with pytest.raises(PermissionDenied):
        await reports.report_phone(svc, actor, phone="13912345678", shared=True, contact_user_id=None)
    assert (await member_repo.get(db, branch["wang"])).mobile == WANG_PHONE
    result = await reports.report_phone(svc, actor, phone="8613912345678", shared=True, contact_user_id=WANG_TG)
    assert (await member_repo.get(db, branch["wang"])).mobile == "13912345678"
    assert result.details["source"] == "shared_contact"


async def test_abroad_with_a_request_to_keep_the_relationship(db, svc, branch, clock):
    actor = await wang_actor(db)
    result = await reports.report_abroad(svc, actor, left_on=date(2026, 11, 23), destination="新加坡",
                                         purpose="labour", reason="外派劳务两年", expected_return=date(2028, 11, 1),
                                         keep_relationship=True)
    member = await member_repo.get(db, branch["wang"])
    assert member.flow.outflow_type is OutflowType.ABROAD and member.flow.destination == "新加坡"
    assert result.details["keep_relationship_requested"] is True
    secretary = await actor_for(db, SECRETARY_TG)
    pending = await reports.pending_relationship_requests(svc, secretary, branch["branch"])
    assert [p["member_id"] for p in pending] == [branch["wang"]]
    assert "保留组织关系" in (await outbox_rows(db, result.report_id))[SECRETARY_TG]
    with pytest.raises(PermissionDenied):
        await reports.pending_relationship_requests(svc, actor, branch["branch"])
    # once back, the request is no longer pending
    await reports.report_returned(svc, actor)
    assert await reports.pending_relationship_requests(svc, secretary, branch["branch"]) == []
    with pytest.raises(DomainError):
        await reports.report_abroad(svc, actor, left_on=date(2026, 11, 23), destination="日本", purpose="other",
                                    reason="探亲", keep_relationship=True)


async def test_check_in_and_correction(db, svc, branch):
    actor = await wang_actor(db)
    result = await reports.check_in(svc, actor)
    event = await db.fetchone("SELECT kind FROM contact_events WHERE member_id = ?", (branch["wang"],))
    assert event[0] == ContactKind.CHECK_IN.value and result.kind is ReportKind.CHECK_IN
    assert (await member_repo.get_row(db, branch["wang"]))["last_contact_on"] == "2026-11-23"
    before = (await member_repo.get_row(db, branch["wang"]))["record"]
    corr = await reports.report_correction(svc, actor, text="我的入党日期应为2005年7月1日 <b>请核对</b>")
    assert (await member_repo.get_row(db, branch["wang"]))["record"] == before, "a correction changes nothing itself"
    notice = (await outbox_rows(db, corr.report_id))[SECRETARY_TG]
    assert "&lt;b&gt;请核对&lt;/b&gt;" in notice and "<b>请核对" not in notice
    with pytest.raises(DomainError):
        await reports.report_correction(svc, actor, text="x" * 501)


async def test_a_member_cannot_report_for_another(db, svc, branch):
    actor = await wang_actor(db)
    with pytest.raises(PermissionDenied):
        await reports.check_in(svc, actor, member_id=branch["zhang"])
    with pytest.raises(PermissionDenied):
        await reports.report_moved(svc, actor, residence="北京", member_id=branch["zhang"])
    # a forged actor (claims 张XX's member id with 王XX's Telegram id) is refused too
    forged = Actor(label=f"tg:{WANG_TG}", tg_id=WANG_TG, member_id=branch["zhang"])
    with pytest.raises(PermissionDenied):
        await reports.check_in(svc, forged)
    stranger = await actor_for(db, 9999)
    with pytest.raises(PermissionDenied):
        await reports.check_in(svc, stranger)
    assert (await db.fetchone("SELECT COUNT(*) FROM status_reports"))[0] == 0
    assert (await db.fetchone("SELECT COUNT(*) FROM contact_events"))[0] == 0
    # the operator (CLI) may record a report on a member's behalf
    done = await reports.check_in(svc, OPERATOR, member_id=branch["zhang"])
    assert done.member_id == branch["zhang"]


async def test_the_reporting_officer_is_not_told_about_themself(db, svc, branch):
    secretary = await actor_for(db, SECRETARY_TG)
    result = await reports.check_in(svc, secretary)
    assert SECRETARY_TG not in await outbox_rows(db, result.report_id)
    assert ORGANIZER_TG in result.notified


async def test_pledge_is_localized():
    assert "承诺" in render_pledge(translator("zh_CN"))
    assert "Pledge" in render_pledge(translator("en"))


async def test_a_report_reads_its_recipients_with_the_member_and_queues_their_notices_with_the_commit(db, svc, branch, trips):
    """Secretary, organizer, then the 指定专人, each in their language; one who blocked the bot is left out.
    The report's transaction: the member and who is told (with BEGIN, one hop), the report and its
    contact (one hop), then the notices, the audit rows and COMMIT together: three hops, whatever the
    number of recipients (it was fifteen with these three)."""
    wang = await wang_actor(db)
    trips.clear()       # the fixture counted the world's setup and wang_actor's reads
    result = await reports.check_in(svc, wang)
    assert trips == ["_begin_then", "_script_in_thread", "_audit_in_thread"], trips
    assert result.notified == [SECRETARY_TG, ORGANIZER_TG, OFFICER_TG]
    notices = await outbox_rows(db, result.report_id)
    assert notices[ORGANIZER_TG] == "✅ 王XX checked in: all is well."
    assert notices[SECRETARY_TG] == notices[OFFICER_TG] == "✅ 王XX 报平安：一切安好。"
    event = await db.fetchone("SELECT note FROM contact_events WHERE member_id = ? ORDER BY id DESC",
                              (branch["wang"],))
    assert event["note"] == f"status_report:{result.report_id}"
    actions = [(r["entity"], r["action"]) for r in await audit_rows(db)][-2:]
    assert actions == [("status_report", "create"), ("contact_event", "create")]

    async with db.write("cli:test") as tx:
        await tx.execute("UPDATE users SET blocked_at = ? WHERE tg_id = ?", (tx.now_iso, ORGANIZER_TG))
    again = await reports.check_in(svc, wang)
    assert again.notified == [SECRETARY_TG, OFFICER_TG]
    assert set(await outbox_rows(db, again.report_id)) == {SECRETARY_TG, OFFICER_TG}
    assert await db.verify_audit() == []
