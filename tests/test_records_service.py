"""What a secretary records besides searches, and the lists they read: 王XX found again, a 组织生活 of a
sixty-member branch, 党费, a transfer out with its 四个清楚 and its 回执, the 指定专人 of a flow member."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain import disposition
from bot.domain.codes import ContactLevel, MemberType, OrgLevel, Role, SearchMethod, SearchResult
from bot.domain.codes import SpecialStatus, TransferKind
from bot.domain.errors import DomainError, PermissionDenied
from bot.domain.idcard import check_digit
from bot.domain.member import FlowInfo, Member
from bot.domain.org import Organization
from bot.services import records, roster, search
from bot.services.context import Actor, Services
from bot.storage import cases as case_repo
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo


def _id_number(serial: int) -> str:
    first17 = f"11010119900101{serial:03d}"
    return first17 + check_digit(first17)


@pytest.fixture
async def world(db, clock):
    """Committee over branch A (王XX lost since 2015, 李XX the secretary, 刘XX 失控, 吴XX flowing to 深圳,
    and 56 others met this month) and branch B (孙XX)."""
    ids: dict[str, int] = {}
    async with db.write("cli:test") as tx:
        committee = await org_repo.add(tx, Organization(name="XX街道党工委", level=OrgLevel.PRIMARY_COMMITTEE))
        a = await org_repo.add(tx, Organization(name="创意园党支部", level=OrgLevel.BRANCH, parent_id=committee))
        b = await org_repo.add(tx, Organization(name="另一支部", level=OrgLevel.BRANCH, parent_id=committee))
        specs = [("王XX", a, date(2015, 3, 1), None), ("李XX", a, date(2026, 11, 20), None),
                 ("刘XX", a, date(2026, 8, 1), None),
                 ("吴XX", a, date(2026, 11, 1), FlowInfo(left_on=date(2026, 3, 1), destination="广东省深圳市",
                                                        inflow_place="深圳市南山区XX科技园党委")),
                 ("孙XX", b, date(2026, 11, 20), None)]
        specs += [(f"党员{n:02d}", a, date(2026, 11, 10), None) for n in range(56)]
        for n, (name, branch, last, flow) in enumerate(specs):
            m = Member(branch_id=branch, name=name, id_number=_id_number(n + 1), joined_on=date(2012, 7, 1),
                       confirmed_on=date(2013, 7, 1), flow=flow)
            ids[name] = await member_repo.insert(tx, m, last_contact_on=last)
    ids.update(committee=committee, a=a, b=b)
    svc = Services(db, clock)
    sec_a = Actor(label="tg:101", tg_id=101, member_id=ids["李XX"], roles=[(Role.SECRETARY, a)])
    sec_b = Actor(label="tg:202", tg_id=202, member_id=ids["孙XX"], roles=[(Role.SECRETARY, b)])
    committee_actor = Actor(label="tg:303", tg_id=303, roles=[(Role.COMMITTEE, committee)])
    return svc, ids, sec_a, sec_b, committee_actor


def transfer(ids, **overrides):
    data = dict(member_id=ids["吴XX"], kind=TransferKind.TEMPORARY, to_org="深圳市南山区XX科技园党委",
                destination="广东省深圳市南山区XX科技园", phone="138 0013 8000", wechat="wuxx_sz",
                backup_name="吴XX之妻张XX", backup_phone="+86 139-0013-9000", sent_on=date(2026, 11, 2))
    data.update(overrides)
    return data


async def test_contact_regained_moves_the_case_to_reached(world):
    svc, ids, sec_a, *_ = world
    logged = await search.log_search_attempt(svc, sec_a, dict(
        member_id=ids["王XX"], on=date(2026, 11, 20), method=SearchMethod.PHONE, contacted="王XX本人",
        narrative="拨通王XX新号码，本人接听", result=SearchResult.REACHED, signer_ids=[ids["李XX"], ids["党员00"]]))
    regained = await records.record_regained(svc, sec_a, ids["王XX"], date(2026, 11, 21), "王XX在深圳务工，已告知支部联系方式")
    assert regained.case_id == logged.case_id
    case = await case_repo.get(svc.db, logged.case_id)
    # Reached (经查找取得联系): the case stays open for its findings and outcome (issue 10).
    assert case.state == disposition.REACHED and case.regained_on == date(2026, 11, 21) and case.is_open
    row = await member_repo.get_row(svc.db, ids["王XX"])
    assert row["last_contact_on"] == "2026-11-21" and row["contact_level"] == 0
    assert (await case_repo.open_case_of(svc.db, ids["王XX"])).id == logged.case_id
    card = await roster.member_card(svc, sec_a, ids["王XX"])
    assert card.level is ContactLevel.IN_CONTACT and card.open_case_id == logged.case_id


async def test_regained_by_another_branch_is_refused(world):
    svc, ids, _sec_a, sec_b, _ = world
    with pytest.raises(PermissionDenied):
        await records.record_regained(svc, sec_b, ids["王XX"], date(2026, 11, 21))
    assert (await svc.db.fetchone("SELECT COUNT(*) FROM contact_events"))[0] == 0


async def test_attendance_of_sixty_in_one_transaction(world):
    svc, ids, sec_a, *_ = world
    present = [ids[f"党员{n:02d}"] for n in range(56)] + [ids["王XX"], ids["刘XX"], ids["吴XX"], ids["李XX"]]
    count = await records.record_attendance(svc, sec_a, present, date(2026, 11, 22), "11月主题党日")
    assert count == 60
    rows = await svc.db.fetchall("SELECT DISTINCT created_at FROM contact_events WHERE kind = 'meeting'")
    assert len(rows) == 1   # one transaction: one timestamp for all sixty
    row = await member_repo.get_row(svc.db, ids["刘XX"])
    assert row["last_meeting_on"] == "2026-11-22" and row["last_contact_on"] == "2026-11-22"
    assert await svc.db.verify_audit() == []


async def test_attendance_with_one_foreign_member_saves_nothing(world):
    svc, ids, sec_a, *_ = world
    with pytest.raises(PermissionDenied):
        await records.record_attendance(svc, sec_a, [ids["王XX"], ids["孙XX"]], date(2026, 11, 22))
    with pytest.raises(DomainError):
        await records.record_attendance(svc, sec_a, [], date(2026, 11, 22))
    with pytest.raises(DomainError):
        await records.record_attendance(svc, sec_a, [ids["王XX"]], date(2026, 12, 1))
    assert (await svc.db.fetchone("SELECT COUNT(*) FROM contact_events"))[0] == 0


async def test_dues(world):
    svc, ids, sec_a, *_ = world
    await records.record_dues(svc, sec_a, ids["刘XX"], date(2026, 11, 5), "￥30元")
    row = await svc.db.fetchone("SELECT kind, amount FROM contact_events")
    assert (row[0], row[1]) == ("dues", "30.00")
    assert (await member_repo.get_row(svc.db, ids["刘XX"]))["last_dues_on"] == "2026-11-05"
    for bad in ("-5", "0", "abc", "12.345", "1e9", "NaN"):
        with pytest.raises(DomainError):
            records.parse_amount(bad)
    assert records.parse_amount("１２.５") == "12.50"


async def test_transfer_validation_and_receipt(world):
    svc, ids, sec_a, sec_b, _ = world
    with pytest.raises(DomainError) as bad_phone:
        await records.record_transfer(svc, sec_a, transfer(ids, phone="12345"))
    assert bad_phone.value.field == "phone"
    with pytest.raises(DomainError):
        await records.record_transfer(svc, sec_a, transfer(ids, backup_phone="0571-8888888"))
    with pytest.raises(DomainError):
        await records.record_transfer(svc, sec_a, transfer(ids, backup_name=""))
    with pytest.raises(PermissionDenied):
        await records.record_transfer(svc, sec_b, transfer(ids))
    tid = await records.record_transfer(svc, sec_a, transfer(ids))
    with pytest.raises(DomainError):   # one open transfer at a time
        await records.record_transfer(svc, sec_a, transfer(ids))
    pending = await roster.transfers_without_receipt(svc, sec_a)
    assert [(line.member_name, line.transfer.phone) for line in pending.items] == [("吴XX", "13800138000")]
    audit = await svc.db.fetchone("SELECT after FROM audit_log WHERE entity = 'transfer'")
    assert "13800138000" not in audit[0]
    with pytest.raises(PermissionDenied):
        await records.record_receipt(svc, sec_b, tid, date(2026, 11, 20))
    with pytest.raises(DomainError):
        await records.record_receipt(svc, sec_a, tid, date(2026, 11, 1))   # before it was sent
    got = await records.record_receipt(svc, sec_a, tid, date(2026, 11, 20), "接收党委已回执")
    assert got.receipt_on == date(2026, 11, 20)
    assert (await roster.transfers_without_receipt(svc, sec_a)).total == 0
    with pytest.raises(DomainError):
        await records.record_receipt(svc, sec_a, tid, date(2026, 11, 21))
    assert (await member_repo.get_row(svc.db, ids["吴XX"]))["active"] == 1   # temporary: still ours


async def test_permanent_transfer_receipt_lifts_pocket_and_leaves_register(world):
    svc, ids, sec_a, *_ = world
    m = await member_repo.get(svc.db, ids["刘XX"])
    async with svc.db.write("cli:test") as tx:
        await member_repo.update(tx, m.model_copy(update={"special_statuses": [SpecialStatus.POCKET]}))
    tid = await records.record_transfer(svc, sec_a, transfer(ids, member_id=ids["刘XX"], kind=TransferKind.PERMANENT))
    await records.record_receipt(svc, sec_a, tid, date(2026, 11, 23))
    assert SpecialStatus.POCKET not in (await member_repo.get(svc.db, ids["刘XX"])).special_statuses
    assert (await member_repo.get_row(svc.db, ids["刘XX"]))["active"] == 0
    names = [s.name for s in (await roster.list_members(svc, sec_a, name="刘")).items]
    assert names == []


async def test_responsible_officer_for_a_flow_member(world):
    svc, ids, sec_a, sec_b, _ = world
    updated = await records.assign_officer(svc, sec_a, ids["吴XX"], ids["党员03"])
    assert updated.flow.officer_member_id == ids["党员03"]
    assert (await member_repo.get_row(svc.db, ids["吴XX"]))["officer_id"] == ids["党员03"]
    flows = await roster.flow_members(svc, sec_a)
    assert [(f.name, f.destination, f.officer_name) for f in flows.items] == [("吴XX", "广东省深圳市", "党员03")]
    with pytest.raises(DomainError):
        await records.assign_officer(svc, sec_a, ids["刘XX"], ids["党员03"])   # not a flow member
    with pytest.raises(PermissionDenied):
        await records.assign_officer(svc, sec_a, ids["吴XX"], ids["孙XX"])     # officer of another branch
    with pytest.raises(PermissionDenied):
        await records.assign_officer(svc, sec_b, ids["吴XX"], ids["孙XX"])


async def test_lists_out_of_contact_and_pagination(world):
    svc, ids, sec_a, sec_b, committee = world
    lost = await roster.out_of_contact(svc, sec_a, ContactLevel.LOST)
    assert [s.name for s in lost.items] == ["王XX"]
    out = await roster.out_of_contact(svc, sec_a, ContactLevel.OUT_OF_CONTROL)
    assert [s.name for s in out.items] == ["刘XX"]
    async with svc.db.write("cli:test") as tx:   # a branch that counts 失联 from three months
        await org_repo.set_settings(tx, ids["a"], {"lost_months": 3})
    lost = await roster.out_of_contact(svc, sec_a, ContactLevel.LOST)
    assert [s.name for s in lost.items] == ["王XX", "刘XX"]
    first = await roster.list_members(svc, sec_a)
    assert first.total == 60 and first.pages == 6 and len(first.items) == 10
    last = await roster.list_members(svc, sec_a, page=99)
    assert last.page == 5 and len(last.items) == 10
    assert (await roster.list_members(svc, sec_b)).total == 1
    assert (await roster.list_members(svc, committee)).total == 61
    assert [s.name for s in (await roster.list_members(svc, sec_a, name="王")).items] == ["王XX"]
    assert (await roster.list_members(svc, sec_a, name="%")).total == 0


async def test_member_card_masks_the_id_number(world):
    svc, ids, sec_a, sec_b, _ = world
    card = await roster.member_card(svc, sec_a, ids["王XX"])
    assert card.masked_id == _id_number(1)[:4] + "*" * 10 + _id_number(1)[-4:]
    assert card.level is ContactLevel.LOST and card.branch_name == "创意园党支部"
    with pytest.raises(PermissionDenied):
        await roster.member_card(svc, sec_b, ids["王XX"])
    with pytest.raises(PermissionDenied):
        await roster.member_card(svc, sec_a, "1 OR 1=1")
    with pytest.raises(PermissionDenied):
        await roster.list_members(svc, Actor(label="tg:5", tg_id=5, member_id=ids["刘XX"]))


async def test_signable_members_are_full_members_of_the_branch(world):
    svc, ids, sec_a, sec_b, _ = world
    m = await member_repo.get(svc.db, ids["党员00"])
    async with svc.db.write("cli:test") as tx:
        await member_repo.update(tx, m.model_copy(update={"member_type": MemberType.PROBATIONARY,
                                                          "confirmed_on": None}))
    names = [s.name for s in await roster.signable_members(svc, sec_a, ids["a"])]
    assert "党员00" not in names and "李XX" in names and "孙XX" not in names
    with pytest.raises(PermissionDenied):
        await roster.signable_members(svc, sec_b, ids["a"])
