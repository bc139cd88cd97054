"""Use cases: the node at a glance (/stats, `branchbot stats`) and the committee's per-branch table.

Officers see their nodes: a secretary their branch, a committee user any node of its subtree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from bot.domain.rules import Thresholds
from bot.domain.summary_rules import level_bounds
from bot.domain.errors import NotFound, PermissionDenied
from bot.i18n import N_
from bot.services.context import Actor, Services, require_branch
from bot.storage import node_stats
from bot.storage import orgs as org_repo

NEGLECT_DAYS = 30


async def require_node(svc: Services, actor: Actor, org_id: int) -> None:
    """An officer of the node or of a node above it (or the operator); members and strangers are refused."""
    if await org_repo.get(svc.db, org_id) is None:
        raise NotFound(N_("No organization with id {id}"), field="org", id=org_id)
    if not actor.operator and not actor.roles:
        raise PermissionDenied(N_("You are not allowed to do that"))
    await require_branch(svc.db, actor, org_id)


@dataclass
class NodeStats:
    """What /stats shows for a node on a day."""

    org_id: int
    org_name: str
    as_of: date
    members: int
    in_contact: int
    out_of_control: int
    lost: int
    flow: int
    transfers_without_receipt: int
    open_cases: dict[str, int] = field(default_factory=dict)
    attempts_this_month: int = 0

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        return data


@dataclass
class BranchNeglect:
    branch_id: int
    name: str
    lost: int
    unsearched: int     # 失联 with no search attempt in the last NEGLECT_DAYS days


async def node_stats_for(svc: Services, actor: Actor, org_id: int, as_of: date | None = None) -> NodeStats:
    """Members; in contact / 失控 / 失联 (the scan's rule, `rules.contact_level`); flow members; transfers
    with no 回执; open cases by the step they wait at; search attempts this calendar month up to `as_of`."""
    await require_node(svc, actor, org_id)
    at = as_of or svc.clock.today()
    org = await org_repo.get(svc.db, org_id)
    lost_before, ooc_before = level_bounds(at, Thresholds())
    counts = await node_stats.contact_counts(svc.db, org_id, lost_before, ooc_before)
    return NodeStats(
        org_id=org_id, org_name=org.name, as_of=at, members=counts["members"], in_contact=counts["in_contact"],
        out_of_control=counts["out_of_control"], lost=counts["lost"], flow=counts["flow"],
        transfers_without_receipt=await node_stats.open_transfers(svc.db, org_id, at),
        open_cases=await node_stats.open_cases_by_state(svc.db, org_id),
        attempts_this_month=await node_stats.attempts_between(svc.db, org_id, at.replace(day=1), at))


async def branches_needing_search(svc: Services, actor: Actor, org_id: int, as_of: date | None = None,
                                  offset: int = 0, limit: int = 10) -> tuple[list[BranchNeglect], int]:
    """The node's branches ranked by 失联 members with no search attempt in the last 30 days (a page of them,
    and how many branches there are)."""
    await require_node(svc, actor, org_id)
    at = as_of or svc.clock.today()
    lost_before, _ = level_bounds(at, Thresholds())
    rows, total = await node_stats.branches_by_neglect(svc.db, org_id, lost_before,
                                                       at - timedelta(days=NEGLECT_DAYS - 1), offset, limit)
    return [BranchNeglect(r["branch_id"], r["name"], int(r["lost"] or 0), int(r["unsearched"] or 0))
            for r in rows], total


@dataclass
class LostLine:
    member_id: int
    name: str
    last_contact_on: str | None


async def lost_members_of_branch(svc: Services, actor: Actor, branch_id: int, as_of: date | None = None,
                                 offset: int = 0, limit: int = 10) -> tuple[str, list[LostLine], int]:
    """One branch's 失联 members (the committee's table opens it): the branch name, a page, the count."""
    await require_node(svc, actor, branch_id)
    at = as_of or svc.clock.today()
    lost_before, _ = level_bounds(at, Thresholds())
    org = await org_repo.get(svc.db, branch_id)
    rows, total = await node_stats.lost_members(svc.db, branch_id, lost_before, offset, limit)
    return org.name, [LostLine(r["id"], r["name"], r["last_contact_on"]) for r in rows], total


async def nodes_of(svc: Services, actor: Actor) -> list[tuple[int, str, str]]:
    """The nodes the actor holds a role on, highest level first: (id, name, level)."""
    out = {}
    for _role, org_id in actor.roles:
        org = await org_repo.get(svc.db, org_id)
        if org is not None:
            out[org_id] = (org_id, org.name, org.level.value)
    from bot.domain.codes import OrgLevel

    return sorted(out.values(), key=lambda n: (-OrgLevel(n[2]).code, n[1], n[0]))


async def visible_nodes(svc: Services, actor: Actor) -> list[tuple[int, str]]:
    """Every node the actor may report on: the nodes of their roles and all below them, higher levels
    first (one recursive query per role node)."""
    from bot.domain.codes import OrgLevel

    seen: dict[int, tuple[int, str, int]] = {}
    for org_id, _name, _level in await nodes_of(svc, actor):
        for nid in await org_repo.descendants(svc.db, org_id):
            if nid not in seen:
                org = await org_repo.get(svc.db, nid)
                seen[nid] = (nid, org.name, org.level.code)
    return [(nid, name) for nid, name, _code in sorted(seen.values(), key=lambda n: (-n[2], n[1], n[0]))]
