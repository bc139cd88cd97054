"""Bringing a whole branch in: member invites one at a time or for every unbound member, the branch join
link, who is still missing (已绑定 32/50), and unbinding a member who changed Telegram account.

Secretaries, organizers and committee users over the branch may do all of it (`require_branch`); the CLI
operator too. Every invite created, revoked or used is audited by bot.storage.invites without personal values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain.errors import DomainError, NotFound, PermissionDenied
from bot.i18n import N_
from bot.domain.codes import OrgLevel
from bot.services.context import Actor, Services, managed_branches, require_branch
from bot.services.roster import PAGE_SIZE, Page, mask_id
from bot.storage import invites as invite_repo
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from bot.storage.invites import JOIN_PREFIX

MIN_DAYS, MAX_DAYS = 1, 90
JOIN_LINK_DAYS = 30
AUTO_ACCEPT = "join_auto_accept"     # branch setting (orgs.settings): exact matches get in without approval


def deep_link(bot_username: str, payload: str) -> str:
    """The t.me link that opens the bot with /start <payload>."""
    return f"https://t.me/{bot_username.strip().lstrip('@')}?start={payload}"


def join_payload(code: str) -> str:
    return JOIN_PREFIX + code


@dataclass(frozen=True)
class UnboundLine:
    """A member with no Telegram account bound (name and masked ID number only)."""

    id: int
    branch_id: int
    name: str
    masked_id: str


@dataclass(frozen=True)
class InviteLink:
    member_id: int
    name: str
    masked_id: str
    code: str
    expires_at: datetime
    new: bool                 # created now (False: an invite already handed out, printed again)


@dataclass(frozen=True)
class Binding:
    branch_id: int
    branch_name: str
    bound: int
    total: int

    @property
    def missing(self) -> int:
        return self.total - self.bound


@dataclass(frozen=True)
class JoinLink:
    branch_id: int
    branch_name: str
    code: str
    expires_at: datetime
    new: bool

    @property
    def payload(self) -> str:
        return join_payload(self.code)


def _days(days: int) -> int:
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise DomainError(N_("An invite is valid for 1 to 90 days"), field="days")
    return days


def _line(row: Any) -> UnboundLine:
    return UnboundLine(row[0], row[1], row[2], mask_id(row[3]) or "—")


async def require_branch_node(svc: Services, actor: Actor, branch_id: int) -> str:
    """The branch's name if the actor may manage it; the same refusal for one that does not exist."""
    org = await org_repo.get(svc.db, branch_id)
    if org is None:
        if actor.operator:
            raise NotFound(N_("No organization with id {id}"), field="org_id", id=branch_id)
        raise PermissionDenied(N_("You are not allowed to do that"))
    await require_branch(svc.db, actor, branch_id)
    return org.name


async def unbound_page(svc: Services, actor: Actor, branch_id: int, page: int = 0, name: str | None = None,
                       size: int = PAGE_SIZE, *, bound: bool = False) -> Page[UnboundLine]:
    """One page of the branch's members not yet bound (or, `bound`, of those bound), by name; `name` filters
    by a part of it. A page past the end shows the last one."""
    await require_branch_node(svc, actor, branch_id)
    query = (name or "").strip() or None
    page = max(page, 0)
    rows, total = await invite_repo.members_by_binding(svc.db, [branch_id], bound=bound, name_like=query,
                                                       offset=page * size, limit=size)
    if not rows and total:
        page = (total - 1) // size
        rows, total = await invite_repo.members_by_binding(svc.db, [branch_id], bound=bound, name_like=query,
                                                           offset=page * size, limit=size)
    return Page([_line(r) for r in rows], page, total, size)


async def unbound_all(svc: Services, actor: Actor, branch_id: int) -> list[UnboundLine]:
    """Every member of the branch not yet bound, by name."""
    await require_branch_node(svc, actor, branch_id)
    rows, _total = await invite_repo.unbound_members(svc.db, [branch_id])
    return [_line(r) for r in rows]


async def binding(svc: Services, actor: Actor, branch_id: int) -> Binding:
    """How many of the branch's active members are bound to a Telegram account."""
    name = await require_branch_node(svc, actor, branch_id)
    bound, total = (await invite_repo.binding_counts(svc.db, [branch_id]))[branch_id]
    return Binding(branch_id, name, bound, total)


async def bindings(svc: Services, actor: Actor) -> list[Binding]:
    """Bound / active members of every branch the actor manages, by branch name (one grouped query)."""
    visible = set(await managed_branches(svc.db, actor))
    branches = [o for o in await org_repo.all_orgs(svc.db) if o.id in visible and o.level is OrgLevel.BRANCH]
    counts = await invite_repo.binding_counts(svc.db, [o.id for o in branches])
    out = [Binding(o.id, o.name, *counts[o.id]) for o in branches]
    return sorted(out, key=lambda b: (b.branch_name, b.branch_id))


