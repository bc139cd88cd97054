"""Search attempts (联系查找) and the lost-contact cases they belong to (seed 000 记录表, seed 004 附件4).

Each attempt is one "第X次联系查找情况": when, how, whom, their phone, what happened, signed by at least
two full members (seed 000 note 4). It is attached to the member's open case, opened on the spot if the
member has none, in the same audited transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


from bot.domain.codes import MemberType
from bot.domain.errors import DomainError
from bot.domain.events import SearchAttempt
from bot.domain.member import build_model
from bot.i18n import N_
from bot.services.context import Actor, Services, require_branch
from bot.services.roster import not_allowed, visible_member
from bot.storage import cases as case_repo
from bot.storage import members as member_repo
from bot.storage import searches as search_repo


@dataclass(frozen=True)
class SearchLogged:
    attempt_id: int
    case_id: int
    case_opened: bool
    attempt_no: int        # 第几次联系查找 within the case


def build_attempt(data: dict[str, Any] | SearchAttempt) -> SearchAttempt:
    """A SearchAttempt from a draft, with pydantic's errors turned into the first DomainError."""
    return build_model(SearchAttempt, data)


async def check_signers(svc: Services, actor: Actor, member_id: int, signer_ids: list[int]) -> list[int]:
    """The signers, deduplicated, if each is an active full member the actor may see, not the sought member."""
    unique = list(dict.fromkeys(int(s) for s in signer_ids))
    if len(unique) < 2:
        raise DomainError(N_("A search record needs at least two signing full members"), field="signer_ids")
    for sid in unique:
        signer = await member_repo.get(svc.db, sid)
        if signer is None:
            raise not_allowed()
        await require_branch(svc.db, actor, signer.branch_id)
        row = await member_repo.get_row(svc.db, sid)
        if not row["active"]:
            raise not_allowed()
        if sid == member_id:
            raise DomainError(N_("The member being sought cannot sign their own search record"), field="signer_ids")
        if signer.member_type is not MemberType.FULL:
            raise DomainError(N_("{name} is a probationary member: only full members sign a search record"),
                              field="signer_ids", name=signer.name)
    return unique


async def log_search_attempt(svc: Services, actor: Actor, data: dict[str, Any] | SearchAttempt) -> SearchLogged:
    """Save one search attempt with its signers, on the member's open lost-contact case (opened if none)."""
    attempt = build_attempt(data)
    member = await visible_member(svc, actor, attempt.member_id)
    today = svc.clock.today()
    if attempt.on > today:
        raise DomainError(N_("{date} is in the future"), field="date", date=attempt.on.isoformat())
    signers = await check_signers(svc, actor, member.id, attempt.signer_ids)
    attempt = attempt.model_copy(update={"signer_ids": signers})
    async with svc.db.write(actor.label) as tx:
        case_id, opened = await case_repo.ensure_open_case(tx, member.id, attempt.on)
        attempt_id = await search_repo.insert(tx, attempt, case_id)
        count = await tx.fetchone("SELECT COUNT(*) FROM search_attempts WHERE case_id = ?", (case_id,))
    return SearchLogged(attempt_id=attempt_id, case_id=case_id, case_opened=opened, attempt_no=int(count[0]))


async def attempts_for(svc: Services, actor: Actor, member_id: Any) -> list[SearchAttempt]:
    """The member's search attempts, oldest first."""
    member = await visible_member(svc, actor, member_id)
    return await search_repo.for_member(svc.db, member.id)


async def open_case(svc: Services, actor: Actor, member_id: Any, on: date | None = None) -> int:
    """Open a lost-contact case for the member (or return the one already open)."""
    member = await visible_member(svc, actor, member_id)
    async with svc.db.write(actor.label) as tx:
        case_id, _ = await case_repo.ensure_open_case(tx, member.id, on or svc.clock.today())
    return case_id


async def cases_for(svc: Services, actor: Actor, member_id: Any) -> list[case_repo.Case]:
    member = await visible_member(svc, actor, member_id)
    return await case_repo.for_member(svc.db, member.id)


@dataclass(frozen=True)
class AttemptRecord:
    """An attempt as the 记录表 prints it: with the signers' names."""

    number: int
    attempt: SearchAttempt
    signer_names: list[str]


async def attempt_records(svc: Services, actor: Actor, member_id: Any) -> list[AttemptRecord]:
    """The member's attempts, numbered in order (第一次, 第二次 …), with who signed each."""
    member = await visible_member(svc, actor, member_id)
    out = []
    for n, attempt in enumerate(await search_repo.for_member(svc.db, member.id), start=1):
        names = []
        for sid in attempt.signer_ids:
            signer = await member_repo.get(svc.db, sid)
            names.append(signer.name if signer else "?")
        out.append(AttemptRecord(n, attempt, names))
    return out
