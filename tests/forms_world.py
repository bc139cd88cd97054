"""A fictional committee for the forms tests: XX街道党工委 with 创意园党支部 (非公有制企业 ②) and 社区党支部
(街道社区 ⑦). Every member, date and phone number is made up. The clock stands at 2026-12-02 10:00.

创意园党支部 (who is on which register on the 填表日期 2026-12-01, worked out by hand in the tests):
- 王XX  last 组织生活 2026-03-01; case opened 2026-09-10 (①外出务工经商), the three searches of seed 000's
         examples, 支委会 proposes 自行脱党除名 on 2026-11-25                          → unreachable
- 李XX  last 组织生活 2026-06-01: exactly six months on 2026-12-01                     → on no lost register
                                                                                    (unreachable on 12-02)
- 赵XX  last 组织生活 2026-01-10; case (⑥居住地改变); reached 2026-11-20; born 1990-12-01 → found
- 陈XX  last 组织生活 2026-04-01, attended again 2026-09-01 (five months)              → on no lost register
- 孙XX  “口袋”党员, last 组织生活 2026-11-01                                            → 名册 备注
- 周XX  flowing out to 广东省深圳市 since 2026-03-01, last 组织生活 2026-11-01            → 名册 备注, flow
- 吴XX  预备党员, last 组织生活 2026-02-01, no case, no search                          → unreachable
社区党支部:
- 郑XX  last 组织生活 2025-10-01; case (⑦其他: 长期在外, 下落不明); one search; born 1970-12-02 → unreachable
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.domain.codes import (ContactKind, Education, Gender, LostContactReason, MemberType, Occupation, OrgCategory,
                              OrgLevel, Outcome, SearchMethod, SearchResult, SpecialStatus)
from bot.domain import disposition
from bot.domain.idcard import check_digit
from bot.domain.member import FlowInfo, Member
from bot.domain.org import Organization
from bot.services.context import OPERATOR, Services
from bot.services.records import record_regained
from bot.services.search import log_search_attempt
from bot.storage import cases as case_repo
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
AS_OF = date(2026, 12, 1)
SEED_000 = "../shared/seeds/000_db36cbd8e5f98b73.txt"

# The narratives of seed 000's three worked examples (填表说明 3), after their "XXXX年XX月XX日，".
EXAMPLE_DATES = (date(2026, 9, 15), date(2026, 10, 8), date(2026, 11, 2))
EXAMPLES = (
    "支部工作人员李XX打电话至失联党员王XX原工作单位XX创意园，请办公室办事员陈XX帮忙提供王XX当前有关情况。陈XX反映，"
    "XXXX年王XX结束了在创意园的经营离开杭州，创意园资料库中没有查找到王XX的留存资料。",
    "支部工作人员李XX到负责户籍管理的XX派出所调查，请户籍民警金XX在户籍人口和外来暂住人口登记信息中查找失联党员王XX的线索，"
    "均没有查找到王XX的登记信息。",
    "支部工作人员李XX通过与失联党员王XX老乡赵XX取得联系，得到王XX老家的地址，立即于XX月XX日向王XX老家发挂号信，"
    "在信中告知党组织的联系方式和寻找他的目的，至今未收到回信。",
)
PROPOSAL = "因通过多方努力联系王XX未果，XX街道XX社区XX支部委员会提出对王XX按自行脱党予以除名的初步处理意见。"


def id_number(region: str, born: date, seq: int) -> str:
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


@dataclass
class World:
    committee: int
    branch: int          # 创意园党支部
    community: int       # 社区党支部
    ids: dict[str, int] = field(default_factory=dict)


def _member(branch: int, name: str, born: date, seq: int, **extra) -> Member:
    data = dict(branch_id=branch, name=name, birth_date=born, id_number=id_number("330106", born, seq),
                mobile=f"1380000{seq:04d}", gender=Gender.MALE if seq % 2 else Gender.FEMALE, ethnicity="汉族",
                native_place="浙江省XX县", education=Education.BACHELOR, work_unit="XX创意园",
                joined_on=date(born.year + 20, 7, 1), confirmed_on=date(born.year + 21, 7, 1))
    data.update(extra)
    return Member(**data)


async def build_world(db) -> World:
    svc = Services(db, db.clock)
    async with db.write("test") as tx:
        committee = await org_repo.add(tx, Organization(name="XX街道党工委", level=OrgLevel.PRIMARY_COMMITTEE,
                                                        category=OrgCategory.COMMUNITY))
        branch = await org_repo.add(tx, Organization(name="创意园党支部", level=OrgLevel.BRANCH,
                                                     category=OrgCategory.PRIVATE, parent_id=committee))
        community = await org_repo.add(tx, Organization(name="社区党支部", level=OrgLevel.BRANCH,
                                                        category=OrgCategory.COMMUNITY, parent_id=committee))
        w = World(committee, branch, community)
        people = [
            ("王XX", _member(branch, "王XX", date(1980, 5, 10), 11, confirmed_on=date(2005, 7, 1),
                            joined_on=date(2004, 7, 1), occupation=Occupation.PRIVATE_LEFT), [date(2026, 3, 1)]),
            ("李XX", _member(branch, "李XX", date(1975, 3, 3), 13), [date(2026, 6, 1)]),
            ("赵XX", _member(branch, "赵XX", date(1990, 12, 1), 15, joined_on=date(2015, 12, 2),
                            confirmed_on=date(2016, 12, 2), occupation=Occupation.GRADUATE), [date(2026, 1, 10)]),
            ("陈XX", _member(branch, "陈XX", date(1985, 6, 6), 17, education=Education.COLLEGE),
             [date(2026, 4, 1), date(2026, 9, 1)]),
            ("孙XX", _member(branch, "孙XX", date(1988, 8, 8), 19, special_statuses=[SpecialStatus.POCKET]),
             [date(2026, 11, 1)]),
            ("周XX", _member(branch, "周XX", date(1992, 2, 2), 21, education=Education.POSTGRADUATE,
                            flow=FlowInfo(left_on=date(2026, 3, 1), destination="广东省深圳市")), [date(2026, 11, 1)]),
            ("吴XX", _member(branch, "吴XX", date(2000, 2, 29), 22, member_type=MemberType.PROBATIONARY,
                            joined_on=date(2026, 3, 1), confirmed_on=None, ethnicity="回族", education=Education.SENIOR),
             [date(2026, 2, 1)]),
            ("郑XX", _member(community, "郑XX", date(1970, 12, 2), 23, work_unit="XX社区"), [date(2025, 10, 1)]),
        ]
        for key, m, meetings in people:
            mid = await member_repo.insert(tx, m)
            w.ids[key] = mid
            for d in meetings:
                await member_repo.record_contact(tx, mid, ContactKind.MEETING, d)
        await case_repo.open_case(tx, w.ids["王XX"], date(2026, 9, 10), LostContactReason.MIGRANT_WORK)
        await case_repo.open_case(tx, w.ids["赵XX"], date(2026, 8, 1), LostContactReason.RESIDENCE_CHANGED)
        await case_repo.open_case(tx, w.ids["郑XX"], date(2026, 5, 1), LostContactReason.OTHER, "长期在外，下落不明")
    signers = [w.ids["李XX"], w.ids["陈XX"]]
    methods = (SearchMethod.FORMER_UNIT, SearchMethod.POLICE_REGISTRY, SearchMethod.LETTER)
    whom = ("办公室办事员陈XX", "户籍民警金XX", "老乡赵XX")
    for on, text, method, contacted in zip(EXAMPLE_DATES, EXAMPLES, methods, whom):
        await log_search_attempt(svc, OPERATOR, {
            "member_id": w.ids["王XX"], "on": on, "method": method, "contacted": contacted,
            "contact_phone": "0571-00000000" if method is SearchMethod.FORMER_UNIT else None, "narrative": text,
            "result": SearchResult.NOT_REACHED, "signer_ids": signers})
    await log_search_attempt(svc, OPERATOR, {
        "member_id": w.ids["郑XX"], "on": date(2026, 6, 1), "method": SearchMethod.VISIT, "contacted": "邻居钱XX",
        "narrative": "支部工作人员到郑XX原住址走访，邻居钱XX称其已多年未归。", "result": SearchResult.NOT_REACHED,
        "signer_ids": signers})
    await record_regained(svc, OPERATOR, w.ids["赵XX"], date(2026, 11, 20))
    async with db.write("test") as tx:
        case = await case_repo.open_case_of(tx, w.ids["王XX"])
        await case_repo.add_step(tx, case.id, disposition.SEARCHING, disposition.PROPOSED, Outcome.REMOVED_LAPSED,
                                 True, PROPOSAL, "test", date(2026, 11, 25), step=disposition.S_PROPOSAL)
        await case_repo.set_state(tx, case.id, disposition.PROPOSED, Outcome.REMOVED_LAPSED)
    return w
