"""Every path of issue 10 through the emulator: each step a secretary, a committee user or the org_dept user
takes in the bot — opened from /cases, /approvals or a notification's button, the opinion typed and confirmed
on the summary. Search attempts (the search flow's own tests cover them in chat) and, in the long 2019 paths,
the steps already proved in chat elsewhere here, go through the services."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.codes import Outcome, SearchMethod, SearchResult, SpecialStatus
from bot.i18n import translator
from bot.services.cases import chain, search_steps
from bot.services.context import actor_for
from bot.services.status_reports.use_cases import report_abroad
from bot.services.context import OPERATOR
from bot.storage import cases as case_repo
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from tests.e2e.cases_setup import searched_in_vain, setup

ZH, EN = translator("zh_CN"), translator("en")
CONFIRM = "✅ Confirm"


def tr_of(user) -> object:
    return EN if (user.language_code or "").startswith("en") else ZH


async def open_case(env, user, name: str, command: str = "/cases"):
    """The case card, the way a user gets there: the list (or the approval queue), then the member's button."""
    await env.say(user, command)
    [card] = await env.tap(user, name)
    return card


async def take(env, user, name: str, action: str, answers: list, *, command: str = "/cases", card=None):
    """Open the card, tap the action, answer each step (("tap", label) | ("type", text)), confirm; the result."""
    tr = tr_of(user)
    if card is None:
        card = await open_case(env, user, name, command)
    [screen] = await env.tap(user, tr.gettext(action), message=card)
    for kind, value in answers:
        if kind == "tap":
            [screen] = await env.tap(user, tr.gettext(value))
        else:
            [screen] = await env.say(user, value)
    assert tr.gettext("Please check, then confirm:") in screen.text, screen.text
    [result] = await env.tap(user, tr.gettext(CONFIRM))
    return result


async def state(env, case_id: int) -> tuple:
    row = await env.db.fetchone("SELECT state, outcome FROM cases WHERE id = ?", (case_id,))
    return tuple(row)


async def set_policy(env, policy: str) -> None:
    async with env.db.write("e2e") as tx:
        await org_repo.set_settings(tx, env.committee_id, {"policy": policy})


async def reach(env, w, name: str) -> int:
    """A 老乡's WeChat lead, and the member answers: the search attempt (through the services) moves the case
    to reached. Returns the case id."""
    logged = await search_steps.attempt(w.svc, await actor_for(env.db, w.secretary.id), dict(
        member_id=w.ids[name], on=date(2026, 11, 20), method=SearchMethod.ONLINE, contacted=f"{name}本人",
        narrative=f"老乡提供微信，联系上{name}本人，在深圳务工", result=SearchResult.REACHED,
        signer_ids=[w.ids["陈XX"], w.ids["赵XX"]]))
    return logged.case_id


FINDINGS_NONE = [("tap", "No unqualified conduct or violation found"), ("tap", "Skip")]


async def test_reached_then_brought_under_management(bot_env):
    env = bot_env
    w = await setup(env)
    case_id = await reach(env, w, "王XX")
    done = await take(env, w.secretary, "王XX", "📋 Record the findings", FINDINGS_NONE)
    assert ZH.gettext("Saved: “{step}” for {name}.", step=ZH.gettext("Conduct investigated"), name="王XX") in done.text
    done = await take(env, w.secretary, "王XX", "📝 Propose a disposition", [
        ("tap", "Brought under organizational management"), ("tap", "Transfer out"),
        ("type", "王XX已取得联系，拟转出组织关系至流入地党组织")])
    assert await state(env, case_id) == ("proposed", "brought_under_management")
    # The committee user opens it from /approvals and approves.
    done = await take(env, w.committee, "王XX", "✅ Approve", [("tap", "✅ Agree"), ("type", "同意纳入组织管理")],
                      command="/approvals")
    assert EN.gettext("The case is decided: {outcome}.",
                      outcome=EN.gettext("Brought under organizational management")) in done.text
    row = await env.db.fetchone("SELECT state, outcome, outcome_variant, decided_on FROM cases WHERE id = ?", (case_id,))
    assert tuple(row) == ("decided", "brought_under_management", "transfer_out", "2026-11-23")


