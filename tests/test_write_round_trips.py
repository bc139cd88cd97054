"""A write transaction's round trips to SQLite's thread (bot.storage.db, issue 13).

Each round trip is a thread handoff each way; on the bot's hot path they were most of a write's cost. BEGIN
goes with the transaction's first statement; the audit rows, the update mark, the audit head and the COMMIT
go in ONE trip at the end; a transaction that writes nothing costs none. A read inside the transaction
still sees the audit rows appended before it when it reads the audit tables.
"""

from __future__ import annotations

import pytest

from bot.storage.applied_updates import handling


async def audit_rows(db) -> list[tuple]:
    return [tuple(r) for r in await db.fetchall("SELECT id, actor, entity, entity_id, action FROM audit_log"
                                                " ORDER BY id")]


async def test_an_audited_change_costs_one_trip_for_begin_and_the_change_and_one_for_audit_mark_and_commit(db, trips):
    with handling(701):
        async with db.write("tg:1001") as tx:
            await tx.execute("INSERT INTO orgs (name, level, category) VALUES ('创意园党支部', 'branch', 'private')")
            await tx.audit("org", 1, "create", None, {"name": "创意园党支部"})
            await tx.audit("org", 1, "note", None, {"n": 2})
    # BEGIN IMMEDIATE with the INSERT, then the two audit rows + the update mark + the head + COMMIT together
    assert trips == ["_begin_then", "_audit_in_thread"], trips
    assert await audit_rows(db) == [(1, "tg:1001", "org", "1", "create"), (2, "tg:1001", "org", "1", "note")]
    assert [r[0] for r in await db.fetchall("SELECT update_id FROM applied_updates")] == [701]
    assert await db.verify_audit() == []


async def test_a_read_of_the_audit_trail_inside_the_transaction_sees_the_rows_appended_before_it(db):
    async with db.write("tg:1001") as tx:
        await tx.audit("member", 7, "check_in")
        assert (await tx.fetchone("SELECT COUNT(*) FROM audit_log"))[0] == 1
        head = await tx.fetchone("SELECT last_id FROM audit_head")
        assert head[0] == 1
        await tx.audit("member", 7, "check_in_again")      # chained after the row written early
    assert [r[0] for r in await audit_rows(db)] == [1, 2]
    assert await db.verify_audit() == []


async def test_a_read_of_other_tables_costs_no_extra_trip(db, trips):
    async with db.write("tg:1001") as tx:
        await tx.audit("member", 7, "check_in")
        await tx.fetchone("SELECT COUNT(*) FROM members")
    assert trips == ["_begin_then", "_audit_in_thread"], trips     # BEGIN with the read, then the audit row with COMMIT
    assert len(await audit_rows(db)) == 1 and await db.verify_audit() == []


async def test_a_transaction_without_audit_rows_commits_in_one_trip_after_its_statements(db, trips):
    async with db.write("persistence") as tx:
        await tx.execute("INSERT INTO persistence (kind, key, value) VALUES ('user_data', '1', '{}')")
    assert trips == ["_begin_then", "_audit_in_thread"], trips     # BEGIN with the INSERT, then COMMIT
    assert await audit_rows(db) == []
    assert (await db.fetchone("SELECT COUNT(*) FROM persistence WHERE kind = 'user_data'"))[0] == 1


async def test_a_transaction_that_only_audits_costs_one_trip_and_one_that_writes_nothing_none(db, trips):
    with handling(703):
        async with db.write("tg:1001") as tx:
            await tx.audit("member", 7, "check_in")
    assert trips == ["_begin_then"], trips        # BEGIN, then the row, the mark, the head and COMMIT: one trip
    assert [r[4] for r in await audit_rows(db)] == ["check_in"]
    assert [r[0] for r in await db.fetchall("SELECT update_id FROM applied_updates")] == [703]
    trips.clear()
    async with db.write("tg:1001"):
        pass
    assert trips == [] and not db._writer.in_transaction   # noqa: SLF001
    assert await db.verify_audit() == []


async def test_a_failure_in_the_use_case_leaves_neither_rows_nor_mark(db):
    with handling(702), pytest.raises(RuntimeError):
        async with db.write("tg:1001") as tx:
            await tx.audit("member", 7, "check_in")
            raise RuntimeError("the use case refused")
    assert await audit_rows(db) == []
    assert await db.fetchall("SELECT update_id FROM applied_updates") == []
    async with db.write("tg:1001") as tx:    # and the writer is usable, the chain intact
        await tx.audit("member", 7, "check_in")
    assert await db.verify_audit() == []
