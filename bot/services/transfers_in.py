"""Transfers IN (组织关系转入) and the branch's province: what the 回执 statistics table (seed 001 附件4) needs
besides the transfers out the branch already records."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain.errors import DomainError
from bot.domain.province import canonical
from bot.i18n import N_
from bot.services.context import Actor, Services, require_branch
from bot.services.roster import visible_member
from bot.storage import orgs as org_repo
from bot.storage import transfers as transfer_repo
from bot.storage import transfers_in as repo
from bot.storage.transfers_in import TransferIn

ORG_TEXT_MAX = 200


def _not_future(on: date, today: date) -> None:
    if on > today:
        raise DomainError(N_("{date} is in the future"), field="date", date=on.isoformat())


def _org_text(text: str | None) -> str:
    value = " ".join(str(text or "").split())
    if not value:
        raise DomainError(N_("Name the organization the relationship came from"), field="from_org")
    if len(value) > ORG_TEXT_MAX:
        raise DomainError(N_("That is too long: at most {max} characters"), field="from_org", max=ORG_TEXT_MAX)
    return value


async def record_transfer_in(svc: Services, actor: Actor, member_id: Any, received_on: date, from_org: str,
                             province: str, receipt_sent_on: date | None = None, note: str | None = None) -> int:
    """A member's relationship transferred in: when, from which organization and province, 回执 sent when."""
    member = await visible_member(svc, actor, member_id)
    today = svc.clock.today()
    _not_future(received_on, today)
    if receipt_sent_on is not None:
        _not_future(receipt_sent_on, today)
        if receipt_sent_on < received_on:
            raise DomainError(N_("The 回执 cannot be sent before the relationship arrived"), field="receipt_sent_on")
    t = TransferIn(None, member.id, received_on, _org_text(from_org), canonical(province), receipt_sent_on,
                   (note or "").strip()[:500] or None)
    async with svc.db.write(actor.label) as tx:
        return await repo.insert(tx, t)


async def record_receipt_sent(svc: Services, actor: Actor, transfer_in_id: Any, on: date) -> TransferIn:
    """The 回执 of a transfer in was sent back on `on`."""
    try:
        tid = int(transfer_in_id)
    except (TypeError, ValueError):
        raise DomainError(N_("You are not allowed to do that"), field="transfer") from None
    t = await repo.get(svc.db, tid)
    if t is None:
        raise DomainError(N_("You are not allowed to do that"), field="transfer")
    await visible_member(svc, actor, t.member_id)
    _not_future(on, svc.clock.today())
    if on < t.received_on:
        raise DomainError(N_("The 回执 cannot be sent before the relationship arrived"), field="receipt_sent_on")
    async with svc.db.write(actor.label) as tx:
        return await repo.record_receipt_sent(tx, tid, on)


async def set_transfer_out_province(svc: Services, actor: Actor, transfer_id: Any, province: str) -> str:
    """The province of a transfer out's receiving organization."""
    transfer = await transfer_repo.get(svc.db, int(transfer_id))
    if transfer is None:
        raise DomainError(N_("You are not allowed to do that"), field="transfer")
    await visible_member(svc, actor, transfer.member_id)
    name = canonical(province)
    async with svc.db.write(actor.label) as tx:
        await repo.set_out_province(tx, int(transfer_id), name)
    return name


async def set_province(svc: Services, actor: Actor, org_id: int, province: str) -> str:
    """The province an organization (and, unless they set their own, every node below it) is in."""
    await require_branch(svc.db, actor, org_id)
    name = canonical(province)
    async with svc.db.write(actor.label) as tx:
        await org_repo.set_settings(tx, org_id, {"province": name})
    return name


async def province_of(svc: Services, org_id: int) -> str | None:
    """The node's province: its own setting or the nearest node above it that has one."""
    return await repo.province_lookup(svc.db, org_id)
