"""The e2e world for lost-contact cases: the harness's 街道党工委 put under a county 组织部, branch 创意园党支部 with
王XX (lost since 2025-12-01), 周XX (预备党员, lost), 吴XX (gone abroad) and the full members who sign; a
secretary (李XX, Chinese), a committee user and an org_dept user (English), bound through real invites."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.domain.codes import MemberType, OrgCategory, OrgLevel, Role, SearchMethod, SearchResult
from bot.domain.org import Organization
from bot.services.cases import search_steps
from bot.services.context import Services, actor_for
from bot.storage import orgs as org_repo

LOST = date(2025, 12, 1)
RECENT = date(2026, 11, 1)


@dataclass
class CasesWorld:
    ids: dict[str, int]
    secretary: Any
    committee: Any
    dept: Any
    svc: Services


async def setup(env: Any) -> CasesWorld:
    async with env.db.write("e2e") as tx:
        dept = await org_repo.add(tx, Organization(name="XX县委组织部", level=OrgLevel.ORG_DEPARTMENT,
                                                   category=OrgCategory.GOVERNMENT))
        await tx.execute("UPDATE orgs SET parent_id = ? WHERE id = ?", (dept, env.committee_id))
    ids: dict[str, int] = {"dept": dept}
    for name, kind, last in (("王XX", MemberType.FULL, LOST), ("周XX", MemberType.PROBATIONARY, LOST),
                             ("吴XX", MemberType.FULL, LOST), ("陈XX", MemberType.FULL, RECENT),
                             ("赵XX", MemberType.FULL, RECENT), ("钱XX", MemberType.FULL, RECENT)):
        ids[name] = await env.add_member(name, member_type=kind, last_contact_on=last, joined_on=date(2010, 7, 1),
                                         confirmed_on=date(2011, 7, 1) if kind is MemberType.FULL else None)
    secretary = await env.add_secretary("李XX", last_contact_on=RECENT, joined_on=date(2010, 7, 1),
                                        confirmed_on=date(2011, 7, 1))
    committee = await env.add_committee_user(language_code="en", first_name="Committee")
    dept_user = env.user("Dept", "en")
    await env.say(dept_user, "/start " + await env.invite(role=Role.ORG_DEPT, org_id=dept))
    return CasesWorld(ids, secretary, committee, dept_user, Services(env.db, env.clock))


async def searched_in_vain(env: Any, w: CasesWorld, name: str, times: int = 3) -> int:
    """The 创意园 call, the 派出所 registry, a letter home — entered through the services (proved in the CLI
    and service tests), signed by 陈XX and 赵XX. Returns the case id."""
    actor = await actor_for(env.db, w.secretary.id)
    methods = (SearchMethod.FORMER_UNIT, SearchMethod.POLICE_REGISTRY, SearchMethod.LETTER)
    logged = None
    for n in range(times):
        logged = await search_steps.attempt(w.svc, actor, dict(
            member_id=w.ids[name], on=date(2026, 10, 1 + 7 * n), method=methods[n % 3], contacted="办事员陈XX",
            narrative=f"第{n + 1}次查找{name}，未果", result=SearchResult.NOT_REACHED,
            signer_ids=[w.ids["陈XX"], w.ids["赵XX"]]))
    assert logged is not None
    return logged.case_id
