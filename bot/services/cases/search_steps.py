"""Before the chain: open a case, log a search attempt, declare the member unreachable, record the findings."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain import disposition
from bot.domain.codes import LostContactReason, SearchResult
from bot.domain.disposition import Findings
from bot.domain.errors import DomainError
from bot.i18n import N_
from bot.services import records, search
from bot.services.cases.access import DATA_ENTRY, acting_as, load_case
from bot.services.cases.recording import StepTaken, take_step
from bot.services.context import Actor, Services
from bot.services.roster import visible_member
from bot.storage import cases as case_repo
from bot.storage import members as member_repo


def _not_future(on: date, today: date) -> None:
    if on > today:
        raise DomainError(N_("{date} is in the future"), field="date", date=on.isoformat())


async def _active(svc: Services, member_id: int) -> Any:
    row = await member_repo.get_row(svc.db, member_id)
    if not row["active"]:
        raise DomainError(N_("{name} is no longer on the branch's active register"), field="member", name=row["name"])
    return row


async def open_case(svc: Services, actor: Actor, member_id: Any, on: date | None = None,
                    reason: LostContactReason | None = None, note: str | None = None) -> int:
    """Open a lost-contact case for an active member (or return the one already open)."""
    member = await visible_member(svc, actor, member_id)
    await acting_as(svc, actor, member.branch_id, DATA_ENTRY)
    await _active(svc, member.id)
    day = on or svc.clock.today()
    _not_future(day, svc.clock.today())
    async with svc.db.write(actor.label) as tx:
        existing = await case_repo.open_case_of(tx, member.id)
        if existing is not None:
            return existing.id
        return await case_repo.open_case(tx, member.id, day, reason, disposition.check_opinion(note, required=False))


async def attempt(svc: Services, actor: Actor, data: dict[str, Any]) -> search.SearchLogged:
    """A search attempt (a paper 记录表 entry or the bot's form); a reached member moves the case to 'reached'."""
    member = await visible_member(svc, actor, data.get("member_id"))
    await acting_as(svc, actor, member.branch_id, DATA_ENTRY)
    await _active(svc, member.id)
    logged = await search.log_search_attempt(svc, actor, data)
    built = search.build_attempt(data)
    if built.result is SearchResult.REACHED:
        await records.record_regained(svc, actor, member.id, built.on, None)
    return logged


async def unreachable(svc: Services, actor: Actor, case_id: Any, on: date | None = None,
                      note: str | None = None) -> StepTaken:
    """经多方努力确实无法取得联系: declared by the branch after at least one search attempt."""
    cic = await load_case(svc, actor, case_id)
    acting = await acting_as(svc, actor, cic.branch_id, DATA_ENTRY)
    disposition.expect_step(cic.case.state, cic.case.outcome, disposition.S_UNREACHABLE)
    day = on or svc.clock.today()
    _not_future(day, svc.clock.today())
    if not await case_repo.signed_attempts(svc.db, cic.case.id):
        raise DomainError(N_("Log at least one signed search attempt before declaring the member unreachable"),
                          field="attempts")
    return await take_step(svc, actor, cic, acting, disposition.S_UNREACHABLE, day,
                           opinion=disposition.check_opinion(note, required=False),
                           changes={"state": disposition.UNREACHABLE, "unreachable_on": day})


async def findings(svc: Services, actor: Actor, case_id: Any, found: Findings | str, text: str | None,
                   on: date | None = None) -> StepTaken:
    """失联党员表现调查核实情况: 不合格表现 or 违纪违法 found (with a description) or none. Can be amended until
    the 支委会 proposes."""
    cic = await load_case(svc, actor, case_id)
    acting = await acting_as(svc, actor, cic.branch_id, DATA_ENTRY)
    if cic.case.state not in (disposition.REACHED, disposition.UNREACHABLE, disposition.INVESTIGATED):
        disposition.expect_step(cic.case.state, cic.case.outcome, disposition.S_FINDINGS)
    kind = Findings.parse(found)
    body = disposition.check_findings(kind, text)
    day = on or svc.clock.today()
    _not_future(day, svc.clock.today())
    return await take_step(svc, actor, cic, acting, disposition.S_FINDINGS, day, opinion=body,
                           changes={"state": disposition.INVESTIGATED, "findings": kind, "findings_text": body})