async def test_reached_with_a_violation_then_probation_within_the_party(bot_env):
    env = bot_env
    w = await setup(env)
    case_id = await reach(env, w, "王XX")
    await take(env, w.secretary, "王XX", "📋 Record the findings", [
        ("tap", "Violation of discipline or law found"), ("type", "失联期间参与非法集资，受到行政处罚")])
    # 纳入组织管理 is not even offered over a violation: the choices are the dispositions of the findings.
    card = await open_case(env, w.secretary, "王XX")
    [ask] = await env.tap(w.secretary, ZH.gettext("📝 Propose a disposition"), message=card)
    labels = [b["text"] for b in ask.inline_buttons()]
    assert ZH.gettext("Brought under organizational management") not in labels
    assert ZH.gettext("Placed on probation within the Party") in labels
    [ask] = await env.tap(w.secretary, ZH.gettext("Placed on probation within the Party"))
    [summary] = await env.say(w.secretary, "拟给予留党察看一年处分")
    assert "拟给予留党察看一年处分" in summary.text, summary.text
    [saved] = await env.tap(w.secretary, ZH.gettext(CONFIRM))
    assert await state(env, case_id) == ("proposed", "probation_within_party"), saved.text
    await take(env, w.committee, "王XX", "✅ Pre-review", [("tap", "✅ Agree"), ("type", "同意，提交党员大会")],
               command="/approvals")
    # 应到: the register's full members (王 吴 陈 赵 钱 李 = 6; 周XX, 预备党员, has no vote); 5 present, 4 for.
    assert await case_repo.voters_on_roll(env.db, env.branch_id) == 6
    meeting = [("type", "6"), ("type", "5"), ("type", "4"), ("tap", "Adopted"), ("type", "党员大会表决通过")]
    await take(env, w.secretary, "王XX", "🗳 Record the general meeting", meeting)
    await take(env, w.committee, "王XX", "✅ Approve", [("tap", "✅ Agree"), ("type", "批准留党察看一年")],
               command="/approvals")
    assert await state(env, case_id) == ("decided", "probation_within_party")
    votes = await env.db.fetchone("SELECT votes_entitled, votes_present, votes_for FROM case_steps"
                                  " WHERE case_id = ? AND step = 'general_meeting'", (case_id,))
    assert tuple(votes) == (6, 5, 4)


