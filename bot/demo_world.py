"""The demo's fictional branch: 创意园党支部 under a 街道党工委, a handful of members, and the
Telegram accounts of the demo personas (all data fictional, dates relative to today)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.codes import (
    Education, Gender, MemberType, OrgCategory, OrgLevel, OutflowReason, OutflowType, PartyPost, Role,
)
from bot.domain.dates import add_months
from bot.domain.idcard import check_digit
from bot.domain.member import FlowInfo, Member
from bot.domain.org import Organization
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from bot.storage import users as user_repo
from bot.storage.db import Database


def fictional_id(region: str, birth: date, seq: int) -> str:
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


@dataclass
class DemoAccount:
    """A Telegram account of the demo bound to a member (and maybe a role)."""

    key: str            # "member", "secretary", or another name
    name: str
    member_id: int
    tg_id: int
    mobile: str
    role: Role | None = None


@dataclass
class DemoWorld:
    committee_id: int
    branch_id: int
    accounts: dict[str, DemoAccount]
    members: dict[str, int]


def _members(branch_id: int, today: date) -> list[tuple[str, Member, date | None]]:
    """(key, member, last contact) for each fictional member."""
    return [
        ("secretary", Member(branch_id=branch_id, name="李XX", gender=Gender.FEMALE,
                             id_number=fictional_id("110105", date(1976, 4, 12), 42), mobile="13800000001",
                             residence="北京市朝阳区某街道某小区3号楼", work_unit="创意园管委会 党建办主任",
                             education=Education.BACHELOR, joined_on=date(1999, 6, 30), confirmed_on=date(2000, 7, 1),
                             party_post=PartyPost.SECRETARY), today - timedelta(days=2)),
        ("organizer", Member(branch_id=branch_id, name="周XX", gender=Gender.MALE,
                             id_number=fictional_id("110105", date(1983, 9, 3), 17), mobile="13800000002",
                             work_unit="创意园某文化公司 行政主管", joined_on=date(2008, 5, 4),
                             confirmed_on=date(2009, 5, 4), party_post=PartyPost.COMMITTEE), today - timedelta(days=5)),
        ("member", Member(branch_id=branch_id, name="陈XX", gender=Gender.MALE,
                          id_number=fictional_id("110108", date(1990, 11, 23), 35), mobile="13900000003",
                          residence="北京市海淀区某路8号院", household_register="北京市海淀区",
                          work_unit="创意园某设计工作室 设计师", education=Education.POSTGRADUATE,
                          joined_on=date(2012, 6, 1), confirmed_on=date(2013, 6, 1)), today - timedelta(days=10)),
        ("wang", Member(branch_id=branch_id, name="王XX", gender=Gender.MALE,
                        id_number=fictional_id("410523", date(1988, 2, 14), 51), mobile="13700000004",
                        household_register="河南省某县某乡某村", residence="原住创意园员工宿舍（已退租）",
                        work_unit="创意园某广告公司（已离职）", joined_on=date(2010, 7, 1),
                        confirmed_on=date(2011, 7, 1)), add_months(today, -8)),
        ("zhao", Member(branch_id=branch_id, name="赵XX", gender=Gender.FEMALE,
                        id_number=fictional_id("440305", date(1993, 8, 8), 26), mobile="13600000005",
                        work_unit="深圳某科技公司", joined_on=date(2016, 12, 1), confirmed_on=date(2017, 12, 1),
                        flow=FlowInfo(left_on=add_months(today, -3), destination="广东省深圳市南山区",
                                      outflow_type=OutflowType.OUT_OF_PROVINCE, outflow_reason=OutflowReason.WORK,
                                      inflow_contact="南山区某园区党委 0755-00000000")), add_months(today, -2)),
        ("sun", Member(branch_id=branch_id, name="孙XX", gender=Gender.FEMALE,
                       id_number=fictional_id("110105", date(1998, 1, 20), 63), mobile="13500000006",
                       work_unit="创意园某出版社 编辑", member_type=MemberType.PROBATIONARY,
                       joined_on=date(2026, 3, 1)), today - timedelta(days=20)),
    ]


async def seed(db: Database, today: date, telegram_ids: dict[str, int], language_code: str) -> DemoWorld:
    """Create the org tree, the members, and bind the demo accounts (secretary and organizer roles)."""
    accounts: dict[str, DemoAccount] = {}
    member_ids: dict[str, int] = {}
    async with db.write("demo") as tx:
        committee = await org_repo.add(tx, Organization(name="某街道党工委", level=OrgLevel.PRIMARY_COMMITTEE,
                                                        category=OrgCategory.COMMUNITY))
        branch = await org_repo.add(tx, Organization(
            name="创意园党支部", level=OrgLevel.BRANCH, category=OrgCategory.PRIVATE, parent_id=committee,
            card_note="支部微信群：创意园党员之家（示例）· 网上支部：https://branch.example.org"))
        for key, member, last_contact in _members(branch, today):
            member_ids[key] = await member_repo.insert(tx, member, last_contact_on=last_contact)
            if key in telegram_ids:
                tg_id = telegram_ids[key]
                await user_repo.ensure_user(tx, tg_id)
                await tx.execute("UPDATE users SET member_id = ? WHERE tg_id = ?", (member_ids[key], tg_id))
                await user_repo.seen(tx, tg_id, language_code)
                role = {"secretary": Role.SECRETARY, "organizer": Role.ORGANIZER}.get(key)
                if role is not None:
                    await user_repo.grant(tx, tg_id, role, branch)
                accounts[key] = DemoAccount(key, member.name, member_ids[key], tg_id, member.mobile or "", role)
    return DemoWorld(committee_id=committee, branch_id=branch, accounts=accounts, members=member_ids)
