"""The secretary's view of the register: member list and search, one member's card, and the watch lists
(失控 over one month, 失联 over six months, transfers with no 回执, flow members and where they are).

Every function re-checks the actor's branches: a member id that does not exist and a member of a branch
the actor does not manage are refused with the same message, so a forged id reveals nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, Sequence, TypeVar

from bot.domain.codes import ContactLevel, MemberType
from bot.domain.errors import PermissionDenied
from bot.domain.events import Transfer
from bot.domain.idcard import IdNumber, parse_id_number
from bot.domain.member import Member
from bot.domain.rules import Thresholds, contact_level
from bot.i18n import N_
from bot.services.context import Actor, Services, managed_branches, require_branch
from bot.services.scan.settings import effective_settings
from bot.storage import cases as case_repo
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from bot.storage import transfers as transfer_repo
from bot.storage.db import Database

PAGE_SIZE = 10
T = TypeVar("T")


def not_allowed() -> PermissionDenied:
    return PermissionDenied(N_("You are not allowed to do that"))


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; `page` counts from 0."""

    items: list[T]
    page: int
    total: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def paginate_list(items: Sequence[T], page: int, size: int = PAGE_SIZE) -> Page[T]:
    pages = max(1, -(-len(items) // size))
    page = min(max(0, page), pages - 1)
    return Page(list(items[page * size:(page + 1) * size]), page, len(items), size)


@dataclass(frozen=True)
class MemberSummary:
    """What a list line shows of a member."""

    id: int
    name: str
    branch_id: int
    member_type: MemberType
    level: ContactLevel
    last_contact_on: date | None
    is_flow: bool


@dataclass(frozen=True)
class MemberCard:
    """One member as the secretary sees them (ID number masked, flow block resolved)."""

    member: Member
    branch_name: str
    level: ContactLevel
    last_contact_on: date | None
    last_meeting_on: date | None
    last_dues_on: date | None
    masked_id: str | None
    officer_name: str | None
    open_case_id: int | None
    open_transfer: Transfer | None


@dataclass(frozen=True)
class FlowLine:
    id: int
    name: str
    destination: str
    inflow_place: str | None
    officer_name: str | None
    level: ContactLevel


@dataclass(frozen=True)
class TransferLine:
    transfer: Transfer
    member_name: str


def mask_id(id_number: str | None) -> str | None:
    if not id_number:
        return None
    try:
        return parse_id_number(id_number).masked
    except Exception:  # a stored number is valid; never echo it whole even if not
        return IdNumber(id_number, date.min).masked


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


async def thresholds_for(db: Database, branch_id: int) -> Thresholds:
    """The branch's thresholds (orgs.settings `out_of_control_months` / `lost_months`, inherited from the
    nodes above and bounded as the scan reads them), else seed 004's one month and seed 002's six."""
    return (await effective_settings(db, branch_id)).thresholds


async def visible_member(svc: Services, actor: Actor, member_id: Any) -> Member:
    """The member if the actor manages their branch; otherwise the same refusal whether or not it exists."""
    try:
        mid = int(member_id)
    except (TypeError, ValueError):
        raise not_allowed() from None
    member = await member_repo.get(svc.db, mid)
    if member is None:
        raise not_allowed()
    await require_branch(svc.db, actor, member.branch_id)
    return member


async def require_officer(svc: Services, actor: Actor) -> list[int]:
    """The branches the actor manages; refused if none (a stranger or an ordinary member)."""
    branches = await managed_branches(svc.db, actor)
    if not branches:
        raise not_allowed()
    return branches


async def _summaries(svc: Services, rows: list[Any]) -> list[MemberSummary]:
    today = svc.clock.today()
    cache: dict[int, Thresholds] = {}
    out = []
    for r in rows:
        if r["branch_id"] not in cache:
            cache[r["branch_id"]] = await thresholds_for(svc.db, r["branch_id"])
        last = _d(r["last_contact_on"])
        out.append(MemberSummary(id=r["id"], name=r["name"], branch_id=r["branch_id"],
                                 member_type=MemberType(r["member_type"]),
                                 level=contact_level(last, today, cache[r["branch_id"]]), last_contact_on=last,
                                 is_flow=bool(r["is_flow"])))
    return out


async def list_members(svc: Services, actor: Actor, page: int = 0, name: str | None = None,
                       size: int = PAGE_SIZE) -> Page[MemberSummary]:
    """Active members of the actor's branches, by name; `name` filters by a part of the name."""
    branches = await require_officer(svc, actor)
    page = max(0, page)
    rows, total = await member_repo.list_branch(svc.db, branches, offset=page * size, limit=size,
                                                name_like=(name or "").strip() or None)
    if not rows and total and page:
        page = (total - 1) // size
        rows, total = await member_repo.list_branch(svc.db, branches, offset=page * size, limit=size,
                                                    name_like=(name or "").strip() or None)
    return Page(await _summaries(svc, rows), page, total, size)


async def member_card(svc: Services, actor: Actor, member_id: Any) -> MemberCard:
    """One member's card: contact level, last contacts, flow block, masked ID, open case and transfer."""
    member = await visible_member(svc, actor, member_id)
    row = await member_repo.get_row(svc.db, member.id)
    org = await org_repo.get(svc.db, member.branch_id)
    last = _d(row["last_contact_on"])
    level = contact_level(last, svc.clock.today(), await thresholds_for(svc.db, member.branch_id))
    officer_id = (member.flow.officer_member_id if member.flow else None) or row["officer_id"]
    officer = await member_repo.get(svc.db, officer_id) if officer_id else None
    case = await case_repo.open_case_of(svc.db, member.id)
    open_transfer = next((t for t in await transfer_repo.for_member(svc.db, member.id) if t.receipt_on is None), None)
    return MemberCard(member=member, branch_name=org.name if org else "", level=level, last_contact_on=last,
                      last_meeting_on=_d(row["last_meeting_on"]), last_dues_on=_d(row["last_dues_on"]),
                      masked_id=mask_id(member.id_number), officer_name=officer.name if officer else None,
                      open_case_id=case.id if case else None, open_transfer=open_transfer)


async def _all_active(svc: Services, branches: list[int], extra: str = "") -> list[Any]:
    marks = ",".join("?" * len(branches))
    return await svc.db.fetchall(
        "SELECT id, branch_id, name, member_type, is_flow, record, officer_id, last_contact_on FROM members"
        f" WHERE active = 1 AND branch_id IN ({marks}){extra} ORDER BY name, id", branches)


async def out_of_contact(svc: Services, actor: Actor, level: ContactLevel, page: int = 0,
                         size: int = PAGE_SIZE) -> Page[MemberSummary]:
    """Members at exactly this level today: 失控 (over one month, under six) or 失联 (over six months),
    longest without contact first. Levels are computed from last_contact_on, not the scan's flag, so the
    list is right even before tonight's scan."""
    branches = await require_officer(svc, actor)
    summaries = [s for s in await _summaries(svc, await _all_active(svc, branches)) if s.level is level]
    summaries.sort(key=lambda s: (s.last_contact_on or date.min, s.name, s.id))
    return paginate_list(summaries, page, size)


async def transfers_without_receipt(svc: Services, actor: Actor, page: int = 0,
                                    size: int = PAGE_SIZE) -> Page[TransferLine]:
    """Transfers out with no 回执 yet, oldest first (口袋党员 risk, seed 001)."""
    branches = await require_officer(svc, actor)
    page = max(0, page)
    items, total = await transfer_repo.without_receipt(svc.db, branches, offset=page * size, limit=size)
    if not items and total and page:
        page = (total - 1) // size
        items, total = await transfer_repo.without_receipt(svc.db, branches, offset=page * size, limit=size)
    return Page([TransferLine(t, name) for t, name, _branch in items], page, total, size)


async def flow_members(svc: Services, actor: Actor, page: int = 0, size: int = PAGE_SIZE) -> Page[FlowLine]:
    """Flow members (流动党员): where they went, where they attend, who keeps in touch with them."""
    branches = await require_officer(svc, actor)
    rows = await _all_active(svc, branches, " AND is_flow = 1")
    today = svc.clock.today()
    names = {r["id"]: r["name"] for r in await _all_active(svc, branches)}
    lines = []
    thresholds: dict[int, Thresholds] = {}
    for r in rows:
        if r["branch_id"] not in thresholds:
            thresholds[r["branch_id"]] = await thresholds_for(svc.db, r["branch_id"])
        flow = member_repo.member_from_row(r).flow
        officer_id = (flow.officer_member_id if flow else None) or r["officer_id"]
        officer_name = names.get(officer_id) if officer_id else None
        if officer_id and officer_name is None:
            officer = await member_repo.get(svc.db, officer_id)
            officer_name = officer.name if officer else None
        lines.append(FlowLine(id=r["id"], name=r["name"], destination=flow.destination if flow else "",
                              inflow_place=flow.inflow_place if flow else None, officer_name=officer_name,
                              level=contact_level(_d(r["last_contact_on"]), today, thresholds[r["branch_id"]])))
    return paginate_list(lines, page, size)


async def signable_members(svc: Services, actor: Actor, branch_id: int) -> list[MemberSummary]:
    """Active full members (正式党员) of the branch: who may sign a search record (seed 000 note 4)."""
    await require_branch(svc.db, actor, branch_id)
    rows = await svc.db.fetchall(
        "SELECT id, branch_id, name, member_type, is_flow, last_contact_on FROM members"
        " WHERE active = 1 AND branch_id = ? AND member_type = ? ORDER BY name, id",
        (branch_id, MemberType.FULL.value))
    return await _summaries(svc, rows)


async def branch_members(svc: Services, actor: Actor, branch_id: int) -> list[MemberSummary]:
    """Every active member of one branch (attendance checklists, officer choice)."""
    await require_branch(svc.db, actor, branch_id)
    rows = await _all_active(svc, [branch_id])
    return await _summaries(svc, rows)


async def branches_of(svc: Services, actor: Actor) -> list[tuple[int, str]]:
    """The branches (党支部 level) the actor manages, as (id, name), by name."""
    out = []
    for org_id in await require_officer(svc, actor):
        org = await org_repo.get(svc.db, org_id)
        if org is not None and org.level.value == "branch":
            out.append((org_id, org.name))
    return sorted(out, key=lambda item: (item[1], item[0]))
