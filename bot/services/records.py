"""What a secretary records besides searches: contact regained (经查找取得联系), attendance at 组织生活,
党费, transfers out with their 四个清楚 and later 回执, and the responsible officer (指定专人) of a flow member.

Every function re-checks that the actor manages each member it touches and writes in one audited
transaction, so a checklist of sixty members is saved whole or not at all.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable


from bot.domain import disposition
from bot.domain.codes import ContactKind, SpecialStatus, TransferKind
from bot.domain.errors import DomainError
from bot.domain.events import FREE_TEXT_MAX, Transfer
from bot.domain.member import Member, build_model
from bot.i18n import N_
from bot.services.context import Actor, Services
from bot.services.roster import not_allowed, visible_member
from bot.storage import cases as case_repo
from bot.storage import members as member_repo
from bot.storage import transfers as transfer_repo

DUES_MAX = Decimal("100000")


@dataclass(frozen=True)
class Regained:
    event_id: int
    case_id: int | None      # the open case, now 'reached' (its findings and outcome come next)


def _not_future(on: date, today: date) -> None:
    if on > today:
        raise DomainError(N_("{date} is in the future"), field="date", date=on.isoformat())


def _note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > FREE_TEXT_MAX:
        raise DomainError(N_("That is too long: at most {max} characters"), field="note", max=FREE_TEXT_MAX)
    return note or None


async def _active_member(svc: Services, actor: Actor, member_id: Any) -> Member:
    member = await visible_member(svc, actor, member_id)
    row = await member_repo.get_row(svc.db, member.id)
    if not row["active"]:
        raise DomainError(N_("{name} is no longer on the branch's active register"), field="member", name=member.name)
    return member


async def record_regained(svc: Services, actor: Actor, member_id: Any, on: date, note: str | None = None) -> Regained:
    """经查找取得联系: a REGAINED contact event, and the member's open case moved to 'reached' on that date
    (the branch then records its findings and proposes an outcome: bot.services.cases)."""
    member = await _active_member(svc, actor, member_id)
    _not_future(on, svc.clock.today())
    note = _note(note)
    async with svc.db.write(actor.label) as tx:
        event_id = await member_repo.record_contact(tx, member.id, ContactKind.REGAINED, on, note)
        case = await case_repo.open_case_of(tx, member.id)
        # A case still searching (or anywhere before its decision) moves to 'reached'; a decided 2019
        # suspension is lifted by the restore step instead (bot.services.cases.restore).
        if case is not None and case.state != disposition.DECIDED:
            await case_repo.mark_reached(tx, case.id, on)
    return Regained(event_id=event_id, case_id=case.id if case else None)


async def record_attendance(svc: Services, actor: Actor, member_ids: Iterable[Any], on: date,
                            note: str | None = None) -> int:
    """Attendance at 组织生活: one MEETING contact event per member present, all in one transaction."""
    ids = list(dict.fromkeys(int(m) for m in member_ids))
    if not ids:
        raise DomainError(N_("Tick at least one member who was present"), field="members")
    _not_future(on, svc.clock.today())
    note = _note(note)
    for mid in ids:
        await _active_member(svc, actor, mid)
    async with svc.db.write(actor.label) as tx:
        for mid in ids:
            await member_repo.record_contact(tx, mid, ContactKind.MEETING, on, note)
    return len(ids)


def parse_amount(text: Any) -> str:
    """党费 as people type it (50, 50.5, ¥50, 50元, ５０) → a decimal string with two places."""
    s = unicodedata.normalize("NFKC", str(text)).strip()
    s = re.sub(r"^(¥|￥|RMB|CNY)\s*|\s*(元|RMB|CNY|yuan)$", "", s, flags=re.IGNORECASE).replace(",", "")
    try:
        value = Decimal(s)
    except (InvalidOperation, ValueError):
        raise DomainError(N_("“{value}” is not an amount: type it like 50 or 12.50"), field="amount",
                          value=str(text)[:20]) from None
    if not value.is_finite() or value <= 0 or value >= DUES_MAX or value != value.quantize(Decimal("0.01")):
        raise DomainError(N_("“{value}” is not an amount: type it like 50 or 12.50"), field="amount",
                          value=str(text)[:20])
    return str(value.quantize(Decimal("0.01")))


async def record_dues(svc: Services, actor: Actor, member_id: Any, on: date, amount: Any,
                      note: str | None = None) -> int:
    """A 党费 payment: a DUES contact event with its amount."""
    member = await _active_member(svc, actor, member_id)
    _not_future(on, svc.clock.today())
    value = parse_amount(amount)
    note = _note(note)
    async with svc.db.write(actor.label) as tx:
        return await member_repo.record_contact(tx, member.id, ContactKind.DUES, on, note, amount=value)


def build_transfer(data: dict[str, Any] | Transfer) -> Transfer:
    """A Transfer from a draft, pydantic's errors turned into the first DomainError (e.g. a bad phone)."""
    return build_model(Transfer, data)


