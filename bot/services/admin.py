"""Operator use cases: the organization tree, member lookups, invites and roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from bot.domain.codes import OrgCategory, OrgLevel, Role
from bot.domain.errors import DomainError, NotFound, PermissionDenied
from bot.domain.member import Member, validation_errors
from bot.domain.org import Organization
from bot.i18n import N_
from bot.services.context import Actor, Services, managed_branches, require_branch
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from bot.storage import users as user_repo

PAGE_SIZE = 20


def _require_operator(actor: Actor) -> None:
    if not actor.operator:
        raise PermissionDenied(N_("You are not allowed to do that"))


async def get_org(svc: Services, org_id: int) -> Organization:
    """The organization, or NotFound."""
    org = await org_repo.get(svc.db, org_id)
    if org is None:
        raise NotFound(N_("No organization with id {id}"), field="org_id", id=org_id)
    return org


# --- organizations ------------------------------------------------------------------------------------

async def add_org(svc: Services, actor: Actor, name: str, level: OrgLevel, category: OrgCategory,
                  parent_id: int | None = None) -> int:
    """Add a node to the organization tree (operator only); returns its id."""
    _require_operator(actor)
    try:
        org = Organization(name=name.strip(), level=level, category=category, parent_id=parent_id)
    except ValidationError as exc:
        raise validation_errors(exc)[0] from None
    async with svc.db.write(actor.label) as tx:
        return await org_repo.add(tx, org)


@dataclass
class OrgNode:
    org: Organization
    depth: int
    members: int          # active members held directly by this node
    last: bool            # the last child of its parent (for drawing the tree)
    ancestors_last: tuple[bool, ...]


async def org_tree(svc: Services, actor: Actor) -> list[OrgNode]:
    """Every node the actor may see, depth first, children ordered by id."""
    visible = set(await managed_branches(svc.db, actor))
    orgs = [o for o in await org_repo.all_orgs(svc.db) if o.id in visible]
    counts = {r[0]: r[1] for r in await svc.db.fetchall(
        "SELECT branch_id, COUNT(*) FROM members WHERE active = 1 GROUP BY branch_id")}
    ids = {o.id for o in orgs}
    children: dict[int | None, list[Organization]] = {}
    for o in orgs:
        parent = o.parent_id if o.parent_id in ids else None
        children.setdefault(parent, []).append(o)
    out: list[OrgNode] = []

    def walk(parent: int | None, depth: int, trail: tuple[bool, ...]) -> None:
        kids = children.get(parent, [])
        for i, o in enumerate(kids):
            last = i == len(kids) - 1
            out.append(OrgNode(o, depth, counts.get(o.id, 0), last, trail))
            walk(o.id, depth + 1, trail + (last,))

    walk(None, 0, ())
    return out


# --- members ------------------------------------------------------------------------------------------

@dataclass
class MemberPage:
    rows: list[Any]         # member rows (bot.storage.members columns)
    total: int
    page: int
    pages: int


async def list_members(svc: Services, actor: Actor, branch_id: int | None = None, page: int = 1,
                       page_size: int = PAGE_SIZE) -> MemberPage:
    """A page of members of one branch (or of every branch the actor manages), ordered by name."""
    if page < 1:
        raise DomainError(N_("Pages are numbered from 1"), field="page")
    if branch_id is not None:
        await get_org(svc, branch_id)
        await require_branch(svc.db, actor, branch_id)
        branches = [branch_id]
    else:
        branches = await managed_branches(svc.db, actor)
    rows, total = await member_repo.list_branch(svc.db, branches, offset=(page - 1) * page_size, limit=page_size)
    pages = max(1, -(-total // page_size))
    return MemberPage(rows, total, page, pages)


@dataclass
class MemberView:
    member: Member
    row: Any                 # last_contact_on, last_meeting_on, contact_level …
    branch: Organization | None
    tg_id: int | None


async def show_member(svc: Services, actor: Actor, member_id: int) -> MemberView:
    """One member's record, with the branch and the bound Telegram account, if any."""
    row = await member_repo.get_row(svc.db, member_id)
    if row is None:
        raise NotFound(N_("No member with id {id}"), field="member_id", id=member_id)
    member = member_repo.member_from_row(row)
    await require_branch(svc.db, actor, member.branch_id)
    return MemberView(member, row, await org_repo.get(svc.db, member.branch_id),
                      await user_repo.user_for_member(svc.db, member_id))


# --- invites and roles --------------------------------------------------------------------------------

@dataclass
class Invite:
    code: str
    expires_at: datetime
    member_id: int | None
    role: Role | None
    org_id: int | None


async def create_invite(svc: Services, actor: Actor, member_id: int | None = None, role: Role | None = None,
                        org_id: int | None = None, days: int = 7) -> Invite:
    """A one-time invite binding a Telegram account to a member, or granting a role over an org node."""
    if days < 1 or days > 90:
        raise DomainError(N_("An invite is valid for 1 to 90 days"), field="days")
    if member_id is not None:
        if role is not None:
            raise DomainError(N_("An invite is for a member or a role"), field="invite")
        row = await member_repo.get_row(svc.db, member_id)
        if row is None:
            raise NotFound(N_("No member with id {id}"), field="member_id", id=member_id)
        await require_branch(svc.db, actor, row["branch_id"])
    elif role is not None:
        if org_id is None:
            raise DomainError(N_("A role invite names the organization (--org)"), field="org_id")
        _check_role_node(role, (await get_org(svc, org_id)).level)
        _require_operator(actor)   # handing out officer roles stays with the operator
    else:
        raise DomainError(N_("An invite is for a member or a role"), field="invite")
    expires = svc.clock.now() + timedelta(days=days)
    async with svc.db.write(actor.label) as tx:
        code = await user_repo.create_invite(tx, expires, member_id=member_id, role=role,
                                             org_id=org_id if role is not None else None)
    return Invite(code, expires, member_id, role, org_id)


def _check_role_node(role: Role, level: OrgLevel) -> None:
    """The 上一级党委组织部门 role (org_dept) is held on an organization-department node, and only there."""
    if role is Role.ORG_DEPT and level is not OrgLevel.ORG_DEPARTMENT:
        raise DomainError(N_("The organization department role is granted on an organization department node"),
                          field="org_id")


async def set_role(svc: Services, actor: Actor, tg_id: int, role: Role, org_id: int, revoke: bool = False) -> bool:
    """Grant (or revoke) a role over an org node. Returns False when nothing changed."""
    _require_operator(actor)
    org = await get_org(svc, org_id)
    _check_role_node(role, org.level)
    if tg_id <= 0:
        raise DomainError(N_("A Telegram user id is a positive number"), field="tg_id")
    held = await svc.db.fetchone("SELECT 1 FROM roles WHERE tg_id = ? AND role = ? AND org_id = ?",
                                 (tg_id, role.value, org_id))
    if bool(held) != revoke:
        return False
    async with svc.db.write(actor.label) as tx:
        if revoke:
            await user_repo.revoke(tx, tg_id, role, org_id)
        else:
            await user_repo.grant(tx, tg_id, role, org_id)
    return True