@pytest.mark.reminders
async def test_unreachable_removed_as_lapsed_with_the_full_chain_under_2016(bot_env):
    env = bot_env
    w = await setup(env)
    await set_policy(env, "2016")
    case_id = await searched_in_vain(env, w, "王XX")
    await take(env, w.secretary, "王XX", "❔ Declare unreachable", [("tap", "Today"), ("type", "经多方努力确实无法取得联系")])
    await take(env, w.secretary, "王XX", "📋 Record the findings", FINDINGS_NONE)
    await take(env, w.secretary, "王XX", "📝 Propose a disposition", [
        ("tap", "Removed as having left the Party of own accord"),
        ("type", "因通过多方努力联系王XX未果，提出按自行脱党予以除名的初步处理意见")])
    # The committee user is told, and the notice's button opens the case.
    [notice] = await env.emu.wait_for_bot(w.committee, count=1)
    [card] = await env.tap(w.committee, EN.gettext("📂 Open the case"), message=notice)
    await take(env, w.committee, "王XX", "✅ Pre-review", [("tap", "✅ Agree"), ("type", "同意，报组织部预审")], card=card)
    [notice] = await env.emu.wait_for_bot(w.dept, count=1)
    [card] = await env.tap(w.dept, EN.gettext("📂 Open the case"), message=notice)
    await take(env, w.dept, "王XX", "✅ Pre-review", [("tap", "✅ Agree"), ("type", "预审同意")], card=card)
    # The 党员大会, first without a quorum: 应到 6 (王 吴 陈 赵 钱 李; 周XX, 预备党员, has no vote), 3 present.
    roll = await case_repo.voters_on_roll(env.db, env.branch_id)
    card = await open_case(env, w.secretary, "王XX")
    [ask] = await env.tap(w.secretary, ZH.gettext("🗳 Record the general meeting"), message=card)
    assert ZH.gettext("The register shows {n} full members with voting rights.", n=roll) in ask.text
    await env.say(w.secretary, str(roll))
    await env.say(w.secretary, str(roll // 2))          # half present: not more than half
    await env.say(w.secretary, str(roll // 2))
    await env.tap(w.secretary, ZH.gettext("Adopted"))
    await env.say(w.secretary, "同意")
    [refused] = await env.tap(w.secretary, ZH.gettext(CONFIRM))
    assert ZH.gettext("No quorum: {present} of {entitled} present, more than half must attend",
                      present=roll // 2, entitled=roll) in refused.text
    assert await state(env, case_id) == ("dept_pre_reviewed", "removed_lapsed")
    await env.tap(w.secretary, ZH.gettext("✖ Cancel"))
    meeting = [("type", str(roll)), ("type", str(roll)), ("type", str(roll)), ("tap", "Adopted"),
               ("type", "支部党员大会表决同意按自行脱党除名")]
    await take(env, w.secretary, "王XX", "🗳 Record the general meeting", meeting)
    await take(env, w.committee, "王XX", "✅ Approve", [("tap", "✅ Agree"), ("type", "审核同意，报组织部审批")],
               command="/approvals")
    done = await take(env, w.dept, "王XX", "✅ Approve", [("tap", "✅ Agree"), ("type", "批准按自行脱党除名")],
                      command="/approvals")
    assert EN.gettext("The case is decided: {outcome}.", outcome=EN.gettext(
        "Removed as having left the Party of own accord")) in done.text
    assert await state(env, case_id) == ("decided", "removed_lapsed")
    assert (await member_repo.get_row(env.db, w.ids["王XX"]))["active"] == 0
    # The branch hears of the decision (after the notice that the meeting waited for it).
    texts = []
    while not any(ZH.gettext("Removed as having left the Party of own accord") in t for t in texts):
        texts += [m.text for m in await env.emu.wait_for_bot(w.secretary, count=1)]
    assert ZH.gettext("Lost-contact case {case} ({name}) is decided: {outcome}.", case=case_id, name="王XX",
                      outcome=ZH.gettext("Removed as having left the Party of own accord")) in texts


async def investigated(env, w, name: str) -> int:
    """Searched three times in vain, declared unreachable, nothing found: ready for the 支委会's proposal."""
    sec = await actor_for(env.db, w.secretary.id)
    case_id = await searched_in_vain(env, w, name)
    await search_steps.unreachable(w.svc, sec, case_id)
    await search_steps.findings(w.svc, sec, case_id, "none", None)
    return case_id


async def suspended(env, w, name: str) -> int:
    sec = await actor_for(env.db, w.secretary.id)
    committee = await actor_for(env.db, w.committee.id)
    case_id = await investigated(env, w, name)
    await chain.propose(w.svc, sec, case_id, Outcome.SUSPENDED_UNREACHABLE, "拟停止党籍")
    await chain.review(w.svc, committee, case_id, "同意")
    roll = await case_repo.voters_on_roll(env.db, env.branch_id)
    await chain.resolve(w.svc, sec, case_id, roll, roll, roll, "同意")
    await chain.approve(w.svc, committee, case_id, "批准停止党籍")
    return case_id


async def test_2019_suspension_then_restored_within_two_years(bot_env):
    env = bot_env
    w = await setup(env)
    case_id = await suspended(env, w, "王XX")
    env.clock.set(datetime(2027, 10, 8, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    done = await take(env, w.secretary, "王XX", "♻️ Restore membership",
                      [("tap", "Today"), ("type", "王XX主动联系支部，经支部大会讨论恢复党籍")])
    assert ZH.gettext("Saved: “{step}” for {name}.", step=ZH.gettext("Membership restored"), name="王XX") in done.text
    assert await state(env, case_id) == ("decided", "brought_under_management")
    assert SpecialStatus.MEMBERSHIP_SUSPENDED not in (await member_repo.get(env.db, w.ids["王XX"])).special_statuses


async def test_2019_suspension_then_removed_after_two_years(bot_env):
    env = bot_env
    w = await setup(env)
    case_id = await suspended(env, w, "王XX")
    env.clock.set(datetime(2028, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    card = await open_case(env, w.secretary, "王XX")
    labels = [b["text"] for b in card.inline_buttons()]
    assert ZH.gettext("♻️ Restore membership") not in labels      # two years on: no more restoring
    done = await take(env, w.secretary, "王XX", "📝 Propose a disposition", [
        ("tap", "Removed as having left the Party of own accord"), ("type", "停止党籍满两年仍无法取得联系，拟除名")],
        card=card)
    assert await state(env, case_id) == ("proposed", "removed_lapsed")
    sec, committee, dept = [await actor_for(env.db, u.id) for u in (w.secretary, w.committee, w.dept)]
    await chain.review(w.svc, committee, case_id, "同意")
    await chain.review(w.svc, dept, case_id, "同意")
    roll = await case_repo.voters_on_roll(env.db, env.branch_id)
    await chain.resolve(w.svc, sec, case_id, roll, roll, roll, "同意")
    await chain.approve(w.svc, committee, case_id, "同意")
    await take(env, w.dept, "王XX", "✅ Approve", [("tap", "✅ Agree"), ("type", "批准除名")], command="/approvals")
    assert await state(env, case_id) == ("decided", "removed_lapsed")
    assert done is not None


async def _reached(env, w, name: str) -> int:
    case_id = await reach(env, w, name)
    await search_steps.findings(w.svc, await actor_for(env.db, w.secretary.id), case_id, "none", None)
    return case_id


async def _short_chain(env, w, case_id: int) -> None:
    sec, committee = [await actor_for(env.db, u.id) for u in (w.secretary, w.committee)]
    await chain.review(w.svc, committee, case_id, "同意")
    roll = await case_repo.voters_on_roll(env.db, env.branch_id)
    await chain.resolve(w.svc, sec, case_id, roll, roll, roll, "同意")
    await chain.approve(w.svc, committee, case_id, "批准")


async def test_abroad_for_study_keeps_the_relationship(bot_env):
    env = bot_env
    w = await setup(env)
    await report_abroad(w.svc, OPERATOR, left_on=date(2026, 9, 1), destination="英国伦敦", purpose="study",
                        reason="攻读硕士学位", keep_relationship=True, member_id=w.ids["吴XX"])
    case_id = await _reached(env, w, "吴XX")
    await take(env, w.secretary, "吴XX", "📝 Propose a disposition", [
        ("tap", "Organizational relationship retained"), ("type", "出国学习，拟保留组织关系")])
    await _short_chain(env, w, case_id)
    assert await state(env, case_id) == ("decided", "relationship_retained")
    assert SpecialStatus.RELATIONSHIP_RETAINED in (await member_repo.get(env.db, w.ids["吴XX"])).special_statuses


async def test_settled_abroad_is_suspended(bot_env):
    env = bot_env
    w = await setup(env)
    await report_abroad(w.svc, OPERATOR, left_on=date(2026, 6, 1), destination="加拿大", purpose="other",
                        reason="随配偶定居", member_id=w.ids["吴XX"])
    case_id = await _reached(env, w, "吴XX")
    card = await open_case(env, w.secretary, "吴XX")
    [ask] = await env.tap(w.secretary, ZH.gettext("📝 Propose a disposition"), message=card)
    # Not for study or labour: keeping the relationship is not offered.
    assert ZH.gettext("Organizational relationship retained") not in [b["text"] for b in ask.inline_buttons()]
    await env.tap(w.secretary, ZH.gettext("Membership suspended: settled abroad"))
    await env.say(w.secretary, "已在国外定居，拟停止党籍")
    await env.tap(w.secretary, ZH.gettext(CONFIRM))
    await _short_chain(env, w, case_id)
    assert await state(env, case_id) == ("decided", "suspended_settled_abroad")


async def test_a_probationary_member_loses_probationary_membership(bot_env):
    env = bot_env
    w = await setup(env)
    case_id = await investigated(env, w, "周XX")
    await take(env, w.secretary, "周XX", "📝 Propose a disposition", [
        ("tap", "Probationary membership cancelled"), ("type", "预备期内失去联系，拟取消预备党员资格")])
    await _short_chain(env, w, case_id)
    assert await state(env, case_id) == ("decided", "probation_cancelled")
    assert (await member_repo.get_row(env.db, w.ids["周XX"]))["active"] == 0


async def test_a_rejection_returns_the_case_and_a_new_proposal_restarts_the_chain(bot_env):
    env = bot_env
    w = await setup(env)
    sec = await actor_for(env.db, w.secretary.id)
    case_id = await investigated(env, w, "王XX")
    await chain.propose(w.svc, sec, case_id, Outcome.SUSPENDED_UNREACHABLE, "拟停止党籍")
    done = await take(env, w.committee, "王XX", "↩️ Send back to the branch",
                      [("type", "查找记录不全：请补充向户籍所在地派出所查询的情况")], command="/approvals")
    assert await state(env, case_id) == ("investigated", None)
    assert done is not None
    await take(env, w.secretary, "王XX", "📝 Propose a disposition", [
        ("tap", "Membership suspended: cannot be reached"), ("type", "补充查找后仍无法联系，拟停止党籍")])
    rounds = await env.db.fetchall("SELECT step, round, approve FROM case_steps WHERE case_id = ? AND round > 0"
                                   " ORDER BY id", (case_id,))
    assert [tuple(r) for r in rounds] == [("branch_proposal", 1, 1), ("committee_prereview", 1, 0),
                                          ("branch_proposal", 2, 1)]


async def test_death_closes_the_case(bot_env):
    env = bot_env
    w = await setup(env)
    case_id = await searched_in_vain(env, w, "王XX", times=1)
    await take(env, w.secretary, "王XX", "🕯 Record death", [("type", "2026-08-15"), ("type", "经派出所户籍查询，已于8月病故")])
    assert await state(env, case_id) == ("decided", "deceased")
    row = await env.db.fetchone("SELECT active, removed_on FROM members WHERE id = ?", (w.ids["王XX"],))
    assert tuple(row) == (0, "2026-08-15")


async def test_forged_step_buttons_from_the_wrong_role_change_nothing(bot_env):
    env = bot_env
    w = await setup(env)
    sec = await actor_for(env.db, w.secretary.id)
    case_id = await investigated(env, w, "王XX")
    await chain.propose(w.svc, sec, case_id, Outcome.SUSPENDED_UNREACHABLE, "拟停止党籍")
    before = await state(env, case_id)
    await env.say(w.secretary, "/cases")
    # The secretary forges the committee's pre-review button, and the department's; the org_dept user the
    # committee's; then a replayed proposal.
    for user, data in ((w.secretary, f"k:go:krevc:{case_id}"), (w.secretary, f"k:go:kappd:{case_id}"),
                       (w.dept, f"k:go:krevc:{case_id}"), (w.secretary, f"k:go:kprop:{case_id}"),
                       (w.committee, f"k:go:kmeet:{case_id}"), (w.committee, "k:go:krevc:999999")):
        [listing] = await env.say(user, "/cases")
        await env.press_data(user, data, message=listing, expect=0)
        query = next(q for q in reversed(list(env.emu.state.callbacks.values())) if q.data == data and q.user.id == user.id)
        assert query.answer["show_alert"] is True
        assert query.answer["text"] in (tr_of(user).gettext("This step is not yours to take on this case now"),
                                        tr_of(user).gettext("You are not allowed to do that"))
    assert await state(env, case_id) == before
    # And the committee's real button still works after all that.
    await take(env, w.committee, "王XX", "✅ Pre-review", [("tap", "✅ Agree"), ("type", "同意")], command="/approvals")
    assert await state(env, case_id) == ("pre_reviewed", "suspended_unreachable")
