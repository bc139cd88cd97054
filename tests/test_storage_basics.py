from datetime import date

from bot.domain.codes import ContactKind, OrgCategory, OrgLevel
from bot.domain.member import Member
from bot.domain.org import Organization
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo


async def test_migrations_are_idempotent(db):
    assert await db.migrate() == []
    row = await db.fetchone("PRAGMA journal_mode")
    assert row[0] == "wal"
    assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1


async def test_member_round_trip_and_contact_moves_forward_only(db):
    async with db.write("cli:test") as tx:
        branch = await org_repo.add(tx, Organization(name="创意园党支部", level=OrgLevel.BRANCH,
                                                     category=OrgCategory.PRIVATE))
        mid = await member_repo.insert(tx, Member(branch_id=branch, name="王XX", joined_on=date(2005, 7, 1),
                                                  confirmed_on=date(2006, 7, 1)))
        await member_repo.record_contact(tx, mid, ContactKind.MEETING, date(2026, 3, 1))
        await member_repo.record_contact(tx, mid, ContactKind.DUES, date(2026, 1, 5))
    row = await member_repo.get_row(db, mid)
    assert row["last_contact_on"] == "2026-03-01"
    assert row["last_meeting_on"] == "2026-03-01"
    assert row["last_dues_on"] == "2026-01-05"
    m = await member_repo.get(db, mid)
    assert m.name == "王XX" and m.branch_id == branch
    assert await db.verify_audit() == []