async def _invites_for(svc: Services, actor: Actor, lines: list[UnboundLine], days: int,
                       renew: bool) -> list[InviteLink]:
    """Reuse each member's invite still in force (unless `renew`), create the missing ones: one transaction."""
    now = svc.clock.now()
    expires = now + timedelta(days=_days(days))
    key = invite_repo.code_key(svc.db)
    out: list[InviteLink] = []
    async with svc.db.write(actor.label) as tx:
        ids = [line.id for line in lines]
        if renew:
            await invite_repo.revoke_member_invites(tx, ids, "renewed")
            current: dict[int, tuple[str, str]] = {}
        else:
            current = await invite_repo.outstanding_member_invites(tx, ids, now, key)
        for line in lines:
            if line.id in current:
                code, until = current[line.id]
                out.append(InviteLink(line.id, line.name, line.masked_id, code, datetime.fromisoformat(until),
                                      False))
            else:
                code = await invite_repo.create_member_invite(tx, line.id, expires, key)
                out.append(InviteLink(line.id, line.name, line.masked_id, code, expires, True))
    return out


async def member_invite(svc: Services, actor: Actor, member_id: int, days: int = 7,
                        renew: bool = False) -> InviteLink:
    """The invite link of one member not yet bound (the one already handed out, unless `renew`)."""
    row = await member_repo.get_row(svc.db, int(member_id))
    if row is None:
        if actor.operator:
            raise NotFound(N_("No member with id {id}"), field="member_id", id=member_id)
        raise PermissionDenied(N_("You are not allowed to do that"))
    await require_branch(svc.db, actor, row["branch_id"])
    bound = await svc.db.fetchone("SELECT 1 FROM users WHERE member_id = ?", (row["id"],))
    if bound is not None or not row["active"]:
        raise DomainError(N_("This member is already connected to a Telegram account"), field="member")
    line = UnboundLine(row["id"], row["branch_id"], row["name"], mask_id(row["id_number"]) or "—")
    return (await _invites_for(svc, actor, [line], days, renew))[0]


async def bulk_invites(svc: Services, actor: Actor, branch_id: int, days: int = 7,
                       renew: bool = False) -> list[InviteLink]:
    """An invite for every member of the branch not yet bound, by name. Running it again prints the same
    links (those handed out keep working) unless `renew`, which replaces them all."""
    lines = await unbound_all(svc, actor, branch_id)
    return await _invites_for(svc, actor, lines, days, renew)


async def join_link(svc: Services, actor: Actor, branch_id: int, days: int = JOIN_LINK_DAYS,
                    renew: bool = False) -> JoinLink:
    """The branch's join link for its group chat: the one in force, or a new one (`renew` replaces it)."""
    name = await require_branch_node(svc, actor, branch_id)
    key = invite_repo.code_key(svc.db)
    now = svc.clock.now()
    if not renew:
        current = await invite_repo.active_join_link(svc.db, branch_id, now, key)
        if current is not None:
            return JoinLink(branch_id, name, current[0], datetime.fromisoformat(current[1]), False)
    expires = now + timedelta(days=_days(days))
    async with svc.db.write(actor.label) as tx:
        code = await invite_repo.create_join_link(tx, branch_id, expires, key)
    return JoinLink(branch_id, name, code, expires, True)


async def revoke_join_link(svc: Services, actor: Actor, branch_id: int) -> bool:
    """Stop the branch's join link; False when there was none in force."""
    await require_branch_node(svc, actor, branch_id)
    async with svc.db.write(actor.label) as tx:
        return await invite_repo.revoke_join_links(tx, branch_id) > 0


async def auto_accept(svc: Services, branch_id: int) -> bool:
    return bool((await org_repo.get_settings(svc.db, branch_id)).get(AUTO_ACCEPT))


async def set_auto_accept(svc: Services, actor: Actor, branch_id: int, on: bool) -> bool:
    """Let exact matches through the join link in without a secretary's approval (or not); audited."""
    await require_branch_node(svc, actor, branch_id)
    async with svc.db.write(actor.label) as tx:
        await org_repo.set_settings(tx, branch_id, {AUTO_ACCEPT: bool(on)})
    return bool(on)


async def unbind_member(svc: Services, actor: Actor, member_id: int) -> bool:
    """Detach the member's Telegram account (they changed phone or account) so they can be invited again.
    Their unused invites stop working too. False when the member was not bound."""
    row = await member_repo.get_row(svc.db, int(member_id))
    if row is None:
        raise PermissionDenied(N_("You are not allowed to do that"))
    await require_branch(svc.db, actor, row["branch_id"])
    async with svc.db.write(actor.label) as tx:
        tg_id = await invite_repo.unbind(tx, row["id"])
        await invite_repo.revoke_member_invites(tx, [row["id"]], "unbound")
    return tg_id is not None
