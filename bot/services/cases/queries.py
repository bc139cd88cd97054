"""Reading cases: a branch's list (by state, overdue first), one case's card, and an approval queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.domain import disposition
from bot.domain.codes import Outcome
from bot.domain.dates import full_months
from bot.domain.disposition import ROLE_LEVEL, Step
from bot.domain.errors import DomainError, PermissionDenied
from bot.i18n import N_
from bot.services.cases.access import DATA_ENTRY, acting_as, load_case, min_attempts, policy_of
from bot.services.context import Actor, Services, managed_branches
from bot.services.roster import Page, not_allowed
from bot.services.scan.settings import effective_settings
from bot.storage import cases as case_repo
from bot.storage import orgs as org_repo
from bot.storage import searches as search_repo

PAGE_SIZE = 10


@dataclass(frozen=True)
class CaseLine:
    """One line of a case list."""

    case_id: int
    member_id: int
    member_name: str
    branch_id: int
    branch_name: str
    state: str
    outcome: Outcome | None
    opened_on: date
    attempts: int
    waiting_days: int          # days since the case's last activity (opening, attempt or step)
    overdue: bool              # waiting longer than the branch's case_idle_days
    next_step: Step | None


async def _branches(svc: Services, actor: Actor, org_id: int | None) -> list[int]:
    mine = await managed_branches(svc.db, actor)
    if not mine:
        raise not_allowed()
    if org_id is None:
        return mine
    if org_id not in mine:
        raise not_allowed()
    return await org_repo.descendants(svc.db, org_id)


async def _lines(svc: Services, rows: list[Any]) -> list[CaseLine]:
    today = svc.clock.today()
    idle: dict[int, int] = {}
    out = []
    for r in rows:
        if r["branch_id"] not in idle:
            idle[r["branch_id"]] = (await effective_settings(svc.db, r["branch_id"])).case_idle_days
        outcome = Outcome(r["outcome"]) if r["outcome"] else None
        waiting = (today - date.fromisoformat(r["last_activity"])).days
        nxt = disposition.next_step(r["state"], outcome)
        out.append(CaseLine(r["id"], r["member_id"], r["member_name"], r["branch_id"], r["branch_name"], r["state"],
                            outcome, date.fromisoformat(r["opened_on"]), r["attempts"], waiting,
                            r["closed_on"] is None and waiting >= idle[r["branch_id"]], nxt))
    # Overdue first, longest waiting first; decided cases last.
    out.sort(key=lambda c: (c.state == disposition.DECIDED, not c.overdue, -c.waiting_days, c.case_id))
    return out


async def list_cases(svc: Services, actor: Actor, org_id: int | None = None, state: str | None = None,
                     page: int = 0, size: int = PAGE_SIZE, include_closed: bool = False) -> Page[CaseLine]:
    """The cases the actor may see (or of one org's subtree), filtered by state, overdue first, a page at a time."""
    if state is not None and state not in disposition.STATES:
        raise DomainError(N_("Unknown case state {state}"), field="state", state=str(state)[:30])
    rows = await case_repo.list_in(svc.db, await _branches(svc, actor, org_id), state,
                                   open_only=not include_closed and state is None)
    lines = await _lines(svc, rows)
    total = len(lines)
    page = max(0, min(page, (total - 1) // size if total else 0))
    return Page(lines[page * size:(page + 1) * size], page, total, size)


async def approval_queue(svc: Services, actor: Actor, page: int = 0, size: int = PAGE_SIZE) -> Page[CaseLine]:
    """The cases of the actor's subtree whose next step is at a level the actor holds (预审, 审核/审批 …)."""
    if actor.operator:
        levels = {disposition.COMMITTEE, disposition.DEPARTMENT}
    else:
        levels = {ROLE_LEVEL[role] for role, _ in actor.roles} - {disposition.BRANCH}
    if not levels:
        raise not_allowed()
    held: dict[str, list[int]] = {}
    for role, org_id in actor.roles:
        held.setdefault(ROLE_LEVEL[role], []).extend(await org_repo.descendants(svc.db, org_id))
    branches = await managed_branches(svc.db, actor)
    rows = [r for r in await case_repo.list_in(svc.db, branches, open_only=True)
            if r["state"] in disposition.CHAIN_STATES]
    lines = [c for c in await _lines(svc, rows) if c.next_step and c.next_step.level in levels
             and (actor.operator or c.branch_id in held.get(c.next_step.level, []))]
    total = len(lines)
    page = max(0, min(page, (total - 1) // size if total else 0))
    return Page(lines[page * size:(page + 1) * size], page, total, size)


@dataclass(frozen=True)
class CaseCard:
    """Everything the case card shows: member, lost time, attempts, findings, steps so far, what comes next."""

    case: case_repo.Case
    member_name: str
    member_type: str
    branch_id: int
    branch_name: str
    active: bool
    last_contact_on: date | None
    months_without_contact: int | None
    attempts: int
    signed_attempts: int
    min_attempts: int
    steps: list[case_repo.CaseStep]
    next_step: Step | None
    policy: str
    removal_due_on: date | None
    voters_on_roll: int        # 应到 at the branch's 党员大会: full members with voting rights on the register


async def case_card(svc: Services, actor: Actor, case_id: Any) -> CaseCard:
    """One case as its card shows it (who may see it: a role on the member's branch or above)."""
    cic = await load_case(svc, actor, case_id)
    case, row = cic.case, cic.member_row
    org = await org_repo.get(svc.db, cic.branch_id)
    last = date.fromisoformat(row["last_contact_on"]) if row["last_contact_on"] else None
    today = svc.clock.today()
    nxt = disposition.next_step(case.state, case.outcome)
    due = None
    if case.suspended_since and case.closed_on is None:
        due = disposition.removal_due_on(case.suspended_since)
        if case.state == disposition.DECIDED:
            nxt = Step(disposition.S_PROPOSAL, case.state, disposition.PROPOSED, disposition.BRANCH) \
                if today >= due else Step(disposition.S_RESTORE, case.state, case.state, disposition.BRANCH)
    return CaseCard(case=case, member_name=row["name"], member_type=row["member_type"], branch_id=cic.branch_id,
                    branch_name=org.name if org else "", active=bool(row["active"]), last_contact_on=last,
                    months_without_contact=full_months(last, today) if last else None,
                    attempts=len(await search_repo.for_case(svc.db, case.id)),
                    signed_attempts=await case_repo.signed_attempts(svc.db, case.id),
                    min_attempts=await min_attempts(svc, cic.branch_id),
                    steps=await case_repo.steps_of(svc.db, case.id), next_step=nxt,
                    policy=(await policy_of(svc, cic.branch_id)).value, removal_due_on=due,
                    voters_on_roll=await case_repo.voters_on_roll(svc.db, cic.branch_id))


# Actions a card offers, besides the next step itself.
A_REJECT, A_DEATH = "reject", disposition.S_DEATH
_REJECTABLE = (disposition.S_COMMITTEE_PREREVIEW, disposition.S_DEPT_PREREVIEW, disposition.S_COMMITTEE_APPROVAL,
               disposition.S_DEPT_APPROVAL)


async def actions_for(svc: Services, actor: Actor, card: CaseCard) -> list[str]:
    """The steps this actor may take on the case now (the services check again when one is taken):
    the next step if it is at a level the actor holds, 'reject' beside a review or approval, 'death'."""
    async def holds(levels: tuple[str, ...]) -> bool:
        try:
            await acting_as(svc, actor, card.branch_id, levels)
            return True
        except PermissionDenied:
            return False

    out: list[str] = []
    step = card.next_step
    if step is not None and await holds((step.level,)):
        if step.name != disposition.S_PROPOSAL or card.removal_due_on is None or \
                svc.clock.today() >= card.removal_due_on:
            out.append(step.name)
        if step.name in _REJECTABLE:
            out.append(A_REJECT)
    death_ok = card.case.state != disposition.DECIDED or card.case.outcome in disposition.SPECIAL_STATUS_OF
    if card.active and death_ok and await holds(DATA_ENTRY):
        out.append(A_DEATH)
    return out
