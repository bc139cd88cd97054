"""The approval chain (seed 004 附件4): the 支委会's proposal, 预审, the 党员大会, 审核/审批, and rejections.

Each function loads the case again, finds the step it waits for (`disposition.expect_step`: a skipped,
repeated or forged step is refused), checks the actor holds that step's level over the case's branch, and
writes the step. The last approval decides the case (bot.services.cases.status.decision_changes).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain import disposition
from bot.domain.codes import MemberType, Outcome
from bot.domain.disposition import CaseFacts, Votes
from bot.domain.errors import DomainError
from bot.i18n import N_
from bot.services.cases.access import CaseInContext, acting_as, load_case, min_attempts, policy_of
from bot.services.cases.recording import StepTaken, take_step
from bot.services.cases.status import decision_changes, decision_effect
from bot.services.context import Actor, Services
from bot.storage import cases as case_repo

PREREVIEWS = (disposition.S_COMMITTEE_PREREVIEW, disposition.S_DEPT_PREREVIEW)
APPROVALS = (disposition.S_COMMITTEE_APPROVAL, disposition.S_DEPT_APPROVAL)


def _day(svc: Services, on: date | None) -> date:
    day = on or svc.clock.today()
    if day > svc.clock.today():
        raise DomainError(N_("{date} is in the future"), field="date", date=day.isoformat())
    return day


def _suspended_awaiting_removal(case: case_repo.Case) -> bool:
    """A decided 2019 suspension: its next proposal (removal after two years) restarts the chain."""
    return (case.state == disposition.DECIDED and case.outcome is Outcome.SUSPENDED_UNREACHABLE
            and case.suspended_since is not None and case.closed_on is None)


async def facts_of(svc: Services, cic: CaseInContext) -> CaseFacts:
    """What the proposal guards look at, gathered from the case, the member and the branch's settings."""
    case, row = cic.case, cic.member_row
    lost = row["last_contact_on"] or row["created_at"][:10]
    return CaseFacts(reached=case.reached, findings=case.findings,
                     member_type=MemberType(row["member_type"]),
                     lost_since=date.fromisoformat(lost), signed_attempts=await case_repo.signed_attempts(svc.db, case.id),
                     min_attempts=await min_attempts(svc, cic.branch_id),
                     abroad_purpose=await case_repo.latest_abroad_purpose(svc.db, case.member_id),
                     suspended_since=case.suspended_since if case.regained_on is None else None,
                     policy=await policy_of(svc, cic.branch_id), today=svc.clock.today())


async def proposable(svc: Services, actor: Actor, case_id: Any) -> list[Outcome]:
    """The outcomes the guards let this case have now (what the bot offers), the policy's suggestion for an
    unreachable member first. The proposal itself is checked again when made."""
    facts = await facts_of(svc, await load_case(svc, actor, case_id))
    out = []
    for outcome in disposition.PROPOSABLE:
        try:
            disposition.check_proposal(outcome, facts)
        except DomainError:
            continue
        out.append(outcome)
    if not facts.reached:
        suggested = disposition.proposal_for_unreachable(facts.policy, facts.suspended_since, facts.today)
        if suggested in out:
            out.remove(suggested)
            out.insert(0, suggested)
    return out


async def propose(svc: Services, actor: Actor, case_id: Any, outcome: Outcome | str, opinion: str,
                  variant: str | None = None, on: date | None = None) -> StepTaken:
    """支委会初步处置意见: an outcome and the opinion; starts (or restarts) the chain."""
    cic = await load_case(svc, actor, case_id)
    acting = await acting_as(svc, actor, cic.branch_id, (disposition.BRANCH,))
    if not _suspended_awaiting_removal(cic.case):
        disposition.expect_step(cic.case.state, cic.case.outcome, disposition.S_PROPOSAL, disposition.BRANCH)
    chosen = Outcome.parse(outcome)
    disposition.check_proposal(chosen, await facts_of(svc, cic), variant or None)
    text = disposition.check_opinion(opinion)
    return await take_step(svc, actor, cic, acting, disposition.S_PROPOSAL, _day(svc, on), opinion=text,
                           outcome=chosen,
                           changes={"state": disposition.PROPOSED, "outcome": chosen, "outcome_variant": variant or None})


