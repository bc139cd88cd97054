"""A member's own record (/me) and the branch's 联心卡 (/card, seed 004 measure 六)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.domain.codes import ContactLevel, PartyPost, Role
from bot.domain.errors import NotFound, PermissionDenied
from bot.domain.idcard import parse_id_number
from bot.domain.member import Member
from bot.i18n import N_
from bot.services.context import Actor, Services, require_branch
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo


@dataclass
class MemberView:
    """What /me shows: the record, the branch's name, and the contact columns."""

    member: Member
    branch_name: str
    id_number_masked: str | None
    last_contact_on: date | None
    contact_level: ContactLevel


@dataclass
class CardContact:
    name: str
    role: Role
    mobile: str | None


@dataclass
class BranchCard:
    """The 联心卡: the branch, the officers to call, and the branch's own note (WeChat group, site…)."""

    branch_id: int
    branch_name: str
    parent_name: str | None
    contacts: list[CardContact] = field(default_factory=list)
    note: str | None = None


def mask_id_number(value: str | None) -> str | None:
    """1101**********123X (GB 11643 numbers); anything else fully starred."""
    if not value:
        return None
    try:
        return parse_id_number(value).masked
    except ValueError:
        return "*" * len(value)


async def my_record(services: Services, actor: Actor) -> MemberView:
    """The acting user's own member record. Only ever the actor's own: there is no member id parameter."""
    return view_of(await my_record_row(services, actor))


async def my_record_row(services: Services, actor: Actor) -> Any:
    """my_record's row (bot.storage.members.get_row_with_branch), for a caller that renders it: every
    value shown comes from it (view_of)."""
    if actor.member_id is None:
        raise PermissionDenied(N_("Your account is not linked to a member record"))
    row = await member_repo.get_row_with_branch(services.db, actor.member_id)
    if row is None:
        raise NotFound(N_("Your member record was not found: please tell your branch secretary"))
    return row


def view_of(row: Any) -> MemberView:
    member = member_repo.member_from_row(row)
    last = row["last_contact_on"]
    return MemberView(
        member=member,
        branch_name=row["branch_name"] or "—",
        id_number_masked=mask_id_number(member.id_number),
        last_contact_on=date.fromisoformat(last) if last else None,
        contact_level=ContactLevel.by_code(int(row["contact_level"] or 0)),  # type: ignore[arg-type]
    )


async def branch_card(services: Services, actor: Actor, branch_id: int | None = None) -> BranchCard:
    """The 联心卡 of the actor's own branch, or of a branch the actor manages (officers)."""
    db = services.db
    own_branch = None
    if actor.member_id is not None:
        row = await db.fetchone("SELECT branch_id FROM members WHERE id = ?", (actor.member_id,))
        own_branch = row[0] if row else None
    if branch_id is None:
        branch_id = own_branch
        if branch_id is None:
            raise PermissionDenied(N_("Your account is not linked to a member record"))
    elif branch_id != own_branch:
        await require_branch(db, actor, branch_id)
    branch = await org_repo.get(db, branch_id)
    if branch is None:
        raise NotFound(N_("No such branch"))
    parent = await org_repo.get(db, branch.parent_id) if branch.parent_id else None
    return BranchCard(branch_id=branch_id, branch_name=branch.name, parent_name=parent.name if parent else None,
                      contacts=await _officer_contacts(services, branch_id), note=branch.card_note)


async def _officer_contacts(services: Services, branch_id: int) -> list[CardContact]:
    """The branch secretary and the organizing committee member(s): members holding those roles on
    the branch; if nobody holds the secretary role yet, the member whose 党内职务 is 书记."""
    rows = await services.db.fetchall(
        "SELECT r.role, m.id, m.name, m.mobile FROM roles r JOIN users u ON u.tg_id = r.tg_id"
        " JOIN members m ON m.id = u.member_id WHERE r.org_id = ? AND r.role IN (?, ?) AND m.active = 1"
        " ORDER BY CASE r.role WHEN ? THEN 0 ELSE 1 END, m.name, m.id",
        (branch_id, Role.SECRETARY.value, Role.ORGANIZER.value, Role.SECRETARY.value))
    contacts: list[CardContact] = []
    seen: set[tuple[int, str]] = set()
    for role, member_id, name, mobile in rows:
        if (member_id, role) not in seen:
            seen.add((member_id, role))
            contacts.append(CardContact(name=name, role=Role(role), mobile=mobile))
    if not any(c.role is Role.SECRETARY for c in contacts):
        posts = await services.db.fetchall(
            "SELECT name, mobile FROM members WHERE branch_id = ? AND active = 1"
            " AND json_extract(record, '$.party_post') = ? ORDER BY name, id", (branch_id, PartyPost.SECRETARY.value))
        contacts[:0] = [CardContact(name=n, role=Role.SECRETARY, mobile=m) for n, m in posts]
    return contacts
