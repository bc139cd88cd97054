"""The audit trail: written with every change, in the same transaction, and tampering behind the
repositories' back (a raw sqlite3 connection to the same file) is named for what it is."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import date

import pytest

from bot.domain.codes import ContactKind, OrgCategory, OrgLevel
from bot.domain.idcard import check_digit
from bot.domain.member import Member
from bot.domain.org import Organization
from bot.storage import Database
from bot.storage import audit as audit_mod
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from tests.conftest import AUDIT_KEY

WANG_ID = "33010619850312123" + check_digit("33010619850312123")


async def build_history(db: Database) -> dict[str, int]:
    """The 创意园 branch, 王XX and 李XX, and the contacts of a spring: eight audit rows, one per write."""
    async with db.write("cli:secretary") as tx:
        committee = await org_repo.add(tx, Organization(name="XX街道党工委", level=OrgLevel.PRIMARY_COMMITTEE,
                                                        category=OrgCategory.COMMUNITY))
    async with db.write("cli:secretary") as tx:
        branch = await org_repo.add(tx, Organization(name="创意园党支部", level=OrgLevel.BRANCH,
                                                     category=OrgCategory.PRIVATE, parent_id=committee))
    async with db.write("tg:1001") as tx:
        wang = await member_repo.insert(tx, Member(branch_id=branch, name="王XX", id_number=WANG_ID,
                                                   mobile="13812345678", joined_on=date(2005, 7, 1),
                                                   confirmed_on=date(2006, 7, 1)))
    async with db.write("tg:1001") as tx:
        li = await member_repo.insert(tx, Member(branch_id=branch, name="李XX", joined_on=date(2010, 7, 1),
                                                 confirmed_on=date(2011, 7, 1)))
    for kind, on in [(ContactKind.MEETING, date(2026, 3, 1)), (ContactKind.DUES, date(2026, 3, 5)),
                     (ContactKind.MEETING, date(2026, 4, 1)), (ContactKind.DUES, date(2026, 5, 23))]:
        async with db.write("tg:1001") as tx:
            await member_repo.record_contact(tx, wang, kind, on)
    return {"committee": committee, "branch": branch, "wang": wang, "li": li}


def raw(db: Database, drop_triggers: bool = True) -> sqlite3.Connection:
    """A connection that goes around the repositories, as someone with the file would."""
    conn = sqlite3.connect(db.path, isolation_level=None)
    if drop_triggers:
        conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    return conn


async def audit_ids(db: Database) -> list[int]:
    return [r[0] for r in await db.fetchall("SELECT id FROM audit_log ORDER BY id")]


# --- an honest history -----------------------------------------------------------------------------------

async def test_a_fresh_database_has_a_sealed_empty_chain(db):
    head = await db.fetchone("SELECT last_id, last_hash, mac FROM audit_head")
    assert tuple(head) == (0, audit_mod.GENESIS, audit_mod.head_mac(AUDIT_KEY, 0, audit_mod.GENESIS))
    assert await db.verify_audit() == []


async def test_an_untouched_chain_verifies_clean(db):
    await build_history(db)
    assert await audit_ids(db) == list(range(1, 9))
    assert await db.verify_audit() == []
    rows = await db.fetchall("SELECT prev_hash, hash FROM audit_log ORDER BY id")
    assert rows[0][0] == audit_mod.GENESIS
    assert all(rows[i][0] == rows[i - 1][1] for i in range(1, len(rows)))
    head = await db.fetchone("SELECT last_id, last_hash FROM audit_head")
    assert tuple(head) == (8, rows[-1][1])


async def test_each_row_says_who_did_what_when(db, clock):
    ids = await build_history(db)
    rows = await db.fetchall("SELECT actor, entity, entity_id, action, before, after, at FROM audit_log ORDER BY id")
    assert [(r["actor"], r["entity"], r["action"]) for r in rows[:4]] == [
        ("cli:secretary", "org", "create"), ("cli:secretary", "org", "create"),
        ("tg:1001", "member", "create"), ("tg:1001", "member", "create")]
    assert rows[2]["entity_id"] == str(ids["wang"]) and rows[2]["before"] is None
    contact = json.loads(rows[-1]["after"])
    assert contact == {"member_id": ids["wang"], "kind": "dues", "on": "2026-05-23", "amount": None}
    assert all(r["at"] == "2026-11-23T02:00:00.000000+00:00" for r in rows)  # UTC of the frozen 10:00 Shanghai


async def test_audit_rows_keep_references_not_raw_id_numbers_or_phones(db):
    await build_history(db)
    text = " ".join(r[0] or "" for r in await db.fetchall("SELECT after FROM audit_log"))
    assert "王XX" in text
    assert WANG_ID not in text and "13812345678" not in text


async def test_a_bulk_import_chains_one_row_per_member(db):
    ids = await build_history(db)
    async with db.write("cli:import") as tx:
        n = await member_repo.insert_many(tx, [
            (Member(branch_id=ids["branch"], name=f"赵X{i}"), date(2026, 1, 1), None) for i in range(5)])
    assert n == 5
    assert await audit_ids(db) == list(range(1, 14))
    assert await db.verify_audit() == []


async def test_the_triggers_refuse_update_and_delete(db):
    await build_history(db)
    conn = raw(db, drop_triggers=False)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE audit_log SET after = '{}' WHERE id = 3")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit_log WHERE id = 8")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit_log")
    finally:
        conn.close()
    # Not through the application's own connection either.
    with pytest.raises(Exception, match="append-only"):
        async with db.write("cli:secretary") as tx:
            await tx.execute("UPDATE audit_log SET actor = 'nobody' WHERE id = 1")
    assert await audit_ids(db) == list(range(1, 9))
    assert await db.verify_audit() == []


# --- tampering, named --------------------------------------------------------------------------------------

async def test_an_edited_row_is_named(db):
    await build_history(db)
    conn = raw(db)
    row = conn.execute("SELECT after FROM audit_log WHERE id = 3").fetchone()
    after = json.loads(row[0])
    after["name"] = "王YY"                       # someone rewrites who was created
    conn.execute("UPDATE audit_log SET after = ? WHERE id = 3", (json.dumps(after, ensure_ascii=False),))
    conn.close()
    problems = await db.verify_audit()
    assert [(p.row_id, p.kind) for p in problems] == [(3, "edited")]
    assert "row 3: edited" in str(problems[0])


@pytest.mark.parametrize("column, value", [("actor", "tg:9999"), ("at", "2026-01-01T00:00:00.000000+00:00"),
                                           ("action", "delete"), ("entity_id", "99"), ("before", '{"on":"2026-01-01"}'),
                                           ("hash", "f" * 64)])
async def test_any_edited_column_is_caught(db, column, value):
    await build_history(db)
    conn = raw(db)
    conn.execute(f"UPDATE audit_log SET {column} = ? WHERE id = 5", (value,))
    conn.close()
    problems = await db.verify_audit()
    # A changed hash also breaks the link to row 6; the walk stops at the first break, which is row 5.
    assert [(p.row_id, p.kind) for p in problems] == [(5, "edited")]


async def test_a_deleted_middle_row_is_named(db):
    await build_history(db)
    conn = raw(db)
    conn.execute("DELETE FROM audit_log WHERE id = 4")
    conn.close()
    problems = await db.verify_audit()
    assert [(p.row_id, p.kind) for p in problems] == [(4, "deleted")]


async def test_deleted_rows_with_the_ids_closed_up_are_still_named(db):
    await build_history(db)
    conn = raw(db)
    conn.execute("DELETE FROM audit_log WHERE id = 4")
    conn.execute("UPDATE audit_log SET id = id - 1 WHERE id > 4")
    conn.close()
    problems = await db.verify_audit()
    assert [(p.row_id, p.kind) for p in problems] == [(4, "deleted")]


async def test_the_first_row_deleted(db):
    await build_history(db)
    conn = raw(db)
    conn.execute("DELETE FROM audit_log WHERE id = 1")
    conn.close()
    assert [(p.row_id, p.kind) for p in await db.verify_audit()] == [(1, "deleted")]


def _swap(conn: sqlite3.Connection, a: int, b: int) -> None:
    """Exchange two rows' contents, each keeping its id (the order of events rewritten)."""
    cols = "at, actor, entity, entity_id, action, before, after, prev_hash, hash"
    ra = conn.execute(f"SELECT {cols} FROM audit_log WHERE id = ?", (a,)).fetchone()
    rb = conn.execute(f"SELECT {cols} FROM audit_log WHERE id = ?", (b,)).fetchone()
    sets = ", ".join(f"{c.strip()} = ?" for c in cols.split(","))
    conn.execute(f"UPDATE audit_log SET {sets} WHERE id = ?", (*rb, a))
    conn.execute(f"UPDATE audit_log SET {sets} WHERE id = ?", (*ra, b))


