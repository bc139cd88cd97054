"""Every path of the issue's "Done when", through the services on a real SQLite file: reached → 纳入组织管理;
reached with 违纪违法 → 留党察看; unreachable → 自行脱党除名 (2016, full chain); 2019 停止党籍 → restored, and →
removed after two years; abroad for study → 保留组织关系; settled abroad → 停止党籍; 预备党员 → 取消预备党员资格;
a rejection and re-proposal; death."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain import disposition
from bot.domain.codes import Outcome, Role, SearchMethod, SearchResult, SpecialStatus
from bot.domain.errors import DomainError
from bot.services.cases import chain, search_steps, status
from bot.services.cases.queries import approval_queue, case_card, list_cases
from bot.services.context import OPERATOR
from bot.services.status_reports.use_cases import report_abroad
from bot.storage import cases as case_repo
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from tests.cases_world import VOTERS_A, attempt_data, build, search_in_vain


@pytest.fixture
async def w(db, clock):
    return await build(db, clock)


async def set_policy(w, policy: str) -> None:
    async with w.svc.db.write("cli:test") as tx:
        await org_repo.set_settings(tx, w.ids["committee"], {"policy": policy})


async def outbox(w) -> list:
    return await w.svc.db.fetchall("SELECT chat_id, kind, payload FROM outbox ORDER BY id")


async def reach(w, name: str, on: date = date(2026, 11, 20)) -> int:
    logged = await search_steps.attempt(w.svc, w.sec, attempt_data(
        w, name, on, SearchMethod.ONLINE, SearchResult.REACHED, contacted=f"{name}本人",
        narrative=f"通过老乡微信联系上{name}本人，在深圳务工"))
    return logged.case_id


async def pass_meeting(w, case_id: int, entitled: int = VOTERS_A, present: int = 6, for_: int = 5):
    return await chain.resolve(w.svc, w.sec, case_id, entitled, present, for_, "支部党员大会讨论，同意支委会意见")


async def test_reached_then_brought_under_management(w):
    case_id = await reach(w, "王XX")
    case = await case_repo.get(w.svc.db, case_id)
    assert case.state == disposition.REACHED and case.regained_on == date(2026, 11, 20)
    await search_steps.findings(w.svc, w.sec, case_id, "none", "经核实，王XX在外务工期间无不合格表现")
    taken = await chain.propose(w.svc, w.sec, case_id, Outcome.BROUGHT_UNDER_MANAGEMENT,
                                "王XX已取得联系，拟转出组织关系至流入地党组织", variant="transfer_out")
    assert taken.case.state == disposition.PROPOSED and taken.notified == 1
    # The committee user (tg 303, English) is told, with a button opening the case.
    chat, kind, payload = (await outbox(w))[-1]
    body = json.loads(payload)
    assert chat == 303 and kind == "case_step" and "Committee approval" in body["text"]
    assert body["buttons"] == [[{"text": "📂 Open the case", "callback_data": f"k:open:{case_id}"}]]
    queue = await approval_queue(w.svc, w.committee)
    assert [c.case_id for c in queue.items] == [case_id]
    done = await chain.approve(w.svc, w.committee, case_id, "同意纳入组织管理，转出组织关系")
    assert done.case.state == disposition.DECIDED and done.case.outcome is Outcome.BROUGHT_UNDER_MANAGEMENT
    assert done.case.decided_on == date(2026, 11, 23) and done.case.outcome_variant == "transfer_out"
    row = await w.svc.db.fetchone("SELECT state, outcome, decided_on, regained_on, outcome_variant, closed_on"
                                  " FROM cases WHERE id = ?", (case_id,))
    assert tuple(row) == ("decided", "brought_under_management", "2026-11-23", "2026-11-20", "transfer_out",
                          "2026-11-23")
    member = await member_repo.get_row(w.svc.db, w.ids["王XX"])
    assert member["active"] == 1
    # The branch (李XX, Chinese) is told of the decision.
    chat, kind, payload = (await outbox(w))[-1]
    assert chat == 101 and kind == "case_decided" and "纳入组织管理" in json.loads(payload)["text"]
    assert (await approval_queue(w.svc, w.committee)).total == 0


async def test_reached_with_a_violation_then_probation_within_the_party(w):
    case_id = await reach(w, "刘XX")
    await search_steps.findings(w.svc, w.sec, case_id, "violation", "失联期间参与非法集资，受到行政处罚")
    with pytest.raises(DomainError, match="disposition first"):
        await chain.propose(w.svc, w.sec, case_id, Outcome.BROUGHT_UNDER_MANAGEMENT, "拟纳入组织管理")
    await chain.propose(w.svc, w.sec, case_id, Outcome.PROBATION_WITHIN_PARTY, "拟给予留党察看一年处分")
    await chain.review(w.svc, w.committee, case_id, "同意支部意见，提交党员大会讨论")
    met = await pass_meeting(w, case_id)
    assert met.case.state == disposition.RESOLVED
    done = await chain.approve(w.svc, w.committee, case_id, "批准给予刘XX留党察看一年处分")
    assert done.case.state == disposition.DECIDED and done.case.outcome is Outcome.PROBATION_WITHIN_PARTY
    assert (await member_repo.get_row(w.svc.db, w.ids["刘XX"]))["active"] == 1
    steps = await case_repo.steps_of(w.svc.db, case_id)
    assert [s.step for s in steps] == ["reached", "findings", "branch_proposal", "committee_prereview",
                                       "general_meeting", "committee_approval"]
    meeting = steps[4]
    assert meeting.votes == disposition.Votes(8, 6, 5) and meeting.role is Role.SECRETARY and meeting.tg_id == 101
    assert steps[3].role is Role.COMMITTEE and steps[3].org_id == w.ids["committee"]


async def test_unreachable_removed_as_lapsed_with_the_full_chain_under_2016(w):
    await set_policy(w, "2016")
    case_id = await search_in_vain(w, "王XX", times=3)
    await search_steps.unreachable(w.svc, w.sec, case_id, date(2026, 11, 1), "经多方努力确实无法取得联系")
    await search_steps.findings(w.svc, w.sec, case_id, "none", "")
    await chain.propose(w.svc, w.sec, case_id, Outcome.REMOVED_LAPSED,
                        "因通过多方努力联系王XX未果，提出按自行脱党予以除名的初步处理意见")
    await chain.review(w.svc, w.committee, case_id, "同意按自行脱党除名，报组织部预审")
    pre = await chain.review(w.svc, w.dept, case_id, "预审同意")
    assert pre.case.state == disposition.DEPT_PRE_REVIEWED
    await pass_meeting(w, case_id, present=7, for_=7)
    mid = await chain.approve(w.svc, w.committee, case_id, "审核同意，报组织部审批")
    assert mid.case.state == disposition.APPROVED
    assert [c.case_id for c in (await approval_queue(w.svc, w.dept)).items] == [case_id]
    assert (await approval_queue(w.svc, w.committee)).total == 0
    done = await chain.approve(w.svc, w.dept, case_id, "批准按自行脱党予以除名")
    assert done.case.state == disposition.DECIDED and done.case.outcome is Outcome.REMOVED_LAPSED
    row = await member_repo.get_row(w.svc.db, w.ids["王XX"])
    extra = await w.svc.db.fetchone("SELECT removed_on, removal_outcome FROM members WHERE id = ?", (w.ids["王XX"],))
    assert row["active"] == 0 and tuple(extra) == ("2026-11-23", "removed_lapsed")
    steps = await case_repo.steps_of(w.svc.db, case_id)
    chain_rows = [(s.step, s.role, s.decision) for s in steps if s.step in disposition.CHAIN_STEP_NAMES]
    assert chain_rows == [("branch_proposal", Role.SECRETARY, "approve"), ("committee_prereview", Role.COMMITTEE, "approve"),
                          ("dept_prereview", Role.ORG_DEPT, "approve"), ("general_meeting", Role.SECRETARY, "approve"),
                          ("committee_approval", Role.COMMITTEE, "approve"), ("dept_approval", Role.ORG_DEPT, "approve")]
    assert all(s.round == 1 for s in steps if s.step in disposition.CHAIN_STEP_NAMES)
    # Every step is in the audit trail, naming who acted.
    actors = await w.svc.db.fetchall("SELECT actor FROM audit_log WHERE entity = 'case_step' ORDER BY id")
    assert [a[0] for a in actors][-6:] == ["tg:101", "tg:303", "tg:404", "tg:101", "tg:303", "tg:404"]
    assert await w.svc.db.verify_audit() == []


async def test_2019_suspension_then_restored_within_two_years(w):
    case_id = await search_in_vain(w, "王XX")
    await search_steps.unreachable(w.svc, w.sec, case_id)
    await search_steps.findings(w.svc, w.sec, case_id, "none", None)
    with pytest.raises(DomainError, match="suspended first"):
        await chain.propose(w.svc, w.sec, case_id, Outcome.REMOVED_LAPSED, "拟按自行脱党除名")
    await chain.propose(w.svc, w.sec, case_id, Outcome.SUSPENDED_UNREACHABLE, "确实无法取得联系，拟停止其党籍")
    await chain.review(w.svc, w.committee, case_id, "同意")
    await pass_meeting(w, case_id)
    done = await chain.approve(w.svc, w.committee, case_id, "批准停止王XX党籍")
    case = done.case
    assert case.state == disposition.DECIDED and case.suspended_since == date(2026, 11, 23) and case.is_open
    member = await member_repo.get(w.svc.db, w.ids["王XX"])
    assert SpecialStatus.MEMBERSHIP_SUSPENDED in member.special_statuses
    assert (await member_repo.get_row(w.svc.db, w.ids["王XX"]))["active"] == 1
    card = await case_card(w.svc, w.sec, case_id)
    assert card.removal_due_on == date(2028, 11, 23) and card.next_step.name == "restore"
    # A year later 王XX calls the branch.
    w.svc.clock.set(datetime(2027, 11, 30, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    restored = await status.restore(w.svc, w.sec, case_id, date(2027, 11, 28), "王XX主动联系支部，经支部大会讨论恢复党籍")
    assert restored.case.outcome is Outcome.BROUGHT_UNDER_MANAGEMENT and restored.case.restored_on == date(2027, 11, 30)
    assert restored.case.regained_on == date(2027, 11, 28) and not restored.case.is_open
    member = await member_repo.get(w.svc.db, w.ids["王XX"])
    assert SpecialStatus.MEMBERSHIP_SUSPENDED not in member.special_statuses
    row = await member_repo.get_row(w.svc.db, w.ids["王XX"])
    assert row["last_contact_on"] == "2027-11-28" and row["contact_level"] == 0
    with pytest.raises(DomainError):   # restored once: a replay changes nothing
        await status.restore(w.svc, w.sec, case_id, date(2027, 11, 28), "再次恢复")


async def suspend(w, name: str) -> int:
    case_id = await search_in_vain(w, name)
    await search_steps.unreachable(w.svc, w.sec, case_id)
    await search_steps.findings(w.svc, w.sec, case_id, "none", None)
    await chain.propose(w.svc, w.sec, case_id, Outcome.SUSPENDED_UNREACHABLE, "拟停止党籍")
    await chain.review(w.svc, w.committee, case_id, "同意")
    await pass_meeting(w, case_id)
    await chain.approve(w.svc, w.committee, case_id, "批准停止党籍")
    return case_id


async def test_2019_suspension_then_removed_after_two_years(w):
    case_id = await suspend(w, "王XX")
    # 2028-11-22: one day short of two years (suspended 2026-11-23, due 2028-11-23).
    w.svc.clock.set(datetime(2028, 11, 22, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    with pytest.raises(DomainError, match="2028-11-23"):
        await chain.propose(w.svc, w.sec, case_id, Outcome.REMOVED_LAPSED, "停止党籍满两年，拟按自行脱党除名")
    w.svc.clock.set(datetime(2028, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    with pytest.raises(DomainError):   # too late to restore now
        await status.restore(w.svc, w.sec, case_id, date(2028, 11, 23), "恢复")
    await chain.propose(w.svc, w.sec, case_id, Outcome.REMOVED_LAPSED, "停止党籍满两年仍无法取得联系，拟按自行脱党除名")
    await chain.review(w.svc, w.committee, case_id, "同意")
    await chain.review(w.svc, w.dept, case_id, "预审同意")
    # 应到 is now 7: 王XX, under 停止党籍, has no vote.
    with pytest.raises(DomainError):
        await pass_meeting(w, case_id, entitled=8, present=6, for_=6)
    await pass_meeting(w, case_id, entitled=7, present=6, for_=6)
    await chain.approve(w.svc, w.committee, case_id, "审核同意")
    done = await chain.approve(w.svc, w.dept, case_id, "批准除名")
    assert done.case.outcome is Outcome.REMOVED_LAPSED and done.case.decided_on == date(2028, 11, 23)
    assert done.case.suspended_since == date(2026, 11, 23) and not done.case.is_open
    assert (await member_repo.get_row(w.svc.db, w.ids["王XX"]))["active"] == 0
    rounds = [(s.step, s.round) for s in await case_repo.steps_of(w.svc.db, case_id) if s.step == "branch_proposal"]
    assert rounds == [("branch_proposal", 1), ("branch_proposal", 2)]


async def test_abroad_for_study_keeps_the_relationship(w):
    await report_abroad(w.svc, OPERATOR, left_on=date(2026, 9, 1), destination="英国伦敦", purpose="study",
                        reason="攻读硕士学位", keep_relationship=True, member_id=w.ids["吴XX"])
    case_id = await search_steps.open_case(w.svc, w.sec, w.ids["吴XX"])
    await search_steps.attempt(w.svc, w.sec, attempt_data(w, "吴XX", date(2026, 11, 21), SearchMethod.ONLINE,
                                                           SearchResult.REACHED, contacted="吴XX本人"))
    await search_steps.findings(w.svc, w.sec, case_id, "none", "在外留学，表现良好")
    await chain.propose(w.svc, w.sec, case_id, Outcome.RELATIONSHIP_RETAINED, "出国学习，拟保留组织关系")
    await chain.review(w.svc, w.committee, case_id, "同意")
    await pass_meeting(w, case_id)
    done = await chain.approve(w.svc, w.committee, case_id, "批准保留组织关系")
    assert done.case.outcome is Outcome.RELATIONSHIP_RETAINED and not done.case.is_open
    member = await member_repo.get(w.svc.db, w.ids["吴XX"])
    assert SpecialStatus.RELATIONSHIP_RETAINED in member.special_statuses
    assert (await member_repo.get_row(w.svc.db, w.ids["吴XX"]))["active"] == 1
    # Seven months on, the scan flags 李XX (last meeting 2026-11-01) but not 吴XX, abroad with the
    # relationship kept (last contact 2026-11-21): no 失控/失联 flag, no new case (her officer is still
    # reminded monthly to keep in touch, as for any flow member).
    w.svc.clock.set(datetime(2027, 6, 25, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    from bot.services.scan.run import run_scan
    flagged: set = set()
    await run_scan(w.svc, record_job=False, sink=lambda f: flagged.add((f.member_id, f.kind)))
    assert (w.ids["李XX"], "lost") in flagged
    assert {k for m, k in flagged if m == w.ids["吴XX"]} == {"flow_contact"}
    assert len(await case_repo.for_member(w.svc.db, w.ids["吴XX"])) == 1


async def test_settled_abroad_is_suspended(w):
    await report_abroad(w.svc, OPERATOR, left_on=date(2026, 6, 1), destination="加拿大多伦多", purpose="other",
                        reason="随配偶定居", member_id=w.ids["吴XX"])
    case_id = await reach(w, "吴XX")
    await search_steps.findings(w.svc, w.sec, case_id, "none", None)
    await chain.propose(w.svc, w.sec, case_id, Outcome.SUSPENDED_SETTLED_ABROAD, "已在国外定居，拟停止党籍")
    await chain.review(w.svc, w.committee, case_id, "同意")
    await pass_meeting(w, case_id)
    done = await chain.approve(w.svc, w.committee, case_id, "批准")
    assert done.case.outcome is Outcome.SUSPENDED_SETTLED_ABROAD and not done.case.is_open
    assert SpecialStatus.MEMBERSHIP_SUSPENDED in (await member_repo.get(w.svc.db, w.ids["吴XX"])).special_statuses


async def test_a_probationary_member_loses_probationary_membership(w):
    case_id = await search_in_vain(w, "周XX")
    await search_steps.unreachable(w.svc, w.sec, case_id)
    await search_steps.findings(w.svc, w.sec, case_id, "none", None)
    await chain.propose(w.svc, w.sec, case_id, Outcome.PROBATION_CANCELLED, "预备期内失去联系，拟取消预备党员资格")
    await chain.review(w.svc, w.committee, case_id, "同意")
    await pass_meeting(w, case_id)
    done = await chain.approve(w.svc, w.committee, case_id, "批准取消预备党员资格")
    assert done.case.outcome is Outcome.PROBATION_CANCELLED
    extra = await w.svc.db.fetchone("SELECT active, removal_outcome FROM members WHERE id = ?", (w.ids["周XX"],))
    assert tuple(extra) == (0, "probation_cancelled")


async def test_a_rejection_returns_the_case_and_a_new_proposal_restarts_the_chain(w):
    await set_policy(w, "2016")
    case_id = await search_in_vain(w, "王XX", times=3)
    await search_steps.unreachable(w.svc, w.sec, case_id)
    await search_steps.findings(w.svc, w.sec, case_id, "none", None)
    await chain.propose(w.svc, w.sec, case_id, Outcome.REMOVED_LAPSED, "拟按自行脱党除名")
    await chain.review(w.svc, w.committee, case_id, "同意")
    back = await chain.reject(w.svc, w.dept, case_id, "查找记录不全：请补充向户籍所在地派出所查询的情况")
    assert back.case.state == disposition.INVESTIGATED and back.case.outcome is None
    chat, kind, payload = (await outbox(w))[-1]
    assert chat == 101 and kind == "case_rejected" and "派出所" in json.loads(payload)["text"]
    with pytest.raises(DomainError):   # the old chain is gone: no meeting now
        await pass_meeting(w, case_id)
    await search_steps.attempt(w.svc, w.sec, attempt_data(w, "王XX", date(2026, 11, 22), SearchMethod.POLICE_REGISTRY))
    await chain.propose(w.svc, w.sec, case_id, Outcome.REMOVED_LAPSED, "补充查找后仍无法联系，拟按自行脱党除名")
    await chain.review(w.svc, w.committee, case_id, "同意")
    await chain.review(w.svc, w.dept, case_id, "预审同意")
    steps = await case_repo.steps_of(w.svc.db, case_id)
    assert [(s.step, s.round, s.decision) for s in steps if s.step in disposition.CHAIN_STEP_NAMES] == [
        ("branch_proposal", 1, "approve"), ("committee_prereview", 1, "approve"), ("dept_prereview", 1, "reject"),
        ("branch_proposal", 2, "approve"), ("committee_prereview", 2, "approve"), ("dept_prereview", 2, "approve")]
    assert "派出所" in steps[[s.step for s in steps].index("dept_prereview")].opinion


async def test_death_closes_the_case_at_any_point(w):
    case_id = await search_in_vain(w, "王XX", times=1)
    done = await status.death(w.svc, w.sec, case_id, date(2026, 8, 15), "经派出所户籍查询，王XX已于2026年8月病故")
    assert done.case.state == disposition.DECIDED and done.case.outcome is Outcome.DECEASED
    assert done.case.died_on == date(2026, 8, 15) and not done.case.is_open
    extra = await w.svc.db.fetchone("SELECT active, removed_on, removal_outcome FROM members WHERE id = ?",
                                    (w.ids["王XX"],))
    assert tuple(extra) == (0, "2026-08-15", "deceased")
    assert SpecialStatus.DECEASED in (await member_repo.get(w.svc.db, w.ids["王XX"])).special_statuses


async def test_the_case_list_puts_overdue_first(w):
    idle = await search_in_vain(w, "王XX", times=1)            # last attempt 2026-10-01: 53 days idle
    fresh = await search_steps.open_case(w.svc, w.sec, w.ids["刘XX"], date(2026, 11, 20))
    page = await list_cases(w.svc, w.sec)
    assert [(c.case_id, c.overdue) for c in page.items] == [(idle, True), (fresh, False)]
    assert (await list_cases(w.svc, w.sec, state="searching")).total == 2
    assert (await list_cases(w.svc, w.sec_b)).total == 0
    card = await case_card(w.svc, w.sec, idle)
    assert card.attempts == 1 and card.signed_attempts == 1 and card.min_attempts == 3
    assert card.months_without_contact == 11 and card.next_step.name == "unreachable"


async def test_contact_regained_in_the_middle_of_the_chain_stops_it(w):
    from bot.services import records
    await set_policy(w, "2016")
    case_id = await search_in_vain(w, "王XX")
    await search_steps.unreachable(w.svc, w.sec, case_id)
    await search_steps.findings(w.svc, w.sec, case_id, "none", None)
    await chain.propose(w.svc, w.sec, case_id, Outcome.REMOVED_LAPSED, "拟按自行脱党除名")
    await chain.review(w.svc, w.committee, case_id, "同意")
    # 王XX walks into the 创意园 office: the removal stops, the case is reached and needs its findings again.
    await records.record_regained(w.svc, w.sec, w.ids["王XX"], date(2026, 11, 22), "本人到支部说明情况")
    case = await case_repo.get(w.svc.db, case_id)
    assert (case.state, case.outcome, case.regained_on) == (disposition.REACHED, None, date(2026, 11, 22))
    with pytest.raises(DomainError):
        await chain.review(w.svc, w.dept, case_id, "预审同意")
    await search_steps.findings(w.svc, w.sec, case_id, "unqualified", "长期不参加组织生活、不交党费")
    await chain.propose(w.svc, w.sec, case_id, Outcome.CORRECTION_DEADLINE, "拟限期改正")
    assert (await case_repo.get(w.svc.db, case_id)).state == disposition.PROPOSED


async def test_contact_regained_after_a_suspension_waits_for_the_restore_step(w):
    from bot.services import records
    case_id = await suspend(w, "王XX")
    await records.record_regained(w.svc, w.sec, w.ids["王XX"], date(2026, 11, 23), "本人来电")
    case = await case_repo.get(w.svc.db, case_id)
    assert case.state == disposition.DECIDED and case.outcome is Outcome.SUSPENDED_UNREACHABLE
    assert SpecialStatus.MEMBERSHIP_SUSPENDED in (await member_repo.get(w.svc.db, w.ids["王XX"])).special_statuses
    card = await case_card(w.svc, w.sec, case_id)
    assert card.next_step.name == "restore"
