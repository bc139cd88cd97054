"""The join link and join requests at the service level (issue 15): matching, the one answer, the throttle,
auto-accept, the secretary's decision, unbinding, and audit rows without personal values."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.domain.codes import OrgCategory, OrgLevel, Role
from bot.domain.errors import DomainError, PermissionDenied
from bot.domain.idcard import check_digit
from bot.domain.member import Member
from bot.domain.org import Organization
from bot.services import invites, joining
from bot.services.context import Actor, Services
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from bot.storage import users as user_repo

WANG_ID = "110105198503120" + "21" + check_digit("11010519850312021")
WANG_MOBILE = "13912345678"
JOINER = 800001


def fictional(first17: str) -> str:
    return first17 + check_digit(first17)


@pytest.fixture
async def world(db, clock):
    """街道党工委 over 创意园党支部 (王XX, 两个 李XX with the same details but one bound) and 另一支部."""
    async with db.write("test") as tx:
        top = await org_repo.add(tx, Organization(name="街道党工委", level=OrgLevel.PRIMARY_COMMITTEE,
                                                  category=OrgCategory.COMMUNITY))
        branch = await org_repo.add(tx, Organization(name="创意园党支部", level=OrgLevel.BRANCH,
                                                     category=OrgCategory.PRIVATE, parent_id=top))
        other = await org_repo.add(tx, Organization(name="另一支部", level=OrgLevel.BRANCH,
                                                    category=OrgCategory.COMMUNITY, parent_id=top))
        wang = await member_repo.insert(tx, Member(branch_id=branch, name="王XX", id_number=WANG_ID,
                                                   mobile=WANG_MOBILE))
        li = await member_repo.insert(tx, Member(branch_id=branch, name="李XX", id_number=fictional("11010519900101033"),
                                                 mobile="13700000001"))
        far = await member_repo.insert(tx, Member(branch_id=other, name="王XX", id_number=fictional("11010519850312044"),
                                                  mobile=WANG_MOBILE))
        await user_repo.grant(tx, 900001, Role.SECRETARY, branch)
        await user_repo.grant(tx, 900002, Role.SECRETARY, other)
    svc = Services(db, clock)
    secretary = Actor("tg:900001", 900001, roles=[(Role.SECRETARY, branch)])
    stranger_sec = Actor("tg:900002", 900002, roles=[(Role.SECRETARY, other)])
    link = await invites.join_link(svc, secretary, branch)
    return svc, dict(top=top, branch=branch, other=other, wang=wang, li=li, far=far), secretary, stranger_sec, link


async def bound_member(db, tg_id):
    user = await user_repo.get_user(db, tg_id)
    return user.member_id if user else None


async def test_a_match_makes_one_request_to_the_branch_secretary_only(world, db):
    svc, ids, secretary, _other, link = world
    outcome = await joining.submit_join(svc, JOINER, link.code, " 王 XX", WANG_ID[-6:].lower(),
                                        "+86 139-1234-5678", account="Wang")
    assert outcome.joined is False and outcome.branch_name == "创意园党支部"
    rows = await db.fetchall("SELECT member_id, tg_id, state FROM join_requests")
    assert [tuple(r) for r in rows] == [(ids["wang"], JOINER, "pending")]
    notes = await db.fetchall("SELECT chat_id, payload FROM outbox WHERE kind = 'join'")
    assert [n[0] for n in notes] == [900001]                      # not 另一支部's secretary
    payload = json.loads(notes[0][1])
    assert "王XX" in payload["text"] and WANG_ID[:4] + "*" * 10 + WANG_ID[-4:] in payload["text"]
    assert WANG_ID not in payload["text"] and WANG_MOBILE not in payload["text"]
    assert [b["callback_data"] for b in payload["buttons"][0]] == ["j:ok:1", "j:no:1"]
    assert await bound_member(db, JOINER) is None                 # nothing bound before the secretary taps

    # The same details again: the same pending request, no second notice.
    await joining.submit_join(svc, JOINER, link.code, "王XX", WANG_ID[-6:], WANG_MOBILE)
    assert (await db.fetchone("SELECT COUNT(*) FROM join_requests"))[0] == 1
    assert (await db.fetchone("SELECT COUNT(*) FROM outbox"))[0] == 1


@pytest.mark.parametrize("name, six, mobile", [
    ("王YY", None, None), ("王XX", "000000", None), ("王XX", None, "13900000000"), ("nobody", "12345X", "139")])
async def test_wrong_details_get_the_same_answer_and_nothing(world, db, name, six, mobile):
    svc, _ids, _sec, _other, link = world
    outcome = await joining.submit_join(svc, JOINER, link.code, name, six or WANG_ID[-6:], mobile or WANG_MOBILE)
    assert outcome == joining.JoinOutcome(False, "创意园党支部")
    assert (await db.fetchone("SELECT COUNT(*) FROM join_requests"))[0] == 0
    assert (await db.fetchone("SELECT COUNT(*) FROM outbox"))[0] == 0
    assert (await db.fetchone("SELECT matched FROM join_attempts"))[0] == 0


def same_last_six(first17: str) -> str:
    """Another valid ID number ending in the same six characters (another birth year, same check digit)."""
    for year in range(1960, 2000):
        candidate = first17[:6] + str(year) + first17[10:]
        if candidate != first17 and check_digit(candidate) == check_digit(first17):
            return fictional(candidate)
    raise AssertionError("no twin found")


async def test_two_matches_or_a_bound_member_are_no_match(world, db):
    svc, ids, secretary, _other, link = world
    li_id = fictional("11010519900101033")
    async with db.write("test") as tx:   # a second 李XX, same last six and mobile
        await member_repo.insert(tx, Member(branch_id=ids["branch"], name="李XX", id_number=same_last_six(li_id[:17]),
                                            mobile="13700000001"))
    await joining.submit_join(svc, JOINER, link.code, "李XX", li_id[-6:], "13700000001")
    assert (await db.fetchone("SELECT COUNT(*) FROM join_requests"))[0] == 0
    # 王XX bound already (an invite): his own details no longer match anyone unbound.
    code = (await invites.member_invite(svc, secretary, ids["wang"])).code
    async with db.write("tg:1") as tx:
        await user_repo.redeem_invite(tx, 700001, code)
    await joining.submit_join(svc, JOINER, link.code, "王XX", WANG_ID[-6:], WANG_MOBILE)
    assert (await db.fetchone("SELECT COUNT(*) FROM join_requests"))[0] == 0
    assert [r[0] for r in await db.fetchall("SELECT matched FROM join_attempts")] == [0, 0]


async def test_the_throttle_per_user_and_per_branch(world, db, clock):
    svc, _ids, _sec, _other, link = world
    for i in range(joining.USER_ATTEMPTS):
        await joining.submit_join(svc, JOINER, link.code, "王XX", f"{i:06d}", WANG_MOBILE)
    with pytest.raises(DomainError) as err:   # even the right details are not tried now
        await joining.submit_join(svc, JOINER, link.code, "王XX", WANG_ID[-6:], WANG_MOBILE)
    assert err.value.message == joining.TOO_MANY
    with pytest.raises(DomainError):
        await joining.start_join(svc, JOINER, link.code)
    assert (await db.fetchone("SELECT COUNT(*) FROM join_requests"))[0] == 0
    clock.advance(minutes=61)
    await joining.submit_join(svc, JOINER, link.code, "王XX", WANG_ID[-6:], WANG_MOBILE)
    assert (await db.fetchone("SELECT COUNT(*) FROM join_requests"))[0] == 1

    # Many accounts guessing through one link: the branch's limit stops them all for an hour.
    clock.advance(minutes=61)
    for n in range(joining.BRANCH_ATTEMPTS):
        await joining.submit_join(svc, 810000 + n // 5, link.code, "王XX", "000000", WANG_MOBILE)
    with pytest.raises(DomainError) as err:
        await joining.submit_join(svc, 820000, link.code, "王XX", "000000", WANG_MOBILE)
    assert err.value.message == joining.BRANCH_BUSY


async def test_revoked_expired_and_renewed_links_refuse(world, db, clock):
    svc, ids, secretary, _other, link = world
    renewed = await invites.join_link(svc, secretary, ids["branch"], renew=True)
    for code in (link.code, "not-a-real-code", "<b>x</b>"):
        with pytest.raises(DomainError) as err:
            await joining.start_join(svc, JOINER, code)
        assert err.value.message == joining.LINK_INVALID
    assert (await joining.start_join(svc, JOINER, renewed.code)).branch_name == "创意园党支部"
    assert await invites.revoke_join_link(svc, secretary, ids["branch"]) is True
    with pytest.raises(DomainError):
        await joining.submit_join(svc, JOINER, renewed.code, "王XX", WANG_ID[-6:], WANG_MOBILE)
    fresh = await invites.join_link(svc, secretary, ids["branch"], days=2)
    clock.advance(days=2, seconds=1)
    with pytest.raises(DomainError):
        await joining.start_join(svc, JOINER, fresh.code)


async def test_the_secretary_accepts_once_and_only_their_own(world, db):
    svc, ids, secretary, other_sec, link = world
    await joining.submit_join(svc, JOINER, link.code, "王XX", WANG_ID[-6:], WANG_MOBILE)
    with pytest.raises(PermissionDenied):
        await joining.decide_join(svc, other_sec, 1, True)
    with pytest.raises(PermissionDenied):
        await joining.decide_join(svc, secretary, 99, True)
    decision = await joining.decide_join(svc, secretary, 1, True)
    assert decision.accepted and decision.member_id == ids["wang"] and decision.tg_id == JOINER
    assert await bound_member(db, JOINER) == ids["wang"]
    with pytest.raises(DomainError) as err:
        await joining.decide_join(svc, secretary, 1, False)
    assert err.value.message == "This request has already been decided"
    [welcome] = await db.fetchall("SELECT payload FROM outbox WHERE chat_id = ?", (JOINER,))
    assert json.loads(welcome[0])["buttons"] == [[{"text": "打开菜单", "callback_data": "c:menu"}]]
    assert await invites.binding(svc, secretary, ids["branch"]) == invites.Binding(ids["branch"], "创意园党支部", 1, 2)


async def test_a_refused_request_binds_nothing(world, db):
    svc, _ids, secretary, _other, link = world
    await joining.submit_join(svc, JOINER, link.code, "王XX", WANG_ID[-6:], WANG_MOBILE)
    decision = await joining.decide_join(svc, secretary, 1, False)
    assert not decision.accepted and await bound_member(db, JOINER) is None
    [note] = await db.fetchall("SELECT payload FROM outbox WHERE chat_id = ?", (JOINER,))
    assert "未被接受" in json.loads(note[0])["text"]


async def test_auto_accept_binds_an_exact_match_at_once(world, db):
    svc, ids, secretary, _other, link = world
    await invites.set_auto_accept(svc, secretary, ids["branch"], True)
    outcome = await joining.submit_join(svc, JOINER, link.code, "王XX", WANG_ID[-6:], WANG_MOBILE)
    assert outcome.joined and outcome.member_id == ids["wang"]
    assert await bound_member(db, JOINER) == ids["wang"]
    with pytest.raises(DomainError) as err:
        await joining.start_join(svc, JOINER, link.code)
    assert err.value.message == joining.ALREADY_BOUND


async def test_unbind_and_invite_again(world, db):
    svc, ids, secretary, other_sec, link = world
    first = await invites.member_invite(svc, secretary, ids["wang"])
    async with db.write("tg:1") as tx:
        await user_repo.redeem_invite(tx, JOINER, first.code)
    with pytest.raises(DomainError):
        await invites.member_invite(svc, secretary, ids["wang"])      # bound: no invite
    with pytest.raises(PermissionDenied):
        await invites.unbind_member(svc, other_sec, ids["wang"])
    assert await invites.unbind_member(svc, secretary, ids["wang"]) is True
    assert await bound_member(db, JOINER) is None
    again = await invites.member_invite(svc, secretary, ids["wang"])
    assert again.new and again.code != first.code
    assert await invites.unbind_member(svc, secretary, ids["wang"]) is False


async def test_audit_rows_hold_no_personal_values(world, db):
    svc, ids, secretary, _other, link = world
    await invites.bulk_invites(svc, secretary, ids["branch"])
    await joining.submit_join(svc, JOINER, link.code, "王XX", WANG_ID[-6:], WANG_MOBILE)
    await joining.submit_join(svc, JOINER + 1, link.code, "王XX", "999999", "13811112222")
    await joining.decide_join(svc, secretary, 1, True)
    rows = await db.fetchall("SELECT entity, action, before, after FROM audit_log WHERE entity IN"
                             " ('invite', 'join_link', 'join_attempt', 'join_request', 'user')")
    text = " ".join(str(tuple(r)) for r in rows)
    assert {r[0] for r in rows} >= {"invite", "join_link", "join_attempt", "join_request", "user"}
    for secret in ("王XX", WANG_ID, WANG_ID[-6:], WANG_MOBILE, "999999", "13811112222", link.code):
        assert secret not in text
    assert sum(1 for r in rows if r[0] == "invite" and r[1] == "create") == 2   # 王XX and 李XX


async def test_committee_users_manage_their_subtree(world, db):
    svc, ids, _secretary, other_sec, _link = world
    committee = Actor("tg:900003", 900003, roles=[(Role.COMMITTEE, ids["top"])])
    sheet = await invites.bulk_invites(svc, committee, ids["other"])
    assert [line.name for line in sheet] == ["王XX"]
    with pytest.raises(PermissionDenied):
        await invites.bulk_invites(svc, other_sec, ids["branch"])
    page = await invites.unbound_page(svc, committee, ids["branch"], name="李")
    assert [line.name for line in page.items] == ["李XX"] and page.total == 1
    assert timedelta(days=7) == sheet[0].expires_at - svc.clock.now()


async def test_the_weekly_digest_says_how_many_are_still_missing(world, db):
    from bot.services.digest import run_digest

    svc, ids, secretary, _other, _link = world
    code = (await invites.member_invite(svc, secretary, ids["wang"])).code
    async with db.write("tg:1") as tx:
        await user_repo.redeem_invite(tx, JOINER, code)
    await run_digest(svc)
    [payload] = await db.fetchall("SELECT payload FROM outbox WHERE kind = 'digest' AND chat_id = 900001")
    # 创意园党支部: 王XX (bound now) and 李XX (not): one of two still missing.
    assert "尚未绑定：2 名党员中有 1 名" in json.loads(payload[0])["text"]