@pytest.mark.parametrize("a, b", [(2, 6), (3, 4), (1, 2), (7, 8)])
async def test_reordered_rows_are_named(db, a, b):
    await build_history(db)
    conn = raw(db)
    _swap(conn, a, b)
    conn.close()
    problems = await db.verify_audit()
    assert [(p.row_id, p.kind) for p in problems] == [(a, "reordered")]


async def test_rows_cut_off_the_end_are_named_by_the_head(db):
    await build_history(db)
    conn = raw(db)
    conn.execute("DELETE FROM audit_log WHERE id >= 7")
    conn.close()
    problems = await db.verify_audit()
    assert [(p.row_id, p.kind) for p in problems] == [(7, "truncated")]
    assert "7–8" in problems[0].detail


async def test_the_last_row_alone_cut_off(db):
    await build_history(db)
    conn = raw(db)
    conn.execute("DELETE FROM audit_log WHERE id = 8")
    conn.close()
    assert [(p.row_id, p.kind) for p in await db.verify_audit()] == [(8, "truncated")]


async def test_a_head_rewritten_without_the_key_is_named(db):
    await build_history(db)
    conn = raw(db)
    conn.execute("DELETE FROM audit_log WHERE id >= 7")
    last_hash = conn.execute("SELECT hash FROM audit_log WHERE id = 6").fetchone()[0]
    # Pointing the head at row 6 needs a new MAC: the forger has only a guess of the key.
    conn.execute("UPDATE audit_head SET last_id = 6, last_hash = ?, mac = ?",
                 (last_hash, audit_mod.head_mac(b"a guessed key", 6, last_hash)))
    conn.close()
    problems = await db.verify_audit()
    assert [p.kind for p in problems] == ["head"]