async def _chain_decision(svc: Services, actor: Actor, case_id: Any, names: tuple[str, ...], approve: bool,
                          opinion: str, on: date | None, votes: Votes | None = None) -> StepTaken:
    cic = await load_case(svc, actor, case_id)
    case = cic.case
    step = disposition.next_step(case.state, case.outcome)
    if case.state not in disposition.CHAIN_STATES or step is None or step.name not in names:
        # Reuse the domain's refusal: it names the step the case waits for.
        disposition.expect_step(case.state, case.outcome, names[0])
        raise DomainError(N_("This case is waiting for another step: {step}"), field="state",
                          step=disposition.STEP_LABEL[step.name] if step else "")
    acting = await acting_as(svc, actor, cic.branch_id, (step.level,))
    text = disposition.check_opinion(opinion)
    day = _day(svc, on)
    if not approve:
        back, outcome = (disposition.DECIDED, Outcome.SUSPENDED_UNREACHABLE) if case.suspended_since else \
            (disposition.INVESTIGATED, None)
        return await take_step(svc, actor, cic, acting, step.name, day, approve=False, opinion=text,
                               outcome=case.outcome, votes=votes, rejection=text,
                               changes={"state": back, "outcome": outcome, "outcome_variant": None})
    new_state = disposition.advance(case.state, case.outcome, step.level, True)
    changes: dict[str, Any] = {"state": new_state}
    also = None
    if new_state == disposition.DECIDED:
        assert case.outcome is not None
        changes.update(decision_changes(case.outcome, day))
        also = decision_effect(case.member_id, case.outcome, day)
    return await take_step(svc, actor, cic, acting, step.name, day, opinion=text, outcome=case.outcome, votes=votes,
                           changes=changes, also=also)


async def review(svc: Services, actor: Actor, case_id: Any, opinion: str, approve: bool = True,
                 on: date | None = None) -> StepTaken:
    """预审: the 基层党委's, then (劝退 / 除名) the 上一级党委组织部门's; a rejection returns the case to the branch."""
    return await _chain_decision(svc, actor, case_id, PREREVIEWS, approve, opinion, on)


async def approve(svc: Services, actor: Actor, case_id: Any, opinion: str, approve: bool = True,
                  on: date | None = None) -> StepTaken:
    """审核（审批）: the 基层党委's, then (劝退 / 除名) the 组织部门's; the last one decides the case."""
    return await _chain_decision(svc, actor, case_id, APPROVALS, approve, opinion, on)


async def reject(svc: Services, actor: Actor, case_id: Any, reason: str, on: date | None = None) -> StepTaken:
    """Send the case back to the branch from whichever review or approval it waits for, with the reason."""
    return await _chain_decision(svc, actor, case_id, PREREVIEWS + APPROVALS, False, reason, on)


async def resolve(svc: Services, actor: Actor, case_id: Any, entitled: int, present: int, in_favour: int,
                  opinion: str, adopted: bool = True, on: date | None = None) -> StepTaken:
    """支部党员大会决议 with 应到 / 实到 / 赞成 (see disposition.check_meeting for the rule); a meeting that did
    not adopt the proposal returns the case to the branch."""
    votes = Votes(int(entitled), int(present), int(in_favour))
    cic = await load_case(svc, actor, case_id)
    disposition.expect_step(cic.case.state, cic.case.outcome, disposition.S_MEETING)
    await acting_as(svc, actor, cic.branch_id, (disposition.BRANCH,))
    disposition.check_meeting(votes, adopted, await case_repo.voters_on_roll(svc.db, cic.branch_id))
    return await _chain_decision(svc, actor, case_id, (disposition.S_MEETING,), adopted, opinion, on, votes)