async def record_transfer(svc: Services, actor: Actor, data: dict[str, Any] | Transfer) -> int:
    """A transfer out with its 四个清楚 (seed 004 measure 四); tracked until its 回执 comes back."""
    transfer = build_transfer(data)
    member = await _active_member(svc, actor, transfer.member_id)
    _not_future(transfer.sent_on, svc.clock.today())
    if transfer.receipt_on is not None:
        raise DomainError(N_("Record the 回执 when it comes back, not with the transfer"), field="receipt_on")
    if any(t.receipt_on is None for t in await transfer_repo.for_member(svc.db, member.id)):
        raise DomainError(N_("{name} already has a transfer waiting for its 回执"), field="member", name=member.name)
    async with svc.db.write(actor.label) as tx:
        return await transfer_repo.insert(tx, transfer)


async def get_transfer(svc: Services, actor: Actor, transfer_id: Any) -> tuple[Transfer, Member]:
    """A transfer and its member, if the actor manages the member's branch (same refusal otherwise)."""
    try:
        tid = int(transfer_id)
    except (TypeError, ValueError):
        raise not_allowed() from None
    transfer = await transfer_repo.get(svc.db, tid)
    if transfer is None:
        raise not_allowed()
    member = await visible_member(svc, actor, transfer.member_id)
    return transfer, member


async def record_receipt(svc: Services, actor: Actor, transfer_id: Any, on: date,
                         note: str | None = None) -> Transfer:
    """The 回执 came back (seed 000 step 10): the transfer has landed. After a permanent transfer the member
    leaves the branch's active register; a 口袋党员 mark, if any, is lifted."""
    transfer, member = await get_transfer(svc, actor, transfer_id)
    if transfer.receipt_on is not None:
        raise DomainError(N_("The 回执 of this transfer was already recorded on {date}"), field="receipt_on",
                          date=transfer.receipt_on.isoformat())
    _not_future(on, svc.clock.today())
    if on < transfer.sent_on:
        raise DomainError(N_("The 回执 cannot come before the transfer was sent ({date})"), field="date",
                          date=transfer.sent_on.isoformat())
    note = _note(note)
    async with svc.db.write(actor.label) as tx:
        updated = await transfer_repo.record_receipt(tx, transfer.id, on, note)
        if SpecialStatus.POCKET in member.special_statuses:
            member = member.model_copy(update={"special_statuses": [s for s in member.special_statuses
                                                                    if s is not SpecialStatus.POCKET]})
            await member_repo.update(tx, member, action="receipt")
        if transfer.kind is TransferKind.PERMANENT:
            await transfer_repo.mark_landed(tx, member.id)
    return updated


async def transfers_for(svc: Services, actor: Actor, member_id: Any) -> list[Transfer]:
    member = await visible_member(svc, actor, member_id)
    return await transfer_repo.for_member(svc.db, member.id)


async def assign_officer(svc: Services, actor: Actor, member_id: Any, officer_member_id: Any) -> Member:
    """指定专人 (seed 004 measures 二 and 八): a member of the same branch keeps in touch with a flow member."""
    member = await _active_member(svc, actor, member_id)
    officer = await _active_member(svc, actor, officer_member_id)
    if member.flow is None:
        raise DomainError(N_("{name} is not a flow member"), field="member", name=member.name)
    if officer.id == member.id:
        raise DomainError(N_("A member cannot be their own responsible officer"), field="officer")
    if officer.branch_id != member.branch_id:
        raise DomainError(N_("The responsible officer must belong to the same branch"), field="officer")
    updated = member.model_copy(update={"flow": member.flow.model_copy(update={"officer_member_id": officer.id})})
    async with svc.db.write(actor.label) as tx:
        await member_repo.update(tx, updated, action="assign_officer")
    return updated