async def test_a_deleted_head_is_named(db):
    await build_history(db)
    conn = raw(db)
    conn.execute("DELETE FROM audit_head")
    conn.close()
    assert [p.kind for p in await db.verify_audit()] == ["head"]


async def test_wiping_every_row_and_the_head_is_named(db):
    # Once verified clean: with no rows and no head the file looked brand new.
    await build_history(db)
    conn = raw(db)
    conn.execute("DELETE FROM audit_log")
    conn.execute("DELETE FROM audit_head")
    conn.close()
    assert [p.kind for p in await db.verify_audit()] == ["head"]


async def test_wiping_every_row_but_keeping_the_head_is_truncation(db):
    await build_history(db)
    conn = raw(db)
    conn.execute("DELETE FROM audit_log")
    conn.close()
    assert [(p.row_id, p.kind) for p in await db.verify_audit()] == [(1, "truncated")]


async def test_a_forged_row_appended_without_the_key_is_named(db):
    await build_history(db)
    conn = raw(db)
    prev = conn.execute("SELECT hash FROM audit_log WHERE id = 8").fetchone()[0]
    content = audit_mod.canonical(9, "2026-11-23T02:00:00.000000+00:00", "tg:1001", "member", "1", "update",
                                  None, None)
    forged = audit_mod.chain_hash(b"a guessed key", prev, content)
    conn.execute("INSERT INTO audit_log VALUES (9, '2026-11-23T02:00:00.000000+00:00', 'tg:1001', 'member', '1',"
                 " 'update', NULL, NULL, ?, ?)", (prev, forged))
    conn.execute("UPDATE audit_head SET last_id = 9, last_hash = ?, mac = ?",
                 (forged, audit_mod.head_mac(b"a guessed key", 9, forged)))
    conn.close()
    assert [(p.row_id, p.kind) for p in await db.verify_audit()] == [(9, "edited")]


async def test_a_wrong_key_fails_at_the_first_row(db, tmp_path, clock):
    await build_history(db)
    other = Database(db.path, b"not the key", clock)
    await other.open()
    try:
        problems = await other.verify_audit()
    finally:
        await other.close()
    assert [(p.row_id, p.kind) for p in problems] == [(1, "edited")]
    assert await db.verify_audit() == []


def test_verify_rows_without_a_head_and_without_rows():
    assert [p.kind for p in audit_mod.verify_rows(AUDIT_KEY, [], None)] == ["head"]
    sealed = (0, audit_mod.GENESIS, audit_mod.head_mac(AUDIT_KEY, 0, audit_mod.GENESIS))
    assert audit_mod.verify_rows(AUDIT_KEY, [], sealed) == []


# --- transactions ------------------------------------------------------------------------------------------

class Boom(Exception):
    pass


async def test_a_write_that_fails_midway_leaves_neither_the_change_nor_its_audit_row(db):
    ids = await build_history(db)
    head_before = tuple(await db.fetchone("SELECT * FROM audit_head"))
    with pytest.raises(Boom):
        async with db.write("tg:1001") as tx:
            await member_repo.record_contact(tx, ids["li"], ContactKind.MEETING, date(2026, 11, 20))
            # The audit row is written …
            assert (await tx.fetchone("SELECT COUNT(*) FROM audit_log"))[0] == 9
            raise Boom("the network went away before the second change")
    # … and rolled back with the change.
    assert await audit_ids(db) == list(range(1, 9))
    assert tuple(await db.fetchone("SELECT * FROM audit_head")) == head_before
    assert (await member_repo.get_row(db, ids["li"]))["last_contact_on"] is None
    assert (await db.fetchone("SELECT COUNT(*) FROM contact_events WHERE member_id = ?", (ids["li"],)))[0] == 0
    assert await db.verify_audit() == []
    # The chain goes on from where it was.
    async with db.write("tg:1001") as tx:
        await member_repo.record_contact(tx, ids["li"], ContactKind.MEETING, date(2026, 11, 20))
    assert await audit_ids(db) == list(range(1, 10))
    assert await db.verify_audit() == []


