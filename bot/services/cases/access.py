"""Who may act on a case: the level a step needs (branch / committee / department), held over the case's branch.

A role covers its node and everything below it: a secretary acts for their branch, a committee user for the
branches under their 党委 or 党总支, an `org_dept` user (上一级党委组织部门, granted on an org_department node)
for everything under that department. Callback data is never trusted: each use case loads the case again and
checks here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from bot.domain import disposition
from bot.domain.codes import PolicyVersion, Role
from bot.domain.disposition import LEVEL_LABEL, ROLE_LEVEL
from bot.domain.errors import PermissionDenied
from bot.i18n import N_
from bot.services.context import Actor, Services, require_branch
from bot.services.roster import not_allowed
from bot.services.scan.settings import effective_settings
from bot.storage import cases as case_repo
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo

MIN_ATTEMPTS_KEY = "case_min_attempts"   # per organization node setting (orgs.settings), inherited downwards
MIN_ATTEMPTS_BOUNDS = (1, 10)


@dataclass(frozen=True)
class Acting:
    """The role (and the node it is held on) an actor takes a step in; None for the operator."""

    role: Role | None
    org_id: int | None
    level: str


@dataclass(frozen=True)
class CaseInContext:
    """A case with what the guards need: the member's branch and record row."""

    case: case_repo.Case
    branch_id: int
    member_row: Any


async def load_case(svc: Services, actor: Actor, case_id: Any) -> CaseInContext:
    """The case if the actor may see it (a role on its member's branch or above); else the same refusal
    whether or not it exists."""
    try:
        cid = int(case_id)
    except (TypeError, ValueError):
        raise not_allowed() from None
    case = await case_repo.get(svc.db, cid)
    if case is None:
        raise not_allowed()
    row = await member_repo.get_row(svc.db, case.member_id)
    await require_branch(svc.db, actor, row["branch_id"])
    return CaseInContext(case, row["branch_id"], row)


async def acting_as(svc: Services, actor: Actor, branch_id: int, levels: Iterable[str]) -> Acting:
    """The actor's role at one of `levels` over this branch (the nearest node first); PermissionDenied else."""
    wanted = tuple(levels)
    if actor.operator:
        return Acting(None, None, wanted[0])
    above = await org_repo.ancestors(svc.db, branch_id)
    best: tuple[int, Role, int] | None = None
    for role, org_id in actor.roles:
        if ROLE_LEVEL.get(role) in wanted and org_id in above:
            rank = above.index(org_id)
            if best is None or rank < best[0]:
                best = (rank, role, org_id)
    if best is None:
        raise PermissionDenied(N_("This step is for {level} to take"), field="role",
                               level=LEVEL_LABEL[wanted[0]])
    return Acting(best[1], best[2], ROLE_LEVEL[best[1]])


# Steps before the chain (search, findings, death): the branch, or a committee user doing it at their level.
DATA_ENTRY = (disposition.BRANCH, disposition.COMMITTEE)


async def policy_of(svc: Services, branch_id: int) -> PolicyVersion:
    """2016 or 2019 (the default), as set on the branch or any node above it."""
    return (await effective_settings(svc.db, branch_id)).policy_version


async def min_attempts(svc: Services, branch_id: int) -> int:
    """N signed search attempts before 自行脱党除名: the nearest node's `case_min_attempts`, default 3."""
    for org_id in await org_repo.ancestors(svc.db, branch_id):
        value = (await org_repo.get_settings(svc.db, org_id)).get(MIN_ATTEMPTS_KEY)
        if isinstance(value, int) and MIN_ATTEMPTS_BOUNDS[0] <= value <= MIN_ATTEMPTS_BOUNDS[1]:
            return value
    return disposition.DEFAULT_MIN_ATTEMPTS
