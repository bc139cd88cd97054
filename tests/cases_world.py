"""A fictional world for the disposition tests: a county 组织部 over a 街道党工委 over two branches, and a second
county beside it (outside everyone's subtree). Branch A has 王XX and 刘XX out of contact since 2025, 周XX a
预备党员 also lost, 吴XX gone abroad, and the full members who sign the search records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.domain.codes import MemberType, OrgCategory, OrgLevel, Role, SearchMethod, SearchResult
from bot.domain.idcard import check_digit
from bot.domain.member import Member
from bot.domain.org import Organization
from bot.services.cases import search_steps
from bot.services.context import Actor, Services
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from bot.storage import users as user_repo

LOST_SINCE = date(2025, 12, 1)      # 王XX's last 组织生活: over six months before 2026-11-23


def id_number(serial: int) -> str:
    first17 = f"33010619850101{serial:03d}"
    return first17 + check_digit(first17)


@dataclass
class World:
    svc: Services
    ids: dict[str, int]
    sec: Actor = field(default=None)            # 李XX, secretary of branch A (tg 101)
    sec_b: Actor = field(default=None)          # secretary of branch B (tg 202)
    committee: Actor = field(default=None)      # 街道党工委 user (tg 303)
    dept: Actor = field(default=None)           # 县委组织部 user (tg 404)
    other_dept: Actor = field(default=None)     # the other county's 组织部 (tg 505)
    other_committee: Actor = field(default=None)  # the other county's 党委 (tg 606)


PEOPLE = [  # name, branch key, type, last contact
    ("王XX", "a", MemberType.FULL, LOST_SINCE), ("刘XX", "a", MemberType.FULL, LOST_SINCE),
    ("周XX", "a", MemberType.PROBATIONARY, LOST_SINCE), ("吴XX", "a", MemberType.FULL, LOST_SINCE),
    ("李XX", "a", MemberType.FULL, date(2026, 11, 1)), ("陈XX", "a", MemberType.FULL, date(2026, 11, 1)),
    ("赵XX", "a", MemberType.FULL, date(2026, 11, 1)), ("钱XX", "a", MemberType.FULL, date(2026, 11, 1)),
    ("孙XX", "a", MemberType.FULL, date(2026, 11, 1)), ("郑XX", "b", MemberType.FULL, date(2026, 11, 1)),
    ("冯XX", "c", MemberType.FULL, date(2026, 11, 1)),
]
# 应到 at branch A's 党员大会: the full members on its register (王 刘 吴 李 陈 赵 钱 孙), 周XX having no vote.
VOTERS_A = 8

USERS = [  # tg id, member name or None, role, org key
    (101, "李XX", Role.SECRETARY, "a"), (202, "郑XX", Role.SECRETARY, "b"), (303, None, Role.COMMITTEE, "committee"),
    (404, None, Role.ORG_DEPT, "dept"), (505, None, Role.ORG_DEPT, "dept2"), (606, None, Role.COMMITTEE, "committee2"),
]


async def build(db: Any, clock: Any) -> World:
    ids: dict[str, int] = {}
    async with db.write("cli:test") as tx:
        def org(name: str, level: OrgLevel, parent: int | None) -> Organization:
            return Organization(name=name, level=level, category=OrgCategory.COMMUNITY, parent_id=parent)
        ids["dept"] = await org_repo.add(tx, org("XX县委组织部", OrgLevel.ORG_DEPARTMENT, None))
        ids["committee"] = await org_repo.add(tx, org("XX街道党工委", OrgLevel.PRIMARY_COMMITTEE, ids["dept"]))
        ids["a"] = await org_repo.add(tx, org("XX社区XX支部", OrgLevel.BRANCH, ids["committee"]))
        ids["b"] = await org_repo.add(tx, org("创意园支部", OrgLevel.BRANCH, ids["committee"]))
        ids["dept2"] = await org_repo.add(tx, org("YY县委组织部", OrgLevel.ORG_DEPARTMENT, None))
        ids["committee2"] = await org_repo.add(tx, org("YY镇党委", OrgLevel.PRIMARY_COMMITTEE, ids["dept2"]))
        ids["c"] = await org_repo.add(tx, org("YY村支部", OrgLevel.BRANCH, ids["committee2"]))
        for n, (name, key, kind, last) in enumerate(PEOPLE):
            m = Member(branch_id=ids[key], name=name, member_type=kind, id_number=id_number(n + 1),
                       joined_on=date(2010, 7, 1), confirmed_on=date(2011, 7, 1) if kind is MemberType.FULL else None)
            ids[name] = await member_repo.insert(tx, m, last_contact_on=last)
        for tg, member, role, key in USERS:
            await user_repo.ensure_user(tx, tg)
            if member:
                await tx.execute("UPDATE users SET member_id = ?, locale = 'zh_CN' WHERE tg_id = ?", (ids[member], tg))
            else:
                await tx.execute("UPDATE users SET locale = 'en' WHERE tg_id = ?", (tg,))
            await user_repo.grant(tx, tg, role, ids[key])
    w = World(Services(db, clock), ids)
    actors = {}
    for tg, member, role, key in USERS:
        actors[tg] = Actor(label=f"tg:{tg}", tg_id=tg, member_id=ids[member] if member else None,
                           roles=[(role, ids[key])])
    w.sec, w.sec_b, w.committee, w.dept, w.other_dept, w.other_committee = (actors[t] for t in (101, 202, 303, 404, 505, 606))
    return w


def attempt_data(w: World, name: str, on: date, method: SearchMethod = SearchMethod.PHONE,
                 result: SearchResult = SearchResult.NOT_REACHED, **kw: Any) -> dict[str, Any]:
    data = dict(member_id=w.ids[name], on=on, method=method, contacted="原工作单位办事员陈XX",
                contact_phone="0571-8888XXXX", narrative=f"{on.isoformat()} 联系查找{name}，未果",
                result=result, signer_ids=[w.ids["陈XX"], w.ids["赵XX"]])
    data.update(kw)
    return data


async def search_in_vain(w: World, name: str, times: int = 3) -> int:
    """The 创意园 phone call, the 派出所 registry visit, the letter to the hometown …: all in vain. Case id."""
    methods = [SearchMethod.FORMER_UNIT, SearchMethod.POLICE_REGISTRY, SearchMethod.LETTER, SearchMethod.RELATIVES]
    logged = None
    for n in range(times):
        logged = await search_steps.attempt(w.svc, w.sec, attempt_data(w, name, date(2026, 10, 1 + 7 * n),
                                                                       methods[n % len(methods)]))
    assert logged is not None
    return logged.case_id