async def test_a_repository_error_rolls_back_the_whole_transaction(db):
    ids = await build_history(db)
    with pytest.raises(sqlite3.IntegrityError):
        async with db.write("tg:1001") as tx:
            await member_repo.insert(tx, Member(branch_id=ids["branch"], name="王XX的同名人"))
            # The same ID number twice: the UNIQUE constraint refuses the second.
            await member_repo.insert(tx, Member(branch_id=ids["branch"], name="王XX", id_number=WANG_ID))
    assert (await db.fetchone("SELECT COUNT(*) FROM members"))[0] == 2
    assert await audit_ids(db) == list(range(1, 9))
    assert await db.verify_audit() == []


async def test_a_failed_commit_does_not_leave_the_writer_stuck(db):
    ids = await build_history(db)
    with pytest.raises(sqlite3.IntegrityError):
        async with db.write("tg:1001") as tx:
            # Foreign keys checked at COMMIT: the change and its audit row are written, then COMMIT refuses.
            await tx.execute("PRAGMA defer_foreign_keys = ON")
            await member_repo.record_contact(tx, 999, ContactKind.MEETING, date(2026, 11, 20))
    assert await audit_ids(db) == list(range(1, 9))
    # The next write starts a fresh transaction instead of failing on BEGIN.
    async with db.write("tg:1001") as tx:
        await member_repo.record_contact(tx, ids["li"], ContactKind.DUES, date(2026, 11, 20))
    assert await audit_ids(db) == list(range(1, 10))
    assert await db.verify_audit() == []


async def test_twenty_concurrent_writers_keep_one_valid_chain(db):
    ids = await build_history(db)

    async def one(i: int) -> int:
        async with db.write(f"tg:{2000 + i}") as tx:
            await asyncio.sleep(0)  # let the others queue up mid-transaction
            return await member_repo.record_contact(tx, ids["wang"] if i % 2 else ids["li"], ContactKind.DUES,
                                                    date(2026, 11, 1 + i % 20))

    events = await asyncio.gather(*(one(i) for i in range(20)))
    assert len(set(events)) == 20
    assert await audit_ids(db) == list(range(1, 29))
    actors = {r[0] for r in await db.fetchall("SELECT actor FROM audit_log WHERE id > 8")}
    assert actors == {f"tg:{2000 + i}" for i in range(20)}
    assert await db.verify_audit() == []
    assert (await member_repo.get_row(db, ids["wang"]))["last_dues_on"] == "2026-11-20"


async def test_a_second_database_object_on_the_same_file_continues_the_chain(db, clock):
    # The CLI and the bot may both open the file: the head is read inside each write transaction.
    ids = await build_history(db)
    other = Database(db.path, AUDIT_KEY, clock)
    await other.open()
    try:
        async with other.write("cli:operator") as tx:
            await member_repo.record_contact(tx, ids["li"], ContactKind.MEETING, date(2026, 11, 21))
        async with db.write("tg:1001") as tx:
            await member_repo.record_contact(tx, ids["li"], ContactKind.DUES, date(2026, 11, 22))
    finally:
        await other.close()
    assert await audit_ids(db) == list(range(1, 11))
    assert await db.verify_audit() == []


def test_a_payload_with_json_from_sqlite_is_written_as_the_same_payload_parsed_would_be():
    """The scan puts SQLite's id lists into its audit rows as they are (RawJSON): the row must be the
    canonical JSON the list as Python values gives, keys sorted, None as null, text as typed."""
    con = sqlite3.connect(":memory:")
    ids, pairs = con.execute("SELECT json_group_array(value), json_group_array(json_array(value, value * 10))"
                             " FROM json_each('[3, 1, 20]')").fetchone()
    con.close()
    raw = {"members": audit_mod.RawJSON(ids), "level": 2, "by": "扫描", "note": None,
           "cases": audit_mod.RawJSON(pairs)}
    parsed = {"members": [3, 1, 20], "level": 2, "by": "扫描", "note": None, "cases": [[3, 30], [1, 10], [20, 200]]}
    assert audit_mod.to_json(raw) == audit_mod.to_json(parsed)
    assert json.loads(audit_mod.to_json(raw)) == parsed
    assert audit_mod.to_json(audit_mod.RawJSON(ids)) == "[3,1,20]"
