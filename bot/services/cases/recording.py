"""One step taken: the case row changed, the `case_steps` row written, the notices queued — one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.domain.codes import Outcome
from bot.domain.disposition import Votes
from bot.domain.errors import DomainError
from bot.i18n import N_
from bot.services.cases import notices
from bot.services.cases.access import Acting, CaseInContext
from bot.services.context import Actor, Services
from bot.storage import cases as case_repo



@dataclass(frozen=True)
class StepTaken:
    """What a use case returns: the case after the step, and the step row's id."""

    case: case_repo.Case
    step_id: int
    step: str
    notified: int


async def take_step(svc: Services, actor: Actor, cic: CaseInContext, acting: Acting, step: str, on: date, *,
                    changes: dict[str, Any], approve: bool = True, opinion: str | None = None,
                    outcome: Outcome | None = None, votes: Votes | None = None, rejection: str | None = None,
                    also: Any = None) -> StepTaken:
    """Write the step and its effects in one audited transaction. `also(tx, case_after)` adds effects on the
    member; `rejection` (the reason) notifies the branch instead of the next level."""
    before = cic.case
    async with svc.db.write(actor.label) as tx:
        fresh = await case_repo.get(tx, before.id)
        # The state read before the lock must still hold (a double tap, or two officers at once).
        if fresh is None or fresh.state != before.state or fresh.outcome != before.outcome:
            raise DomainError(N_("This case has just changed: open it again"), field="state")
        after = await case_repo.update(tx, before.id, step, **changes)
        step_id = await case_repo.add_step(
            tx, before.id, before.state, after.state, outcome, approve, opinion, actor.label, on, step=step,
            role=acting.role, tg_id=actor.tg_id, org_id=acting.org_id, votes=votes)
        if also is not None:
            await also(tx, after)
        name = cic.member_row["name"]
        if rejection is not None:
            sent = await notices.after_rejection(tx, after, cic.branch_id, name, step_id, step, rejection, actor.tg_id)
        else:
            sent = await notices.after_step(tx, after, cic.branch_id, name, step_id, actor.tg_id)
    return StepTaken(after, step_id, step, sent)
