"""Search attempts (联系查找) as seed 000's 记录表 records them: the 创意园 phone call, the 派出所 registry
visit, the letter after a 老乡's lead — each signed by at least two full members (note 4)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain import disposition
from bot.domain.codes import MemberType, OrgCategory, OrgLevel, Outcome, Role, SearchMethod, SearchResult
from bot.domain.errors import DomainError, PermissionDenied
from bot.domain.idcard import check_digit
from bot.domain.member import Member
from bot.domain.org import Organization
from bot.services import search
from bot.services.context import Actor, Services
from bot.storage import cases as case_repo
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from bot.storage import searches as search_repo


def _id_number(serial: int) -> str:
    first17 = f"33010619850101{serial:03d}"
    return first17 + check_digit(first17)


async def build_world(db):
    """A 党委 over two branches: 创意园 (A) with 王XX lost, 李XX the worker, 陈XX and 赵XX; and branch B."""
    ids: dict[str, int] = {}
    async with db.write("cli:test") as tx:
        committee = await org_repo.add(tx, Organization(name="XX街道党工委", level=OrgLevel.PRIMARY_COMMITTEE,
                                                        category=OrgCategory.COMMUNITY))
        a = await org_repo.add(tx, Organization(name="XX社区XX支部", level=OrgLevel.BRANCH,
                                                category=OrgCategory.COMMUNITY, parent_id=committee))
        b = await org_repo.add(tx, Organization(name="另一支部", level=OrgLevel.BRANCH,
                                                category=OrgCategory.COMMUNITY, parent_id=committee))
        people = [("王XX", a, MemberType.FULL, date(2015, 3, 1)), ("李XX", a, MemberType.FULL, date(2026, 11, 1)),
                  ("陈XX", a, MemberType.FULL, date(2026, 11, 1)), ("赵XX", a, MemberType.FULL, date(2026, 11, 1)),
                  ("周XX", a, MemberType.PROBATIONARY, date(2026, 11, 1)),
                  ("孙XX", b, MemberType.FULL, date(2026, 11, 1)), ("钱XX", b, MemberType.FULL, date(2026, 11, 1))]
        for n, (name, branch, kind, last) in enumerate(people):
            m = Member(branch_id=branch, name=name, member_type=kind, id_number=_id_number(n + 1),
                       joined_on=date(2010, 7, 1), confirmed_on=date(2011, 7, 1) if kind is MemberType.FULL else None)
            ids[name] = await member_repo.insert(tx, m, last_contact_on=last)
    ids.update(committee=committee, a=a, b=b)
    return ids


@pytest.fixture
async def world(db, clock):
    ids = await build_world(db)
    svc = Services(db, clock)
    sec_a = Actor(label="tg:101", tg_id=101, member_id=ids["李XX"], roles=[(Role.SECRETARY, ids["a"])])
    sec_b = Actor(label="tg:202", tg_id=202, member_id=ids["孙XX"], roles=[(Role.SECRETARY, ids["b"])])
    committee = Actor(label="tg:303", tg_id=303, roles=[(Role.COMMITTEE, ids["committee"])])
    return svc, ids, sec_a, sec_b, committee


def attempt(ids, **overrides):
    data = dict(member_id=ids["王XX"], on=date(2026, 11, 20), method=SearchMethod.FORMER_UNIT,
                contacted="办公室办事员陈XX", contact_phone=None,
                narrative="2026年11月20日，支部工作人员李XX打电话至失联党员王XX原工作单位XX创意园，请办公室办事员陈XX"
                          "帮忙提供王XX当前有关情况。陈XX反映，2019年王XX结束了在创意园的经营离开杭州，"
                          "创意园资料库中没有查找到王XX的留存资料。",
                result=SearchResult.NOT_REACHED, signer_ids=[ids["李XX"], ids["陈XX"]])
    data.update(overrides)
    return data


async def test_the_three_seed_examples_are_recorded_as_written(world):
    svc, ids, sec_a, _sec_b, _committee = world
    first = await search.log_search_attempt(svc, sec_a, attempt(ids))
    assert first.case_opened and first.attempt_no == 1

    police = attempt(ids, on=date(2026, 11, 21), method=SearchMethod.POLICE_REGISTRY, contacted="XX派出所户籍民警金XX",
                     contact_phone="0571-87654321",
                     narrative="2026年11月21日，支部工作人员李XX到负责户籍管理的XX派出所调查，请户籍民警金XX在户籍人口和"
                               "外来暂住人口登记信息中查找失联党员王XX的线索，均没有查找到王XX的登记信息。",
                     signer_ids=[ids["李XX"], ids["赵XX"]])
    second = await search.log_search_attempt(svc, sec_a, police)
    assert not second.case_opened and second.case_id == first.case_id and second.attempt_no == 2

    letter = attempt(ids, on=date(2026, 11, 22), method=SearchMethod.RELATIVES, contacted="老乡赵XX",
                     narrative="2026年11月22日，支部工作人员李XX通过与失联党员王XX老乡赵XX取得联系，得到王XX老家的地址，"
                               "立即于11月22日向王XX老家发挂号信，在信中告知党组织的联系方式和寻找他的目的，至今未收到回信。",
                     result=SearchResult.LEAD, signer_ids=[ids["李XX"], ids["陈XX"], ids["赵XX"]])
    third = await search.log_search_attempt(svc, sec_a, letter)
    assert third.attempt_no == 3

    saved = await search_repo.for_case(svc.db, first.case_id)
    assert [a.method for a in saved] == [SearchMethod.FORMER_UNIT, SearchMethod.POLICE_REGISTRY, SearchMethod.RELATIVES]
    assert saved[0].contacted == "办公室办事员陈XX" and "创意园资料库" in saved[0].narrative
    assert saved[1].contact_phone == "0571-87654321"
    assert saved[2].result is SearchResult.LEAD
    assert saved[2].signer_ids == [ids["李XX"], ids["陈XX"], ids["赵XX"]]
    case = await case_repo.get(svc.db, first.case_id)
    assert case.state == disposition.SEARCHING and case.opened_on == date(2026, 11, 20) and case.is_open
    audit = await svc.db.fetchall("SELECT after FROM audit_log WHERE entity = 'search_attempt'")
    assert len(audit) == 3 and "创意园" not in audit[0][0]  # references, not the narrative
    assert await svc.db.verify_audit() == []


async def test_fewer_than_two_signers_is_refused(world):
    svc, ids, sec_a, *_ = world
    with pytest.raises(DomainError) as err:
        await search.log_search_attempt(svc, sec_a, attempt(ids, signer_ids=[ids["李XX"]]))
    assert err.value.field == "signer_ids"
    with pytest.raises(DomainError):   # the same member twice is still one signer
        await search.log_search_attempt(svc, sec_a, attempt(ids, signer_ids=[ids["李XX"], ids["李XX"]]))
    assert (await svc.db.fetchone("SELECT COUNT(*) FROM search_attempts"))[0] == 0
    assert (await svc.db.fetchone("SELECT COUNT(*) FROM cases"))[0] == 0


async def test_a_probationary_signer_is_refused(world):
    svc, ids, sec_a, *_ = world
    with pytest.raises(DomainError) as err:
        await search.log_search_attempt(svc, sec_a, attempt(ids, signer_ids=[ids["李XX"], ids["周XX"]]))
    assert "周XX" in str(err.value)
    assert (await svc.db.fetchone("SELECT COUNT(*) FROM search_attempts"))[0] == 0


async def test_the_sought_member_cannot_sign(world):
    svc, ids, sec_a, *_ = world
    with pytest.raises(DomainError):
        await search.log_search_attempt(svc, sec_a, attempt(ids, signer_ids=[ids["李XX"], ids["王XX"]]))


async def test_secretary_of_a_cannot_touch_branch_b(world):
    svc, ids, sec_a, sec_b, _ = world
    with pytest.raises(PermissionDenied):
        await search.log_search_attempt(svc, sec_b, attempt(ids, signer_ids=[ids["孙XX"], ids["钱XX"]]))
    with pytest.raises(PermissionDenied):   # signers from another branch are refused as well
        await search.log_search_attempt(svc, sec_a, attempt(ids, signer_ids=[ids["李XX"], ids["孙XX"]]))
    with pytest.raises(PermissionDenied):
        await search.attempts_for(svc, sec_b, ids["王XX"])
    with pytest.raises(PermissionDenied) as missing:   # a non-existent id: the very same refusal
        await search.attempts_for(svc, sec_a, 99999)
    with pytest.raises(PermissionDenied) as foreign:
        await search.attempts_for(svc, sec_a, ids["孙XX"])
    assert missing.value.message == foreign.value.message
    stranger = Actor(label="tg:9", tg_id=9)
    with pytest.raises(PermissionDenied):
        await search.log_search_attempt(svc, stranger, attempt(ids))
    assert (await svc.db.fetchone("SELECT COUNT(*) FROM search_attempts"))[0] == 0


async def test_the_committee_above_both_branches_can(world):
    svc, ids, _sec_a, _sec_b, committee = world
    logged = await search.log_search_attempt(svc, committee, attempt(ids))
    assert logged.attempt_no == 1
    b_logged = await search.log_search_attempt(svc, committee, attempt(
        ids, member_id=ids["孙XX"], signer_ids=[ids["钱XX"], ids["李XX"]]))
    assert b_logged.case_id != logged.case_id
    assert len(await search.attempts_for(svc, committee, ids["王XX"])) == 1


async def test_a_future_date_and_empty_fields_are_refused(world):
    svc, ids, sec_a, *_ = world
    with pytest.raises(DomainError):
        await search.log_search_attempt(svc, sec_a, attempt(ids, on=date(2026, 11, 24)))
    with pytest.raises(DomainError):
        await search.log_search_attempt(svc, sec_a, attempt(ids, narrative=""))
    with pytest.raises(DomainError):
        await search.log_search_attempt(svc, sec_a, attempt(ids, narrative="x" * 2001))


async def test_case_steps_record_each_approval(world):
    svc, ids, sec_a, *_ = world
    logged = await search.log_search_attempt(svc, sec_a, attempt(ids))
    async with svc.db.write("tg:101") as tx:
        await case_repo.add_step(tx, logged.case_id, disposition.SEARCHING, disposition.PROPOSED,
                                 Outcome.REMOVED_LAPSED, True, "因通过多方努力联系王XX未果，提出按自行脱党予以除名的初步处理意见",
                                 "tg:101", date(2026, 11, 23))
        await case_repo.set_state(tx, logged.case_id, disposition.PROPOSED, outcome=Outcome.REMOVED_LAPSED)
        await case_repo.add_step(tx, logged.case_id, disposition.PROPOSED, disposition.SEARCHING, None, False,
                                 "请继续查找", "tg:303", date(2026, 11, 23))
    steps = await case_repo.steps(svc.db, logged.case_id)
    assert [(s.from_state, s.to_state, s.approve) for s in steps] == [
        ("searching", "proposed", True), ("proposed", "searching", False)]
    assert steps[0].outcome is Outcome.REMOVED_LAPSED and "自行脱党" in steps[0].opinion
    case = await case_repo.get(svc.db, logged.case_id)
    assert case.state == disposition.PROPOSED and case.outcome is Outcome.REMOVED_LAPSED and case.is_open
