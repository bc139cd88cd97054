"""What a decision does, and the steps outside the chain: restore (2019 rule) and death.

Decided: `decided_on` set; removed members (出党, death) leave the active roster at once but stay in the
archive with the outcome (seed 000 step 22); 停止党籍 and 保留组织关系 become 特殊状态. A 2019 suspension as
unreachable keeps the case open (closed_on NULL): it ends restored, or removed two years on.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Awaitable, Callable

from bot.domain import disposition
from bot.domain.codes import ContactKind, Outcome, SpecialStatus
from bot.services.cases.access import DATA_ENTRY, acting_as, load_case
from bot.services.cases.recording import StepTaken, take_step
from bot.services.context import Actor, Services
from bot.storage import cases as case_repo
from bot.storage import members as member_repo
from bot.storage.db import Tx


def decision_changes(outcome: Outcome, on: date) -> dict[str, Any]:
    """The case columns a decision sets."""
    changes: dict[str, Any] = {"state": disposition.DECIDED, "decided_on": on}
    if outcome is Outcome.SUSPENDED_UNREACHABLE:
        changes.update(suspended_since=on, closed_on=None)
    else:
        changes["closed_on"] = on
    return changes


def decision_effect(member_id: int, outcome: Outcome, on: date) -> Callable[[Tx, Any], Awaitable[None]]:
    async def apply(tx: Tx, _case: Any) -> None:
        await case_repo.apply_to_member(tx, member_id, outcome, on)
    return apply


async def restore(svc: Services, actor: Actor, case_id: Any, regained_on: date, opinion: str) -> StepTaken:
    """2019 rule: contact regained within two years of 停止党籍 restores the member (恢复党籍), audited as a step:
    the 特殊状态 is lifted, the contact recorded, and the case decided as 纳入组织管理 (经查找取得联系)."""
    cic = await load_case(svc, actor, case_id)
    acting = await acting_as(svc, actor, cic.branch_id, (disposition.BRANCH,))
    case = cic.case
    today = svc.clock.today()
    disposition.check_restore(case.state, case.outcome, case.suspended_since, regained_on, today)
    text = disposition.check_opinion(opinion)

    async def lift(tx: Tx, _after: Any) -> None:
        await case_repo.lift_special(tx, case.member_id, SpecialStatus.MEMBERSHIP_SUSPENDED)
        await member_repo.record_contact(tx, case.member_id, ContactKind.REGAINED, regained_on)

    return await take_step(svc, actor, cic, acting, disposition.S_RESTORE, today, opinion=text,
                           outcome=Outcome.BROUGHT_UNDER_MANAGEMENT, also=lift,
                           changes={"regained_on": regained_on, "restored_on": today, "decided_on": today,
                                    "closed_on": today, "outcome": Outcome.BROUGHT_UNDER_MANAGEMENT})


async def death(svc: Services, actor: Actor, case_id: Any, died_on: date, note: str | None = None) -> StepTaken:
    """确认已死亡 (附件5 column X): at any point; the case is decided and the member leaves the active roster."""
    cic = await load_case(svc, actor, case_id)
    acting = await acting_as(svc, actor, cic.branch_id, DATA_ENTRY)
    case = cic.case
    today = svc.clock.today()
    disposition.check_death(case.state, case.outcome, died_on, case.opened_on, today)
    text = disposition.check_opinion(note, required=False)
    changes = {**decision_changes(Outcome.DECEASED, today), "outcome": Outcome.DECEASED, "died_on": died_on,
               "outcome_variant": None}
    return await take_step(svc, actor, cic, acting, disposition.S_DEATH, today, opinion=text,
                           outcome=Outcome.DECEASED, changes=changes,
                           also=decision_effect(case.member_id, Outcome.DECEASED, died_on))
